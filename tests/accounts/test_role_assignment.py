"""Granting and revoking roles: through the service, the admin and the API; audited;
nobody hands out more than they hold; is_staff follows the roles; per tenant."""

import pytest
from django.core.exceptions import ValidationError

from apps.accounts import services
from apps.accounts.models import RoleAssignment
from apps.accounts.permissions import AccessDenied, has_permission
from apps.audit.models import AuditEntry
from tests.utils import grant, make_user

pytestmark = pytest.mark.django_db


def test_grant_and_revoke_are_audited_and_keep_is_staff_in_step(member, tenants):
    manager, _client = member("academy", "manager")
    with tenants["academy"].context():
        manager = type(manager).objects.get(pk=manager.pk)
        person = make_user("newcoach")
        assert not person.is_staff
        services.grant_role(person, "coach", actor=manager)
        person.refresh_from_db()
        assert person.is_staff and has_permission(person, "attendance:write")
        again = services.grant_role(person, "coach", actor=manager)  # idempotent
        assert RoleAssignment.objects.filter(user=person).count() == 1 and again.granted_by == manager

        assert services.revoke_role(person, "coach", actor=manager)
        person.refresh_from_db()
        assert not person.is_staff and not has_permission(person, "attendance:write")
        entries = list(
            AuditEntry.objects.filter(resource_type="accounts.user", resource_id=str(person.pk))
            .order_by("id")
            .values_list("action", "actor_username", "details")
        )
        assert entries == [
            ("role.granted", manager.username, {"role": "coach"}),
            ("role.revoked", manager.username, {"role": "coach"}),
        ]


def test_nobody_hands_out_more_than_they_hold(member, tenants):
    manager, _ = member("academy", "manager")
    coach, _ = member("academy", "coach")
    with tenants["academy"].context():
        manager, coach = (type(u).objects.get(pk=u.pk) for u in (manager, coach))
        target = make_user("ambitious")
        with pytest.raises(AccessDenied):
            services.grant_role(target, "owner", actor=manager)  # owner holds `*`
        with pytest.raises(AccessDenied):
            services.grant_role(target, "student", actor=coach)  # no role:assign at all
        services.grant_role(target, "manager", actor=manager)  # a peer is fine
        assert not RoleAssignment.objects.filter(role="owner").exists()
        denied = AuditEntry.objects.filter(action="permission.denied", actor__in=[manager, coach])
        assert sorted(e.details.get("role", e.details["permission"]) for e in denied) == ["owner", "role:assign"]


def test_a_manager_cannot_take_over_an_owner_account(member, tenants):
    manager, client = member("academy", "manager")
    owner, _ = member("academy", "owner")
    with tenants["academy"].context():
        manager = type(manager).objects.get(pk=manager.pk)
        assert not services.can_manage_user(manager, owner)
    # the owner's page is read-only to the manager, and posting changes is refused
    assert client.get(f"/admin/accounts/user/{owner.pk}/change/").status_code == 200
    response = client.post(
        f"/admin/accounts/user/{owner.pk}/change/", {"username": owner.username, "email": "evil@example.com"}
    )
    assert response.status_code == 403
    assert client.get(f"/admin/accounts/user/{owner.pk}/password/").status_code == 403


def test_unknown_role_names_the_field_and_writes_nothing(tenants):
    with tenants["zone"].context():
        user = make_user("z1")
        with pytest.raises(ValidationError) as info:
            services.set_roles(user, ["teacher", "owner"])  # owner is not a zone role
        assert set(info.value.message_dict) == {"role"}
        assert not RoleAssignment.objects.filter(user=user).exists()


def test_set_roles_is_all_or_nothing(member, tenants):
    manager, _ = member("academy", "manager")
    with tenants["academy"].context():
        manager = type(manager).objects.get(pk=manager.pk)
        user = make_user("partial")
        grant(user, "student")
        with pytest.raises(AccessDenied):
            services.set_roles(user, ["coach", "owner"], actor=manager)
        assert list(RoleAssignment.objects.filter(user=user).values_list("role", flat=True)) == ["student"]


def test_roles_are_edited_on_the_user_page_in_the_admin(member, tenants):
    _manager, client = member("academy", "manager")
    with tenants["academy"].context():
        target = make_user("edited", email="e@example.com")
    page = client.get(f"/admin/accounts/user/{target.pk}/change/")
    assert page.status_code == 200 and 'name="roles"' in page.content.decode()
    form = {
        "username": "edited",
        "display_name": "",
        "first_name": "",
        "last_name": "",
        "email": "e@example.com",
        "language": "ko",
        "is_active": "on",
        "last_login_0": "",
        "last_login_1": "",
        "roles": ["coach", "staff"],
    }
    response = client.post(f"/admin/accounts/user/{target.pk}/change/", form)
    assert response.status_code == 302, response.context["adminform"].form.errors
    with tenants["academy"].context():
        assert sorted(RoleAssignment.objects.filter(user=target).values_list("role", flat=True)) == ["coach", "staff"]
        target.refresh_from_db()
        assert target.is_staff
        actions = set(
            AuditEntry.objects.filter(resource_id=str(target.pk), resource_type="accounts.user").values_list(
                "action", flat=True
            )
        )
        assert {"role.granted", "admin.change"} <= actions

    # Owner is refused on the form, with the role named, and nothing changes.
    response = client.post(f"/admin/accounts/user/{target.pk}/change/", {**form, "roles": ["owner"]})
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "roles" in errors and "소유자" in str(errors["roles"])
    with tenants["academy"].context():
        assert sorted(RoleAssignment.objects.filter(user=target).values_list("role", flat=True)) == ["coach", "staff"]


