"""The audit log: what gets recorded (sign-ins, sign-outs, failures, refusals, role
changes, admin changes, exports), that the database refuses to change it, the CSV
export, client addresses behind proxies, and that no tenant sees another's."""

import csv
import io
import uuid

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import override_settings

from apps.audit.models import AuditEntry
from apps.audit.services import record
from tests.utils import PASSWORD, browser_login, enable_totp, grant, make_user

pytestmark = pytest.mark.django_db


def unique(name: str) -> str:
    # allauth counts failed sign-ins per login name in Redis, across test runs
    return f"{name}_{uuid.uuid4().hex[:8]}"


def actions_of(t, **filters) -> list[str]:
    with t.context():
        return list(AuditEntry.objects.filter(**filters).order_by("id").values_list("action", flat=True))


def test_browser_sign_in_sign_out_and_failure_are_recorded(tenants):
    t = tenants["academy"]
    name = unique("audited")
    with t.context():
        user = make_user(name)
    client = t.client(HTTP_USER_AGENT="Mozilla/5.0 test", REMOTE_ADDR="203.0.113.7")
    assert client.post("/accounts/login/", {"login": name, "password": "wrong"}).status_code == 200
    browser_login(client, name)
    client.post("/accounts/logout/")
    with t.context():
        rows = list(AuditEntry.objects.filter(resource_type="accounts.user", resource_id=str(user.pk)).order_by("id"))
    assert [r.action for r in rows] == ["auth.login_failed", "auth.login", "auth.logout"]
    failed, login, logout = rows
    assert failed.actor_id is None and failed.details == {"login": name, "known_user": True}
    assert "wrong" not in str(failed.details)
    assert login.actor_id == user.pk and login.actor_username == name
    assert (login.ip, login.user_agent) == ("203.0.113.7", "Mozilla/5.0 test")
    assert logout.actor_id == user.pk


def test_a_failed_sign_in_for_an_unknown_name_is_recorded_too(tenants):
    t = tenants["zone"]
    name = unique("nobody-here")
    t.client().post("/accounts/login/", {"login": name, "password": "x"})
    with t.context():
        entry = AuditEntry.objects.get(action="auth.login_failed")
    assert entry.details == {"login": name, "known_user": False}
    assert (entry.resource_type, entry.resource_id) == ("accounts.user", "")


def test_app_sign_in_sign_out_and_failure_are_recorded(tenants):
    t = tenants["store"]
    name = unique("app_user")
    with t.context():
        user = make_user(name)
    url = "/_allauth/app/v1/auth/login"
    bad = t.client().post(url, {"username": name, "password": "nope"}, content_type="application/json")
    assert bad.status_code == 400
    good = t.client().post(url, {"username": name, "password": PASSWORD}, content_type="application/json")
    token = good.json()["meta"]["session_token"]
    t.client().delete("/_allauth/app/v1/auth/session", HTTP_X_SESSION_TOKEN=token)
    assert actions_of(t, resource_id=str(user.pk), resource_type="accounts.user") == [
        "auth.login_failed",
        "auth.login",
        "auth.logout",
    ]


def test_refusals_through_the_api_are_recorded_with_the_permission(member, tenants):
    guardian, client = member("academy", "guardian")
    assert client.get("/api/v1/audit/entries/export/").status_code == 403
    with tenants["academy"].context():
        entry = AuditEntry.objects.get(action="permission.denied", actor=guardian)
    assert entry.details["permission"] == "audit:export"
    assert entry.details["path"] == "/api/v1/audit/entries/export/"


def test_admin_add_change_delete_and_actions_are_recorded(member, tenants):
    owner, client = member("academy", "owner")
    added = client.post(
        "/admin/accounts/user/add/", {"username": "made_in_admin", "password1": PASSWORD, "password2": PASSWORD}
    )
    assert added.status_code == 302
    t = tenants["academy"]
    with t.context():
        made = type(owner).objects.get(username="made_in_admin")
    changed = client.post(
        f"/admin/accounts/user/{made.pk}/change/",
        {
            "username": "made_in_admin",
            "display_name": "새 이름",
            "email": "",
            "language": "ko",
            "is_active": "on",
            "roles": ["coach"],
        },
    )
    assert changed.status_code == 302, changed.context["adminform"].form.errors
    deleted = client.post(
        "/admin/accounts/user/", {"action": "delete_selected", "_selected_action": [made.pk], "post": "yes"}
    )
    assert deleted.status_code == 302
    with t.context():
        rows = list(AuditEntry.objects.filter(actor=owner, resource_id=str(made.pk)).order_by("id"))
        assert not type(owner).objects.filter(pk=made.pk).exists()
    assert [r.action for r in rows] == ["admin.add", "role.granted", "admin.change", "admin.delete"]
    assert rows[2].details["message"] == [{"changed": {"fields": ["Display name", "roles"]}}]
    assert rows[3].resource_repr == "새 이름"


