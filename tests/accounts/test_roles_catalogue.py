"""The role catalogue itself: every pattern and scope refers to the type's vocabulary,
wildcards match what they should, and unknown permissions are refused loudly."""

import pytest

from apps.accounts import roles
from apps.accounts.permissions import has_permission


def test_the_catalogue_has_no_mistakes():
    assert roles.catalogue_problems() == []


def test_the_brief_s_roles_exist_per_type():
    assert set(roles.roles_for("academy")) == {"owner", "manager", "coach", "staff", "guardian", "student"}
    assert set(roles.roles_for("zone")) == {"zone_admin", "org_admin", "teacher", "student", "parent", "guest"}
    assert set(roles.roles_for("store")) == {"owner", "staff"}
    assert set(roles.roles_for("club")) == {"floor_manager", "cashier", "player"}


def test_mfa_is_required_exactly_for_owner_manager_and_admin_types():
    required = {(t, code) for t, rs in roles.ROLES.items() for code, r in rs.items() if r.requires_mfa}
    assert required == {
        ("public", "operator"),
        ("public", "auditor"),
        ("academy", "owner"),
        ("academy", "manager"),
        ("zone", "zone_admin"),
        ("zone", "org_admin"),
        ("store", "owner"),
        ("club", "floor_manager"),
    }


def test_seed_003_permission_table_carries_over():
    zone = roles.roles_for("zone")
    assert zone["teacher"].grants("exam:create") and not zone["teacher"].grants("exam:delete")
    assert zone["student"].grants("attempt:create") and not zone["student"].grants("exam:create")
    assert zone["parent"].grants("attempt:read") and not zone["parent"].grants("attempt:create")
    assert zone["guest"].grants("exam:read") and not zone["guest"].grants("attempt:read")
    assert zone["zone_admin"].grants("exam:publish") and zone["zone_admin"].grants("user:delete")
    assert zone["org_admin"].grants("class:delete") and not zone["org_admin"].grants("org:create")


@pytest.mark.parametrize(
    ("pattern", "perm", "expected"),
    [
        ("*", "exam:create", True),
        ("exam:*", "exam:create", True),
        ("exam:*", "item:create", False),
        ("*:read", "exam:read", True),
        ("*:read", "exam:create", False),
        ("exam:read", "exam:read", True),
        ("exam:read", "exam:readonly", False),
    ],
)
def test_wildcards(pattern, perm, expected):
    assert roles.pattern_grants(pattern, perm) is expected


def test_expand_lists_concrete_permissions_of_the_type_only():
    expanded = roles.expand(["attendance:*"], "academy")
    assert expanded == {"attendance:read", "attendance:write", "attendance:export"}
    assert "exam:read" not in roles.expand(["*"], "academy")
    assert "exam:read" in roles.expand(["*"], "zone")


@pytest.mark.django_db
def test_an_unknown_or_malformed_permission_is_a_programming_error(tenants):
    from django.contrib.auth.models import AnonymousUser

    with tenants["academy"].context():
        with pytest.raises(ValueError, match="unknown permission"):
            has_permission(AnonymousUser(), "attendence:write")
        with pytest.raises(ValueError, match="not a permission"):
            roles.split("attendance")
