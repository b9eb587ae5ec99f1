"""The platform kit (apps.core): the pieces every vertical uses, each in one place."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels import DEFAULT_CHANNEL_LAYER
from channels.layers import channel_layers
from django.core.exceptions import ValidationError
from django.db import transaction
from django.test import RequestFactory, override_settings

from apps.core.registry import AlreadyRegistered, Registry
from apps.core.services import invalid, is_won, require_won

# ---------------------------------------------------------------------------- registries


def test_a_registry_refuses_a_second_registration_and_names_both_sides():
    def first(user): ...

    def second(user): ...

    things = Registry("widget")
    things.register("a", first)
    with pytest.raises(AlreadyRegistered, match=r"widget 'a' is already registered.*first.*second"):
        things.register("a", second)
    assert things["a"] is first
    things.unregister("a")
    things.register("a", second)
    assert list(things.items()) == [("a", second)]


def test_roles_and_resources_of_a_type_cannot_be_registered_twice():
    from apps.academy import roles as academy_roles
    from apps.accounts import roles

    with pytest.raises(AlreadyRegistered, match="role 'owner' of tenant type 'academy'"):
        roles.register_roles("academy", academy_roles.ROLES[0])
    with pytest.raises(AlreadyRegistered, match="resource 'student' of tenant type 'academy'"):
        roles.register_resources("academy", {"student": ("read",)})
    with pytest.raises(AlreadyRegistered, match="resource 'user' of tenant type 'store'"):
        roles.register_resources("store", {"brand_new": ("read",), **roles.COMMON})
    assert "brand_new" not in roles.VOCABULARY["store"]  # all or nothing


def test_every_tenant_type_has_its_roles_from_its_own_module():
    from django.conf import settings

    from apps.accounts import roles

    assert set(roles.ROLES) == set(settings.TENANT_TYPES)
    assert roles.get_role("academy", "coach").__class__ is roles.Role
    # The academy's roles are declared by the academy, the operators' by tenancy.
    from apps.academy import roles as academy_roles
    from apps.tenancy import roles as platform_roles

    assert list(roles.roles_for("academy").values()) == academy_roles.ROLES
    assert list(roles.roles_for("public").values()) == platform_roles.ROLES
    assert "student:import" in roles.permissions_of_type("academy")
    assert "notification:send" in roles.permissions_of_type("club")  # COMMON, added by accounts
    assert roles.catalogue_problems() == []


def test_scopes_payables_blind_indexes_and_login_hooks_refuse_duplicates():
    from apps.academy.models import Invoice, Student
    from apps.accounts import hooks
    from apps.accounts.scoping import register_scope
    from apps.core.pii import register_blind_index
    from apps.payments.registry import Payable, register_payable

    with pytest.raises(AlreadyRegistered, match=r"scope .*'academy\.student', 'assigned'"):
        register_scope(Student, "assigned")(lambda user: None)
    with pytest.raises(AlreadyRegistered, match=r"payable 'academy\.invoice'"):
        register_payable("academy.invoice")(type("Again", (Payable,), {"model": Invoice}))
    with pytest.raises(AlreadyRegistered, match=r"blind index academy\.student\.phone_index"):
        register_blind_index("academy.student", "phone_index", None)
    with pytest.raises(AlreadyRegistered, match="login redirect 'academy'"):
        hooks.register_login_redirect("academy", lambda request: "/elsewhere/")
    from apps.portal.backends import GuardianPhoneBackend

    with pytest.raises(AlreadyRegistered, match="login backend"):
        hooks.register_login_backend("academy", GuardianPhoneBackend())


def test_login_hooks_apply_only_on_their_tenant_type(tenants, db):
    from apps.accounts.backends import TenantTypeBackend
    from apps.accounts.hooks import backends_for, login_redirect

    assert [type(b).__name__ for b in backends_for("academy")] == ["GuardianPhoneBackend"]
    assert backends_for("store") == []
    request = RequestFactory().get("/")
    with tenants["store"].context():
        # The phone backend is never asked on a store host: no alias, no user.
        assert TenantTypeBackend().login_alias("010-1234-5678") is None
        assert TenantTypeBackend().authenticate(request, username="010-1234-5678", password="x") is None
        assert login_redirect(request) is None


# ---------------------------------------------------------------------------- services


@pytest.mark.parametrize("amount", [0, -1, 1.5, 100.0, True, "100", None, 10**3 * 1.0])
def test_require_won_refuses_what_is_not_a_positive_whole_number_of_won(amount):
    assert not is_won(amount)
    with pytest.raises(ValidationError) as refused:
        require_won(amount, field="deposit")
    assert list(refused.value.message_dict) == ["deposit"]


def test_require_won_accepts_positive_integers():
    assert require_won(1) == 1
    assert require_won(1_500_000) == 1_500_000


def test_invalid_names_each_field():
    assert invalid(amount="bad", method="worse").message_dict == {"amount": ["bad"], "method": ["worse"]}


def test_payments_and_academy_billing_use_the_one_won_check(tenants, db):
    """Both refuse a bool (True == 1 in Python) and a float the same way, naming `amount`."""
    from apps.academy.models import Family
    from apps.academy.services import billing

    with tenants["academy"].context():
        family = Family.objects.create(name="kit")
        for amount in (True, 1.0, 0):
            with pytest.raises(ValidationError) as refused:
                billing.record_payment(family, amount, method="cash")
            assert list(refused.value.message_dict) == ["amount"]


# ---------------------------------------------------------------------------- websockets


def _listen(group: str) -> str:
    """A plain channel (no process-local part) in `group`, read with a layer of its own."""
    import uuid

    channel = f"kit-test-{uuid.uuid4().hex}"
    async_to_sync(channel_layers.make_backend(DEFAULT_CHANNEL_LAYER).group_add)(group, channel)
    return channel


def _received(channel: str, timeout: float = 0.5):
    import asyncio

    async def receive():
        layer = channel_layers.make_backend(DEFAULT_CHANNEL_LAYER)
        try:
            return await asyncio.wait_for(layer.receive(channel), timeout)
        except TimeoutError:
            return None

    return async_to_sync(receive)()


def test_group_names_carry_the_schema(tenants, db):
    from apps.core.websocket import group_name

    with tenants["academy"].context():
        assert group_name("attendance.academy") == f"{tenants['academy'].schema}.attendance.academy"
    assert group_name("x", schema="t_other") == "t_other.x"


def test_broadcast_on_commit_reaches_the_tenants_group_after_commit_only(
    tenants, db, django_capture_on_commit_callbacks
):
    from apps.core.websocket import broadcast_on_commit, group_name

    a, b = tenants["academy"], tenants["academy_b"]
    mine = _listen(group_name("kit.test", schema=a.schema))
    theirs = _listen(group_name("kit.test", schema=b.schema))
    with a.context(), django_capture_on_commit_callbacks(execute=True) as callbacks:
        broadcast_on_commit("kit.test", {"type": "kit.event", "n": 1})
        assert _received(mine, 0.2) is None  # not before the commit
    assert len(callbacks) == 1
    assert _received(mine) == {"type": "kit.event", "n": 1}
    assert _received(theirs, 0.2) is None  # another academy's group never hears it


def test_broadcast_on_commit_sends_nothing_when_the_transaction_rolls_back(
    tenants, db, django_capture_on_commit_callbacks
):
    from apps.core.websocket import broadcast_on_commit, group_name

    a = tenants["academy"]
    mine = _listen(group_name("kit.rollback", schema=a.schema))
    with a.context(), django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                broadcast_on_commit("kit.rollback", {"type": "kit.event"})
                raise RuntimeError("roll back")
        except RuntimeError:
            pass
    assert callbacks == []
    assert _received(mine, 0.3) is None


# ---------------------------------------------------------------------------- admin, sandbox


def test_read_only_admin_offers_no_add_change_or_delete(tenants, member, db):
    from django.contrib import admin

    from apps.core.admin import ReadOnlyAdminMixin
    from apps.ledger.models import Event

    owner, _client = member("academy", "owner")
    request = RequestFactory().get("/")
    request.user = owner
    with tenants["academy"].context():
        model_admin = admin.site._registry[Event]
        assert isinstance(model_admin, ReadOnlyAdminMixin)
        assert model_admin.has_view_permission(request)
        assert not model_admin.has_add_permission(request)
        assert not model_admin.has_change_permission(request)
        assert not model_admin.has_delete_permission(request)


def test_secret_field_never_shows_the_stored_secret_and_empty_keeps_it(tenants, db):
    from apps.payments.admin import GatewayConfigForm
    from apps.payments.models import GatewayConfig

    with tenants["academy"].context():
        config = GatewayConfig.objects.create(
            gateway="sandbox", base_url="http://127.0.0.1:1/_sandbox/", client_key="ck", secret="s3cret"
        )
        form = GatewayConfigForm(instance=config)
        assert "s3cret" not in str(form["secret"])
        data = {"gateway": "sandbox", "enabled": True, "base_url": config.base_url, "client_key": "ck", "secret": ""}
        form = GatewayConfigForm(data, instance=config)
        assert form.is_valid(), form.errors
        assert form.save().secret == "s3cret"
        form = GatewayConfigForm({**data, "secret": "new"}, instance=config)
        assert form.is_valid(), form.errors
        assert form.save().secret == "new"


@pytest.mark.parametrize(
    ("method", "path", "served"),
    [("get", "/_sandbox/notifications/", 200), ("post", "/_sandbox/payments/local/v1/checkouts", 401)],
)
def test_every_sandbox_answers_404_when_sandboxes_are_off(method, path, served, tenants, db):
    from django.test import Client

    assert getattr(Client(), method)(path).status_code == served
    with override_settings(SANDBOX_ENABLED=False):
        assert getattr(Client(), method)(path).status_code == 404


def test_read_only_inlines_show_their_fields_read_only_and_add_nothing(tenants, member, db):
    from django.contrib import admin

    from apps.academy.models import Student
    from apps.core.admin import ReadOnlyInline, admin_permissions

    owner, _client = member("academy", "owner")
    request = RequestFactory().get("/")
    request.user = owner
    with tenants["academy"].context():
        inlines = [
            i for i in admin.site._registry[Student].get_inline_instances(request) if isinstance(i, ReadOnlyInline)
        ]
        assert [type(i).__name__ for i in inlines] == ["EnrollmentInline"]
        enrollments = inlines[0]
        assert list(enrollments.get_readonly_fields(request)) == enrollments.fields
        assert not enrollments.has_add_permission(request, None)
        assert not enrollments.can_delete and enrollments.extra == 0
    assert admin_permissions("settings:read", "settings:update") == {
        "view": "settings:read",
        "add": "settings:update",
        "change": "settings:update",
        "delete": "settings:update",
    }
