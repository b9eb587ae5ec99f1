"""has_permission / require_permission, the auth backends and the superuser rule."""

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction

from apps.accounts.permissions import (
    AccessDenied,
    effective_permissions,
    has_permission,
    mfa_missing,
    require_permission,
)
from apps.audit.models import AuditEntry
from tests.utils import enable_totp, grant, make_user

pytestmark = pytest.mark.django_db


def test_roles_grant_their_permissions_and_nothing_else(tenants):
    with tenants["academy"].context():
        coach = make_user("c1")
        grant(coach, "coach")
        assert has_permission(coach, "attendance:write")
        assert has_permission(coach, "feedback:create")
        assert not has_permission(coach, "invoice:read")
        assert not has_permission(coach, "role:assign")
        assert coach.has_perm("attendance:write") and not coach.has_perm("invoice:read")


def test_several_roles_add_up(tenants):
    with tenants["academy"].context():
        person = make_user("two_hats")
        grant(person, "coach", "guardian")
        assert has_permission(person, "attendance:write")  # coach
        assert has_permission(person, "invoice:pay")  # guardian
        assert not has_permission(person, "invoice:create")


def test_superusers_hold_everything_once_they_use_totp(tenants):
    with tenants["club"].context():
        root = make_user("root", is_superuser=True, is_staff=True)
        assert mfa_missing(root)
        assert not has_permission(root, "withdrawal:approve")
        enable_totp(root)
        root = type(root).objects.get(pk=root.pk)
        assert has_permission(root, "withdrawal:approve")
        assert "wallet:adjust" in effective_permissions(root)


def test_mfa_roles_hold_nothing_until_totp_is_set_up(tenants):
    with tenants["store"].context():
        owner = make_user("shop_owner")
        grant(owner, "owner")
        assert not has_permission(owner, "reply:approve")
        assert effective_permissions(owner) == []
        enable_totp(owner)
        owner = type(owner).objects.get(pk=owner.pk)
        assert has_permission(owner, "reply:approve")


def test_inactive_and_anonymous_users_hold_nothing(tenants):
    from django.contrib.auth.models import AnonymousUser

    with tenants["academy"].context():
        coach = make_user("gone", is_active=False)
        grant(coach, "coach")
        assert not has_permission(coach, "attendance:read")
        assert not has_permission(AnonymousUser(), "attendance:read")


def test_django_model_permissions_only_for_star_holders(tenants):
    with tenants["academy"].context():
        manager = make_user("mgr")
        grant(manager, "manager")
        enable_totp(manager)
        owner = make_user("own")
        grant(owner, "owner")
        enable_totp(owner)
        manager, owner = (type(u).objects.get(pk=u.pk) for u in (manager, owner))
        # An admin that doesn't map itself to role permissions is for `*` holders only.
        assert not manager.has_perm("ledger.view_event")
        assert owner.has_perm("ledger.view_event")
        assert owner.has_module_perms("account")


def test_django_groups_and_user_permissions_grant_nothing(tenants):
    from django.contrib.auth.models import Group, Permission

    with tenants["academy"].context():
        user = make_user("grouped")
        group = Group.objects.create(name="sneaky")
        group.permissions.set(Permission.objects.filter(codename="view_event"))
        user.groups.add(group)
        user.user_permissions.set(Permission.objects.filter(codename="change_user"))
        user = type(user).objects.get(pk=user.pk)
        assert not user.has_perm("ledger.view_event")
        assert not user.has_perm("accounts.change_user")


def test_require_permission_raises_and_records_the_refusal(tenants):
    with tenants["academy"].context():
        guardian = make_user("parent1")
        grant(guardian, "guardian")
        require_permission(guardian, "invoice:pay")  # held: no error, no entry
        assert not AuditEntry.objects.filter(action="permission.denied", actor=guardian).exists()
        with pytest.raises(AccessDenied) as info:
            require_permission(guardian, "invoice:create", resource=("academy.invoice", 7))
        assert isinstance(info.value, PermissionDenied)
        entry = AuditEntry.objects.get(action="permission.denied", actor=guardian)
        assert entry.details["permission"] == "invoice:create"
        assert (entry.resource_type, entry.resource_id) == ("academy.invoice", "7")
        assert entry.actor_username == "parent1"


def test_a_refusal_rolled_back_with_its_transaction_is_written_again_at_the_entry_point(tenants):
    from apps.audit.services import record_denial_of

    with tenants["academy"].context():
        student = make_user("kid")
        grant(student, "student")
        with pytest.raises(AccessDenied) as info, transaction.atomic():
            require_permission(student, "attendance:write")
        # The entry was written inside the transaction that the refusal rolled back.
        assert not AuditEntry.objects.filter(action="permission.denied", actor=student).exists()
        record_denial_of(info.value)  # what the middleware / API handler do
        record_denial_of(info.value)  # ... and only once
        entries = AuditEntry.objects.filter(action="permission.denied", actor=student)
        assert [e.details["permission"] for e in entries] == ["attendance:write"]


def test_a_role_code_of_another_type_grants_nothing(tenants):
    from apps.accounts.models import RoleAssignment

    with tenants["academy"].context():
        user = make_user("misplaced")
        # Bypasses the service on purpose: a code that is not an academy role.
        RoleAssignment.objects.create(user=user, role="floor_manager")
        assert not has_permission(user, "wallet:adjust")
        assert not has_permission(user, "student:read")
        assert effective_permissions(user) == []
