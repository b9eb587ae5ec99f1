"""Every role of every type against the role, audit and admin endpoints: allowed where
the catalogue says, refused (and the refusal audited) everywhere else. The expectations
are written out by hand, not derived from the catalogue, so a change to a role shows
up here."""

import pytest

from apps.audit.models import AuditEntry
from tests.utils import make_user

pytestmark = pytest.mark.django_db

ROLES = {
    "academy": ["owner", "manager", "coach", "staff", "guardian", "student"],
    "zone": ["zone_admin", "org_admin", "teacher", "student", "parent", "guest"],
    "store": ["owner", "staff"],
    "club": ["floor_manager", "cashier", "player"],
}
# The least privileged role of each type: what an assigner tries to hand out.
LOWEST = {"academy": "student", "zone": "guest", "store": "staff", "club": "player"}

ALLOWED = {
    "academy": {
        "list_assignments": {"owner", "manager", "coach", "staff", "guardian", "student"},
        "assign": {"owner", "manager"},
        "audit_list": {"owner", "manager", "coach", "staff", "guardian", "student"},
        "audit_export": {"owner", "manager"},
        "admin": {"owner", "manager", "coach", "staff"},
        "admin_users": {"owner", "manager"},
        "admin_audit": {"owner", "manager", "coach", "staff"},
        "admin_add_assignment": {"owner", "manager"},
    },
    "zone": {
        "list_assignments": {"zone_admin", "org_admin", "teacher", "student", "parent"},
        "assign": {"zone_admin"},
        "audit_list": {"zone_admin", "org_admin", "teacher", "student", "parent"},
        "audit_export": {"zone_admin"},
        "admin": {"zone_admin", "org_admin", "teacher"},
        "admin_users": {"zone_admin", "org_admin"},
        "admin_audit": {"zone_admin", "org_admin", "teacher"},
        "admin_add_assignment": {"zone_admin"},
    },
    "store": {
        "list_assignments": {"owner", "staff"},
        "assign": {"owner"},
        "audit_list": {"owner", "staff"},
        "audit_export": {"owner"},
        "admin": {"owner", "staff"},
        "admin_users": {"owner"},
        "admin_audit": {"owner", "staff"},
        "admin_add_assignment": {"owner"},
    },
    "club": {
        "list_assignments": {"floor_manager", "cashier", "player"},
        "assign": {"floor_manager"},
        "audit_list": {"floor_manager", "cashier", "player"},
        "audit_export": {"floor_manager"},
        "admin": {"floor_manager", "cashier"},
        "admin_users": {"floor_manager"},
        "admin_audit": {"floor_manager", "cashier"},
        "admin_add_assignment": {"floor_manager"},
    },
}

CASES = [(tenant_type, role) for tenant_type, roles in ROLES.items() for role in roles]


@pytest.mark.parametrize(("key", "role"), CASES, ids=[f"{t}-{r}" for t, r in CASES])
def test_role_against_every_probe(member, tenants, key, role):
    allowed = ALLOWED[key]
    user, client = member(key, role)
    t = tenants[key]
    with t.context():
        target = make_user(f"target_{key}_{role}")

    def api_status(ok: bool) -> int:
        return 200 if ok else 403

    assert client.get("/api/v1/roles/").status_code == 200
    checks = {
        "list_assignments": client.get("/api/v1/role-assignments/").status_code,
        "assign": client.post(
            "/api/v1/role-assignments/", {"user": target.pk, "role": LOWEST[key]}, content_type="application/json"
        ).status_code,
        "audit_list": client.get("/api/v1/audit/entries/").status_code,
        "audit_export": client.get("/api/v1/audit/entries/export/").status_code,
    }
    expected = {
        "list_assignments": api_status(role in allowed["list_assignments"]),
        "assign": 201 if role in allowed["assign"] else 403,
        "audit_list": api_status(role in allowed["audit_list"]),
        "audit_export": api_status(role in allowed["audit_export"]),
    }
    assert checks == expected

    staff = role in allowed["admin"]
    admin = {
        "admin": client.get("/admin/").status_code,
        "admin_users": client.get("/admin/accounts/user/").status_code,
        "admin_audit": client.get("/admin/audit/auditentry/").status_code,
        "admin_add_assignment": client.get("/admin/accounts/roleassignment/add/").status_code,
    }
    # Not staff: sent to sign in (302). Staff without the permission: 403.
    expected_admin = {
        name: (200 if role in allowed[name] else 403) if staff else 302 for name in admin if name != "admin"
    }
    expected_admin["admin"] = 200 if staff else 302
    assert admin == expected_admin

    with t.context():
        denials = AuditEntry.objects.filter(action="permission.denied", actor_id=user.pk).count()
    refused_api = sum(1 for name, status in checks.items() if status == 403)
    refused_admin = sum(1 for name, status in admin.items() if status == 403)
    assert denials == refused_api + refused_admin
