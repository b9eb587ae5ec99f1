"""Object-level scoping (apps.accounts.scoping), shown on the models that exist today:
the audit log (`own` scope: what you did and what was done to your account) and role
assignments (`own`). The academy's guardian/coach rules plug into the same registry."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q
from django.http import Http404

from apps.accounts.models import RoleAssignment, User
from apps.accounts.scoping import get_visible_or_404, register_scope, visible_to
from apps.audit.models import AuditEntry
from apps.audit.services import record
from tests.utils import enable_totp, grant, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(tenants):
    with tenants["academy"].context():
        coach, guardian, manager, outsider = (make_user(n) for n in ("sc_coach", "sc_guardian", "sc_manager", "sc_out"))
        grant(coach, "coach")
        grant(guardian, "guardian")
        grant(manager, "manager")
        enable_totp(manager)
        for who in (coach, guardian, manager):
            record("auth.login", actor=who, resource=who)
        # someone failing to sign in as the guardian: about the guardian, by nobody
        record("auth.login_failed", resource=guardian, details={"login": "sc_guardian"})
        record("auth.login", actor=outsider, resource=outsider)
        yield {u.username: User.objects.get(pk=u.pk) for u in (coach, guardian, manager, outsider)}


def test_own_scope_reaches_what_you_did_and_what_was_done_to_your_account(people):
    guardian = people["sc_guardian"]
    rows = visible_to(AuditEntry.objects.all(), guardian, "audit:read")
    assert set(rows.values_list("action", "resource_id")) >= {
        ("auth.login", str(guardian.pk)),
        ("auth.login_failed", str(guardian.pk)),
        ("role.granted", str(guardian.pk)),
    }
    assert all(
        row.actor_id == guardian.pk or (row.resource_type, row.resource_id) == ("accounts.user", str(guardian.pk))
        for row in rows
    )
    assert not rows.filter(actor=people["sc_coach"]).exists()


def test_an_unscoped_role_reaches_every_row(people):
    manager = people["sc_manager"]
    assert visible_to(AuditEntry.objects.all(), manager, "audit:read").count() == AuditEntry.objects.count()


def test_no_permission_means_no_rows_and_several_roles_add_up(people, tenants):
    outsider = people["sc_out"]
    assert not visible_to(AuditEntry.objects.all(), outsider, "audit:read").exists()
    coach = people["sc_coach"]
    mine = visible_to(RoleAssignment.objects.all(), coach, "role:read")
    assert list(mine.values_list("user_id", flat=True)) == [coach.pk]
    with tenants["academy"].context():
        grant(coach, "manager")  # now also unscoped for role:read
        enable_totp(coach)
        coach = User.objects.get(pk=coach.pk)
        assert visible_to(RoleAssignment.objects.all(), coach, "role:read").count() == RoleAssignment.objects.count()


def test_rows_outside_the_scope_are_not_found(people):
    coach, manager = people["sc_coach"], people["sc_manager"]
    managers_entry = AuditEntry.objects.filter(actor=manager).first()
    with pytest.raises(Http404):
        get_visible_or_404(AuditEntry.objects.all(), coach, "audit:read", pk=managers_entry.pk)
    assert get_visible_or_404(AuditEntry.objects.all(), manager, "audit:read", pk=managers_entry.pk)


def test_a_scope_without_a_rule_fails_loudly_never_open(people):
    # The coach's `student` scope is `assigned`; nobody registered it for User.
    with pytest.raises(ImproperlyConfigured, match="assigned"):
        visible_to(User.objects.all(), people["sc_coach"], "student:read")


def test_a_registered_rule_is_used(people):
    # What the academy app will do for its Student model, shown here on User.
    register_scope(User, "assigned")(lambda user: Q(username__startswith="sc_g"))
    try:
        rows = visible_to(User.objects.all(), people["sc_coach"], "student:read")
        assert list(rows.values_list("username", flat=True)) == ["sc_guardian"]
    finally:
        from apps.accounts import scoping

        scoping._registry.pop(("accounts.user", "assigned"))


def test_the_admin_audit_viewer_is_scoped(people, tenants):
    coach = people["sc_coach"]
    client = tenants["academy"].client()
    with tenants["academy"].context():
        client.force_login(coach)
    page = client.get("/admin/audit/auditentry/")
    assert page.status_code == 200
    shown = page.context["cl"].queryset
    assert shown.exists() and not shown.exclude(actor=coach).exclude(resource_id=str(coach.pk)).exists()
    other = AuditEntry.objects.filter(actor=people["sc_manager"]).first()
    assert client.get(f"/admin/audit/auditentry/{other.pk}/change/").status_code == 302  # "doesn't exist"
    assert "/admin/audit/auditentry/export/" not in page.content.decode()  # no audit:export


def test_organisation_admins_reach_only_themselves_until_zone_orgs_exist(member, tenants):
    org_admin, _client = member("zone", "org_admin")
    member("zone", "teacher")
    with tenants["zone"].context():
        user = User.objects.get(pk=org_admin.pk)
        assert list(visible_to(User.objects.all(), user, "user:read")) == [user]
