"""The roles of every tenant type and the permissions they grant: the one place where
who-may-do-what is written down.

A permission is `resource:action` (`attendance:write`). A role grants permission
patterns, where either side may be `*` (`exam:*`, `*:read`, `*`). A role may also narrow
resources to a *scope* — a named row filter (`coach` reads `student` rows in scope
`assigned`: the students of their own classes). Scopes are implemented per model with
`apps.accounts.scoping.register_scope`; a role without a scope for a resource sees all of
its rows.

Adding a permission: add the action to VOCABULARY (a check refuses role patterns and
permission checks that name anything not listed here), then grant it to roles.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

CRUD = ("read", "create", "update", "delete")

# Resources every tenant type has.
COMMON: dict[str, tuple[str, ...]] = {
    "user": CRUD,  # logins of this tenant
    "role": ("read", "assign"),  # role assignments
    "audit": ("read", "export"),  # the audit log
    "profile": ("read", "update"),  # one's own account (GET/PATCH /api/v1/me/)
    "notification": ("read", "send", "manage"),  # messages; `manage`: templates, provider settings
    "settings": ("read", "update"),  # the tenant's own settings
    "ledger": ("read",),  # the event ledger
    "dashboard": ("read",),
}

VOCABULARY: dict[str, dict[str, tuple[str, ...]]] = {
    "public": {
        **COMMON,
        "tenant": (*CRUD, "suspend"),
        "plan": CRUD,
        "schedule": ("read", "update"),  # Celery beat schedules
        "identity": ("read",),  # the universal identity registry
    },
    "academy": {
        **COMMON,
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
    },
    "zone": {
        **COMMON,
        "zone": ("read", "update"),  # the learning site itself
        "org": CRUD,  # schools and institutions inside the zone
        "class": CRUD,
        "exam": (*CRUD, "publish"),
        "item": CRUD,  # IRT items
        "attempt": ("read", "create", "grade"),
        "report": ("read", "create", "export"),
        "student": ("read", "update"),
        "problem": CRUD,
        "submission": ("read", "create", "review"),
        "progress": ("read",),
        "link": ("read", "create", "approve", "delete"),  # parent–student links
        "tutor": ("use", "manage"),  # K-Zone AI tutors (voice, dance, drama)
        "leaderboard": ("read",),
    },
    "store": {
        **COMMON,
        "store": CRUD,
        "connector": ("read", "manage"),  # Naver / Kakao / Google accounts of a store
        "review": ("read", "update"),
        "reply": (*CRUD, "approve"),  # approve: publish an AI-drafted reply
        "keyword": ("read", "update"),
        "report": ("read", "export"),
        "alert": ("read", "manage"),  # negative-review alerts
        "billing": ("read", "manage"),  # the shop's plan and payments
        "payment": ("read", "create", "refund"),  # online payments taken by the shop (apps.payments)
    },
    "club": {
        **COMMON,
        "room": CRUD,
        "table": (*CRUD, "open", "close"),
        "seat": ("take", "manage"),
        "hand": ("read", "export"),
        "player": (*CRUD, "ban"),
        "wallet": ("read", "adjust"),
        "deposit": ("read", "create", "approve"),
        "withdrawal": ("read", "create", "approve"),
        "rake": ("read", "configure"),
        "vip": ("read", "update"),
        "rakeback": ("read", "run"),
        "report": ("read", "export"),
    },
}


@dataclass(frozen=True)
class Role:
    code: str
    label: str | Promise
    description: str | Promise
    permissions: tuple[str, ...]
    # resource -> scope name; resources not listed are unrestricted
    scopes: dict[str, str] = field(default_factory=dict)
    # May open the tenant's admin (keeps User.is_staff in step, see services.sync_staff_flag).
    back_office: bool = False
    # Must have TOTP before the admin or the API serves them.
    requires_mfa: bool = False

    def grants(self, perm: str) -> bool:
        return any(pattern_grants(pattern, perm) for pattern in self.permissions)

    def scope_for(self, resource: str) -> str | None:
        return self.scopes.get(resource)


# Everyone may see and edit their own account, their own roles and their own audit trail
# (sign-ins, failed attempts against their account).
SELF_SERVICE = ("profile:read", "profile:update", "role:read", "audit:read")
SELF_SCOPES = {"role": "own", "audit": "own"}


def _scoped(scope: str, *resources: str) -> dict[str, str]:
    return dict.fromkeys(resources, scope)


ROLES: dict[str, dict[str, Role]] = {
    "public": {
        r.code: r
        for r in [
            Role(
                "operator",
                _("Platform operator"),
                _("Runs the platform: tenants, plans, schedules, operators."),
                ("*",),
                back_office=True,
                requires_mfa=True,
            ),
            Role(
                "auditor",
                _("Auditor"),
                _("Reads and exports the platform's audit log, reads tenants and plans."),
                (
                    "audit:read",
                    "audit:export",
                    "tenant:read",
                    "plan:read",
                    "profile:read",
                    "profile:update",
                    "role:read",
                ),
                scopes={"role": "own"},
                back_office=True,
                requires_mfa=True,
            ),
        ]
    },
    "academy": {
        r.code: r
        for r in [
            Role(
                "owner",
                _("Owner"),
                _("Owns the academy: everything, including settings and who holds which role."),
                ("*",),
                back_office=True,
                requires_mfa=True,
            ),
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
                    **_scoped(
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
                    **_scoped("own_children", "student", "class", "session", "attendance", "feedback", "video"),
                    **_scoped("own_family", "invoice", "payment"),
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
                    **_scoped("self", "class", "session", "attendance", "feedback", "video"),
                    "notification": "own",
                    **SELF_SCOPES,
                },
            ),
        ]
    },
    # Seed 003's permission table, extended with what the zone's apps need.
    "zone": {
        r.code: r
        for r in [
            Role(
                "zone_admin",
                _("Zone administrator"),
                _("Runs the learning site: organisations, users, exams, reports and the audit log."),
                (
                    "zone:*",
                    "org:read",
                    "org:create",
                    "user:*",
                    "exam:*",
                    "report:*",
                    "item:*",
                    "class:*",
                    "student:*",
                    "attempt:*",
                    "problem:*",
                    "submission:*",
                    "progress:read",
                    "link:*",
                    "tutor:*",
                    "leaderboard:read",
                    "notification:*",
                    "audit:*",
                    "role:*",
                    "dashboard:read",
                    "ledger:read",
                    "settings:*",
                    "profile:*",
                ),
                back_office=True,
                requires_mfa=True,
            ),
            Role(
                "org_admin",
                _("Organisation administrator"),
                _("Runs one school or institution: its users, classes and exams."),
                (
                    "org:read",
                    "org:update",
                    "user:read",
                    "user:create",
                    "user:update",
                    "exam:*",
                    "class:*",
                    "report:read",
                    "item:read",
                    "student:read",
                    "attempt:read",
                    "problem:*",
                    "submission:read",
                    "progress:read",
                    "link:read",
                    "link:approve",
                    "notification:read",
                    "notification:send",
                    "dashboard:read",
                    *SELF_SERVICE,
                ),
                scopes={
                    **_scoped(
                        "own_org",
                        "org",
                        "user",
                        "exam",
                        "class",
                        "report",
                        "student",
                        "attempt",
                        "problem",
                        "submission",
                        "progress",
                        "link",
                    ),
                    **SELF_SCOPES,
                },
                back_office=True,
                requires_mfa=True,
            ),
            Role(
                "teacher",
                _("Teacher"),
                _("Writes exams and items, follows their classes' students and attempts."),
                (
                    "exam:create",
                    "exam:read",
                    "exam:update",
                    "item:create",
                    "item:read",
                    "item:update",
                    "student:read",
                    "attempt:read",
                    "report:read",
                    "class:read",
                    "problem:read",
                    "problem:create",
                    "problem:update",
                    "submission:read",
                    "submission:review",
                    "progress:read",
                    "leaderboard:read",
                    "dashboard:read",
                    *SELF_SERVICE,
                ),
                scopes={
                    **_scoped("assigned", "student", "attempt", "report", "class", "submission", "progress"),
                    **SELF_SCOPES,
                },
                back_office=True,
            ),
            Role(
                "student",
                _("Student"),
                _("Takes exams and problems, sees their own results, approves a parent's link."),
                (
                    "exam:read",
                    "attempt:create",
                    "attempt:read",
                    "problem:read",
                    "submission:create",
                    "submission:read",
                    "progress:read",
                    "leaderboard:read",
                    "tutor:use",
                    "link:read",
                    "link:approve",
                    *SELF_SERVICE,
                ),
                scopes={**_scoped("self", "attempt", "submission", "progress", "link"), **SELF_SCOPES},
            ),
            Role(
                "parent",
                _("Parent"),
                _("Follows their linked children's results and progress."),
                (
                    "student:read",
                    "attempt:read",
                    "report:read",
                    "progress:read",
                    "link:read",
                    "link:create",
                    *SELF_SERVICE,
                ),
                scopes={
                    **_scoped("own_children", "student", "attempt", "report", "progress"),
                    "link": "own",
                    **SELF_SCOPES,
                },
            ),
            Role(
                "guest",
                _("Guest"),
                _("Reads public exams only."),
                ("exam:read", "problem:read", "profile:read", "profile:update"),
                scopes={"exam": "public", "problem": "public"},
            ),
        ]
    },
    # Seed 002.
    "store": {
        r.code: r
        for r in [
            Role(
                "owner",
                _("Owner"),
                _("Owns the shops: everything, including platform connections, billing and roles."),
                ("*",),
                back_office=True,
                requires_mfa=True,
            ),
            Role(
                "staff",
                _("Staff"),
                _("Reads reviews and drafts replies for the shops they are assigned to; the owner approves."),
                (
                    "store:read",
                    "review:read",
                    "reply:read",
                    "reply:create",
                    "reply:update",
                    "keyword:read",
                    "report:read",
                    "alert:read",
                    "notification:read",
                    "dashboard:read",
                    *SELF_SERVICE,
                ),
                scopes={**_scoped("assigned", "store", "review", "reply", "keyword", "report", "alert"), **SELF_SCOPES},
                back_office=True,
            ),
        ]
    },
    # Seed 004.
    "club": {
        r.code: r
        for r in [
            Role(
                "floor_manager",
                _("Floor manager"),
                _("Runs the card room: rooms, tables, players, rake, VIP, money approvals and roles."),
                ("*",),
                back_office=True,
                requires_mfa=True,
            ),
            Role(
                "cashier",
                _("Cashier"),
                _("Handles deposits and withdrawals and reads wallets, rake and rakeback."),
                (
                    "player:read",
                    "wallet:read",
                    "deposit:*",
                    "withdrawal:read",
                    "withdrawal:approve",
                    "rake:read",
                    "rakeback:read",
                    "vip:read",
                    "table:read",
                    "report:read",
                    "notification:read",
                    "dashboard:read",
                    *SELF_SERVICE,
                ),
                scopes=SELF_SCOPES,
                back_office=True,
            ),
            Role(
                "player",
                _("Player"),
                _("Plays: takes seats, sees their own hands, wallet, deposits and withdrawals."),
                (
                    "table:read",
                    "seat:take",
                    "hand:read",
                    "wallet:read",
                    "deposit:read",
                    "deposit:create",
                    "withdrawal:read",
                    "withdrawal:create",
                    "vip:read",
                    "rakeback:read",
                    "notification:read",
                    *SELF_SERVICE,
                ),
                scopes={
                    **_scoped("own", "hand", "wallet", "deposit", "withdrawal", "vip", "rakeback", "notification"),
                    **SELF_SCOPES,
                },
            ),
        ]
    },
}


# ---------------------------------------------------------------------------- patterns


def split(perm: str) -> tuple[str, str]:
    resource, sep, action = perm.partition(":")
    if not sep or not resource or not action or ":" in action:
        raise ValueError(f"{perm!r} is not a permission: expected 'resource:action'")
    return resource, action


def pattern_grants(pattern: str, perm: str) -> bool:
    """Whether a granted pattern (`*`, `exam:*`, `*:read`, `exam:read`) covers `perm`."""
    if pattern == "*":
        return True
    granted_resource, granted_action = split(pattern)
    resource, action = split(perm)
    return granted_resource in ("*", resource) and granted_action in ("*", action)


@cache
def all_permissions() -> frozenset[str]:
    """Every concrete permission of every tenant type."""
    return frozenset(perm for tenant_type in VOCABULARY for perm in permissions_of_type(tenant_type))


@cache
def permissions_of_type(tenant_type: str) -> tuple[str, ...]:
    return tuple(f"{resource}:{action}" for resource, actions in VOCABULARY[tenant_type].items() for action in actions)


def expand(patterns, tenant_type: str) -> set[str]:
    """The concrete permissions of `tenant_type` that the patterns grant."""
    return {perm for perm in permissions_of_type(tenant_type) if any(pattern_grants(p, perm) for p in patterns)}


def is_known(perm: str) -> bool:
    return perm in all_permissions()


def roles_for(tenant_type: str) -> dict[str, Role]:
    return ROLES.get(tenant_type, {})


def get_role(tenant_type: str, code: str) -> Role | None:
    return ROLES.get(tenant_type, {}).get(code)


def catalogue_problems() -> list[str]:
    """Mistakes in the catalogue above: patterns that match nothing of their type, scopes on
    resources a role has no permission on. Run as a Django system check."""
    problems = []
    for tenant_type, roles in ROLES.items():
        vocabulary = VOCABULARY[tenant_type]
        for role in roles.values():
            for pattern in role.permissions:
                try:
                    if not expand([pattern], tenant_type):
                        problems.append(f"{tenant_type}.{role.code}: {pattern!r} matches no {tenant_type} permission")
                except ValueError as exc:
                    problems.append(f"{tenant_type}.{role.code}: {exc}")
            granted = expand(role.permissions, tenant_type)
            for resource in role.scopes:
                if resource not in vocabulary:
                    problems.append(f"{tenant_type}.{role.code}: scope on unknown resource {resource!r}")
                elif not any(perm.startswith(f"{resource}:") for perm in granted):
                    problems.append(
                        f"{tenant_type}.{role.code}: scope on {resource!r} without any {resource} permission"
                    )
    return problems
