"""The audit log's action names. Other apps record their own dotted actions
(`payment.refunded`); these are the ones the platform itself writes."""

LOGIN = "auth.login"
LOGOUT = "auth.logout"
LOGIN_FAILED = "auth.login_failed"
# A sign-in limit was reached: the account or client address is locked for a while.
LOGIN_LOCKED = "auth.login_locked"
# A request to the admin from an address outside ADMIN_IP_ALLOWLIST.
ADMIN_IP_REFUSED = "admin.ip_refused"
MFA_FAILED = "auth.mfa_failed"
MFA_ENABLED = "mfa.enabled"
MFA_DISABLED = "mfa.disabled"
MFA_RESET = "mfa.reset"
PERMISSION_DENIED = "permission.denied"
# A row outside the user's scope was asked for (answered 404, like a missing one).
OUT_OF_SCOPE = "access.out_of_scope"
ROLE_GRANTED = "role.granted"
ROLE_REVOKED = "role.revoked"
ADMIN_ADD = "admin.add"
ADMIN_CHANGE = "admin.change"
ADMIN_DELETE = "admin.delete"
ADMIN_ACTION = "admin.action"
# Any download of data as a file (CSV, Excel); details say what and how many rows.
EXPORT = "data.exported"
# Entries older than AUDIT_RETENTION_DAYS exported to storage and removed (apps.audit.retention).
PRUNED = "audit.pruned"