def test_admin_actions_are_recorded(tenants, live_tenant):
    """The operator console (public schema) records its custom actions too."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    store = live_tenant("store")
    # tenants fixture keeps the session's tenants; the operator works in public
    operator = get_user_model().objects.create_superuser("op_audit", "op@example.com", PASSWORD)
    secret = enable_totp(operator)
    client = Client(HTTP_HOST="localhost")
    browser_login(client, "op_audit", PASSWORD, secret)
    operator_id = operator.pk
    try:
        response = client.post("/admin/tenancy/tenant/", {"action": "suspend", "_selected_action": [store.tenant.pk]})
        assert response.status_code == 302
        entry = AuditEntry.objects.filter(action="admin.action", actor=operator).get()
        assert entry.details == {"action": "suspend", "selected": [str(store.tenant.pk)], "count": 1}
        assert entry.resource_type == "tenancy.tenant"
    finally:
        operator.delete()  # its audit rows stay: the foreign key has no constraint
    assert AuditEntry.objects.filter(actor_id=operator_id, action="auth.login").exists()


def test_the_database_refuses_update_delete_and_truncate(tenants):
    with tenants["club"].context():
        entry = record("test.entry", details={"n": 1})
        for statement in (
            "UPDATE audit_auditentry SET action = 'forged' WHERE id = %s",
            "DELETE FROM audit_auditentry WHERE id = %s",
            "TRUNCATE audit_auditentry",
        ):
            with (
                pytest.raises(DatabaseError, match=r"append-only|Cannot update or delete"),
                transaction.atomic(),
                connection.cursor() as cursor,
            ):
                cursor.execute(statement, [entry.pk] if "%s" in statement else None)
        with pytest.raises(DatabaseError), transaction.atomic():
            AuditEntry.objects.filter(pk=entry.pk).update(action="forged")
        entry.refresh_from_db()
        assert entry.action == "test.entry"


def test_record_refuses_a_malformed_action(tenants):
    with tenants["academy"].context(), pytest.raises(ValueError, match="not an audit action"):
        record("Login OK")


def test_csv_export_is_audited_escapes_formulas_and_keeps_korean(member, tenants):
    owner, client = member("academy", "owner")
    with tenants["academy"].context():
        record("test.entry", actor=owner, resource=("academy.student", 3), resource_repr="=HYPERLINK(1)")
        record("test.entry", actor=owner, resource=("academy.student", 4), resource_repr="김민준")
    response = client.get("/api/v1/audit/entries/export/", {"action": "test.entry"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows[0][0] == "ID" and rows[0][4] == "행위"  # Korean headers
    assert [row[7] for row in rows[1:]] == ["'=HYPERLINK(1)", "김민준"]
    with tenants["academy"].context():
        export = AuditEntry.objects.get(action="data.exported", actor=owner)
    assert export.details == {"format": "csv", "rows": 2, "filters": {"action": "test.entry"}}


def test_admin_csv_export_follows_the_filters_and_is_audited(member, tenants):
    manager, client = member("academy", "manager")
    with tenants["academy"].context():
        record("test.first", actor=manager)
        record("test.second", actor=manager)
    page = client.get("/admin/audit/auditentry/", {"action": "test.second"})
    assert page.status_code == 200 and page.context["export_url"].endswith("export/?action=test.second")
    response = client.get(page.context["export_url"])
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode().lstrip("\ufeff"))))
    assert [row[4] for row in rows[1:]] == ["test.second"]
    with tenants["academy"].context():
        assert AuditEntry.objects.get(action="data.exported", actor=manager).details["filters"] == {
            "action": "test.second"
        }


def test_admin_export_is_refused_without_audit_export(member, tenants):
    coach, client = member("academy", "coach")
    assert client.get("/admin/audit/auditentry/export/").status_code == 403
    with tenants["academy"].context():
        assert AuditEntry.objects.filter(action="permission.denied", actor=coach).count() == 1
        assert not AuditEntry.objects.filter(action="data.exported").exists()


def test_bad_filters_name_the_parameter(member):
    _owner, client = member("store", "owner")
    response = client.get("/api/v1/audit/entries/", {"since": "yesterday"})
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["since"]


def test_api_list_filters(member, tenants):
    owner, client = member("club", "floor_manager")
    with tenants["club"].context():
        record("test.a", actor=owner, resource=("club.table", 1))
        record("test.b", actor=owner, resource=("club.table", 2))
    rows = client.get("/api/v1/audit/entries/", {"resource_type": "club.table", "resource_id": "2"}).json()["results"]
    assert [row["action"] for row in rows] == ["test.b"]
    rows = client.get("/api/v1/audit/entries/", {"actor": owner.username, "action": "test.a"}).json()["results"]
    assert len(rows) == 1


def test_tenant_a_s_entries_are_invisible_on_b(tenants):
    a, b = tenants["academy"], tenants["academy_b"]
    with a.context():
        owner_a = make_user("twin_owner")
        grant(owner_a, "owner")
        enable_totp(owner_a)
        record("test.secret", actor=owner_a, details={"note": "only A"})
    with b.context():
        owner_b = make_user("twin_owner")
        grant(owner_b, "owner")
        enable_totp(owner_b)
        assert not AuditEntry.objects.filter(action="test.secret").exists()
    client_b = b.client()
    with b.context():
        client_b.force_login(owner_b)
    listed = client_b.get("/api/v1/audit/entries/", {"action": "test.secret"}).json()
    assert listed["count"] == 0
    body = b"".join(client_b.get("/api/v1/audit/entries/export/").streaming_content).decode()
    assert "only A" not in body and "test.secret" not in body
    admin = client_b.get("/admin/audit/auditentry/", {"q": "test.secret"})
    assert admin.status_code == 200 and not admin.context["cl"].queryset.exists()


@override_settings(TRUSTED_PROXIES=["10.0.0.0/8"])
def test_forwarded_for_is_believed_only_from_trusted_proxies(tenants):
    t = tenants["academy"]
    name = unique("behind_proxy")
    with t.context():
        make_user(name)
    spoofing = t.client(REMOTE_ADDR="198.51.100.9", HTTP_X_FORWARDED_FOR="1.2.3.4")
    spoofing.post("/accounts/login/", {"login": name, "password": "bad"})
    proxied = t.client(REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.20, 10.9.9.9")
    proxied.post("/accounts/login/", {"login": name, "password": "bad"})
    with t.context():
        ips = list(AuditEntry.objects.filter(action="auth.login_failed").order_by("id").values_list("ip", flat=True))
    assert ips == ["198.51.100.9", "198.51.100.20"]
