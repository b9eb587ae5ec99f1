"""Who may do what on a learning zone (seed 003's seven roles, minus the platform's own
super_admin, which is the tenant superuser): the zone's resources and roles, registered
from LearningConfig.ready().

Where a role applies is a row scope (apps/learning/scopes.py): an org_admin's `own_org` is
the organisations of their admin memberships, a teacher's `assigned` the classes naming
them and those classes' students (for problems: their own, their schools' and the zone's
published ones; apps/problems/scopes.py), a parent's `own_children` the students of approved
links, a student's `self` their own rows (for problems `own_school`: the zone's and their own
school's published ones). apps.problems registers the same scopes for its
own models (problems, submissions, progress)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from apps.accounts.roles import CRUD, SELF_SCOPES, SELF_SERVICE, Role, scoped

# Seed 003's permission table, extended with what the zone's apps need.
RESOURCES: dict[str, tuple[str, ...]] = {
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
}

ROLES: list[Role] = [
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
            **scoped(
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
            **scoped("assigned", "student", "attempt", "report", "class", "problem", "submission", "progress"),
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
        scopes={**scoped("self", "attempt", "submission", "progress", "link"), "problem": "own_school", **SELF_SCOPES},
    ),
    Role(
        "parent",
        _("Parent"),
        _("Follows their linked children's results, problem answers and progress."),
        (
            "student:read",
            "attempt:read",
            "report:read",
            "submission:read",
            "progress:read",
            "link:read",
            "link:create",
            *SELF_SERVICE,
        ),
        scopes={
            **scoped("own_children", "student", "attempt", "report", "submission", "progress"),
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


def register() -> None:
    """Called from the app's AppConfig.ready()."""
    from apps.accounts.roles import register_resources, register_roles

    register_resources("zone", RESOURCES)
    register_roles("zone", *ROLES)
