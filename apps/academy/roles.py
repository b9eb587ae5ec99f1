"""Who may do what on academy hosts: the academy's resources (added to the common ones of
every tenant type, apps.accounts.roles.COMMON) and its roles. Registered from
AcademyConfig.ready(); the roster and the portal use these permissions (`student:import`,
`invoice:pay`) and declare none of their own."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from apps.accounts.roles import CRUD, SELF_SCOPES, SELF_SERVICE, Role, full_access, scoped

RESOURCES: dict[str, tuple[str, ...]] = {
    "student": (*CRUD, "import", "export"),
    "guardian": (*CRUD, "approve"),  # approve: a guardian–student link
    "coach": CRUD,
    "consultation": (*CRUD, "convert"),  # convert: consultation → enrollment
    "enrollment": CRUD,  # update covers pause and transfer; delete is withdrawal
    "class": CRUD,  # programmes, classes, timetables, holidays
    "session": CRUD,  # generated sessions, cancellations, make-ups
    "attendance": ("read", "write", "export"),
    "invoice": (*CRUD, "pay", "export"),  # pay: a guardian paying online
    "payment": ("read", "create", "refund"),  # create: a manual (cash, transfer) payment
    "feedback": CRUD,
    "video": CRUD,
    "vindex": ("read", "configure"),
}

ROLES: list[Role] = [
    full_access("owner", _("Owner"), _("Owns the academy: everything, including settings and who holds which role.")),
    Role(
        "manager",
        _("Manager"),
        _("Runs the academy day to day: people, classes, billing, staff accounts, the audit log."),
        (
            *(
                f"{r}:*"
                for r in (
                    "student",
                    "guardian",
                    "coach",
                    "consultation",
                    "enrollment",
                    "class",
                    "session",
                    "attendance",
                    "invoice",
                    "payment",
                    "feedback",
                    "video",
                    "vindex",
                    "notification",
                    "user",
                    "audit",
                    "profile",
                )
            ),
            "role:read",
            "role:assign",
            "dashboard:read",
            "ledger:read",
            "settings:read",
        ),
        back_office=True,
        requires_mfa=True,
    ),
    Role(
        "coach",
        _("Coach"),
        _("Teaches classes: their students, sessions, attendance, feedback and videos."),
        (
            "student:read",
            "guardian:read",
            "class:read",
            "session:read",
            "attendance:read",
            "attendance:write",
            "feedback:read",
            "feedback:create",
            "feedback:update",
            "video:read",
            "video:create",
            "video:update",
            "vindex:read",
            "dashboard:read",
            *SELF_SERVICE,
        ),
        scopes={
            **scoped(
                "assigned",
                "student",
                "guardian",
                "class",
                "session",
                "attendance",
                "feedback",
                "video",
                "vindex",
            ),
            **SELF_SCOPES,
        },
        back_office=True,
    ),
    Role(
        "staff",
        _("Front desk"),
        _("Front desk: consultations, enrolments, roll call, invoices and manual payments."),
        (
            "student:read",
            "student:create",
            "student:update",
            "student:import",
            "student:export",
            "guardian:read",
            "guardian:create",
            "guardian:update",
            "guardian:approve",
            "coach:read",
            "consultation:read",
            "consultation:create",
            "consultation:update",
            "consultation:convert",
            "enrollment:read",
            "enrollment:create",
            "enrollment:update",
            "class:read",
            "session:read",
            "session:create",
            "session:update",
            "attendance:*",
            "invoice:read",
            "invoice:create",
            "invoice:update",
            "invoice:export",
            "payment:read",
            "payment:create",
            "feedback:read",
            "video:read",
            "notification:read",
            "notification:send",
            "dashboard:read",
            *SELF_SERVICE,
        ),
        scopes=SELF_SCOPES,
        back_office=True,
    ),
    Role(
        "guardian",
        _("Guardian"),
        _("A parent: their approved children's classes, attendance, feedback, videos and invoices."),
        (
            "student:read",
            "class:read",
            "session:read",
            "attendance:read",
            "feedback:read",
            "video:read",
            "invoice:read",
            "invoice:pay",
            "payment:read",
            "notification:read",
            *SELF_SERVICE,
        ),
        scopes={
            **scoped("own_children", "student", "class", "session", "attendance", "feedback", "video"),
            **scoped("own_family", "invoice", "payment"),
            "notification": "own",
            **SELF_SCOPES,
        },
    ),
    Role(
        "student",
        _("Student"),
        _("A student: their own classes, attendance, feedback and videos."),
        (
            "class:read",
            "session:read",
            "attendance:read",
            "feedback:read",
            "video:read",
            "notification:read",
            *SELF_SERVICE,
        ),
        scopes={
            **scoped("self", "class", "session", "attendance", "feedback", "video"),
            "notification": "own",
            **SELF_SCOPES,
        },
    ),
]


def register() -> None:
    """Called from the app's AppConfig.ready()."""
    from apps.accounts.roles import register_resources, register_roles

    register_resources("academy", RESOURCES)
    register_roles("academy", *ROLES)