def test_role_assignments_admin_grants_and_revokes_through_the_service(member, tenants):
    owner, client = member("store", "owner")
    with tenants["store"].context():
        clerk = make_user("clerk")
    response = client.post("/admin/accounts/roleassignment/add/", {"user": clerk.pk, "role": "staff"})
    assert response.status_code == 302
    with tenants["store"].context():
        assignment = RoleAssignment.objects.get(user=clerk)
        assert assignment.granted_by_id == owner.pk
    response = client.post(f"/admin/accounts/roleassignment/{assignment.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    with tenants["store"].context():
        assert not RoleAssignment.objects.filter(user=clerk).exists()
        mine = AuditEntry.objects.filter(actor=owner).exclude(action="auth.login").order_by("id")
        actions = list(mine.values_list("action", flat=True))
        assert actions == ["role.granted", "admin.add", "admin.delete", "role.revoked"]


def test_role_assignments_api(member, tenants):
    _floor, client = member("club", "floor_manager")
    with tenants["club"].context():
        player = make_user("p1")

    def assign(role: str):
        body = {"user": player.pk, "role": role}
        return client.post("/api/v1/role-assignments/", body, content_type="application/json")

    bad = assign("dealer")
    assert bad.status_code == 400 and list(bad.json()["fields"]) == ["role"]
    made = assign("player")
    assert made.status_code == 201 and made.json()["role_label"] == "플레이어"
    again = assign("player")
    assert again.status_code == 200 and again.json()["id"] == made.json()["id"]
    listed = client.get("/api/v1/role-assignments/", {"user": player.pk}).json()["results"]
    assert [row["role"] for row in listed] == ["player"]
    assert client.delete(f"/api/v1/role-assignments/{made.json()['id']}/").status_code == 204
    with tenants["club"].context():
        assert not RoleAssignment.objects.filter(user=player).exists()


def test_a_players_assignment_list_shows_only_their_own(member, tenants):
    p1, client = member("club", "player")
    member("club", "cashier")
    rows = client.get("/api/v1/role-assignments/").json()["results"]
    assert [row["user"] for row in rows] == [p1.pk]


def test_me_shows_roles_and_effective_permissions(member):
    _coach, client = member("academy", "coach")
    me = client.get("/api/v1/me/").json()
    assert me["roles"] == [{"code": "coach", "label": "코치"}]
    assert "attendance:write" in me["permissions"] and "invoice:read" not in me["permissions"]
    assert me["mfa"] == {"required": False, "enabled": False}

    _owner, client = member("academy", "owner")
    me = client.get("/api/v1/me/").json()
    assert "settings:update" in me["permissions"] and "exam:read" not in me["permissions"]  # expanded per type
    assert me["mfa"] == {"required": True, "enabled": True}


def test_roles_endpoint_lists_the_type_s_roles(member):
    _u, client = member("zone", "teacher")
    roles = client.get("/api/v1/roles/").json()
    assert [r["code"] for r in roles] == ["zone_admin", "org_admin", "teacher", "student", "parent", "guest"]
    teacher = next(r for r in roles if r["code"] == "teacher")
    assert "exam:create" in teacher["permissions"] and teacher["scopes"]["student"] == "assigned"


def test_a_role_on_tenant_a_means_nothing_on_tenant_b(tenants):
    from tests.utils import enable_totp

    a, b = tenants["academy"], tenants["academy_b"]
    with a.context():
        twin_a = make_user("twin")
        grant(twin_a, "owner")
        enable_totp(twin_a)
    with b.context():
        twin_b = make_user("twin")  # same username (and maybe pk) on B, no roles
        assert not RoleAssignment.objects.filter(user=twin_b).exists()
        assert not has_permission(twin_b, "student:read")
    client_a, client_b = a.client(), b.client()
    with a.context():
        client_a.force_login(twin_a)
    with b.context():
        client_b.force_login(twin_b)
    assert client_a.get("/api/v1/audit/entries/export/").status_code == 200
    assert client_b.get("/api/v1/audit/entries/export/").status_code == 403
    assert client_b.get("/api/v1/me/").json()["roles"] == []
    assert client_b.get("/admin/").status_code == 302
    # A's assignment rows are not in B's table at all.
    with b.context():
        assert not RoleAssignment.objects.filter(role="owner").exists()


def test_a_stale_role_code_is_left_alone_by_set_roles_and_tidied_by_a_grantor(member, tenants):
    manager, _ = member("academy", "manager")
    with tenants["academy"].context():
        manager = type(manager).objects.get(pk=manager.pk)
        user = make_user("stale")
        RoleAssignment.objects.create(user=user, role="cashier")  # not an academy role
        services.set_roles(user, ["student"], actor=manager)
        assert sorted(RoleAssignment.objects.filter(user=user).values_list("role", flat=True)) == ["cashier", "student"]
        assert services.revoke_role(user, "cashier", actor=manager)
        assert list(RoleAssignment.objects.filter(user=user).values_list("role", flat=True)) == ["student"]
