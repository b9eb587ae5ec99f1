"""TOTP for owner/manager/admin-type roles and superusers, with real codes (pyotp, an
independent RFC 6238 implementation): the admin sends them to enrol, the API answers
403 `mfa_required`, sign-in asks for the code."""

import pyotp
import pytest
from allauth.mfa.models import Authenticator

from apps.audit.models import AuditEntry
from tests.utils import PASSWORD, browser_login, enable_totp, grant, make_user, totp_code

pytestmark = pytest.mark.django_db


def test_an_owner_without_totp_is_sent_to_enrol_before_the_admin(tenants, django_capture_on_commit_callbacks):
    t = tenants["academy"]
    with t.context():
        owner = make_user("enrolling_owner")
        grant(owner, "owner")
    client = t.client()
    browser_login(client, "enrolling_owner")
    response = client.get("/admin/accounts/user/")
    assert response.status_code == 302
    assert response.url == "/accounts/2fa/totp/activate/?next=%2Fadmin%2Faccounts%2Fuser%2F"

    # allauth asks for the password again before an authenticator is added
    reauth = client.get(response.url)
    assert reauth.url.startswith("/accounts/reauthenticate/")
    back = client.post(reauth.url, {"password": PASSWORD})
    assert back.status_code == 302 and back.url == response.url
    page = client.get(response.url)
    assert page.status_code == 200
    secret = page.context["form"].secret
    assert f"secret={secret}" in page.context["totp_url"]
    not_the_code = "000000" if totp_code(secret) != "000000" else "111111"
    wrong = client.post("/accounts/2fa/totp/activate/", {"code": not_the_code})
    assert wrong.status_code == 200 and wrong.context["form"].errors
    with t.context():
        assert not Authenticator.objects.filter(user=owner).exists()

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post("/accounts/2fa/totp/activate/", {"code": pyotp.TOTP(secret).now()})
    # back where the admin sent them from, not left on the recovery-codes page (issue 12, 11)
    assert done.status_code == 302 and done.url == "/admin/accounts/user/"
    assert client.get("/admin/accounts/user/").status_code == 200
    with t.context():
        assert Authenticator.objects.filter(user=owner, type="totp").exists()
        assert AuditEntry.objects.filter(action="mfa.enabled", actor=owner).exists()


def test_sign_in_asks_for_the_code_and_records_a_wrong_one(tenants):
    t = tenants["zone"]
    with t.context():
        admin = make_user("zadmin")
        grant(admin, "zone_admin")
        secret = enable_totp(admin)
    client = t.client()
    first = client.post("/accounts/login/", {"login": "zadmin", "password": PASSWORD})
    assert first.url.startswith("/accounts/2fa/authenticate/")
    assert client.get("/api/v1/me/").status_code in (401, 403)  # not signed in yet
    code = totp_code(secret)
    wrong = client.post("/accounts/2fa/authenticate/", {"code": f"{(int(code) + 1) % 1_000_000:06d}"})
    assert wrong.status_code == 200
    right = client.post("/accounts/2fa/authenticate/", {"code": code})
    assert right.status_code == 302
    assert client.get("/admin/").status_code == 200
    with t.context():
        failed = AuditEntry.objects.get(action="auth.mfa_failed")
        assert failed.resource_id == str(admin.pk) and failed.actor is None
        assert AuditEntry.objects.filter(action="auth.login", actor=admin).count() == 1


def test_the_admin_s_own_login_form_is_not_used(tenants):
    response = tenants["store"].client().get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_roles_without_the_requirement_are_not_asked(member):
    _coach, client = member("academy", "coach")
    assert client.get("/admin/").status_code == 200
    assert client.get("/api/v1/audit/entries/").status_code == 200


def _app_login(t, username: str) -> dict:
    return t.client().post(
        "/_allauth/app/v1/auth/login", {"username": username, "password": PASSWORD}, content_type="application/json"
    )


def test_api_answers_mfa_required_until_the_app_enrols(tenants):
    t = tenants["club"]
    with t.context():
        boss = make_user("floorboss")
        grant(boss, "floor_manager")
    login = _app_login(t, "floorboss")
    assert login.status_code == 200
    token = login.json()["meta"]["session_token"]
    api = t.client(HTTP_X_SESSION_TOKEN=token)

    refused = api.get("/api/v1/audit/entries/")
    assert refused.status_code == 403
    assert refused.json()["code"] == "mfa_required"
    assert api.get("/api/v1/roles/").json()["code"] == "mfa_required"
    me = api.get("/api/v1/me/").json()  # answers, so the app knows why
    assert me["mfa"] == {"required": True, "enabled": False} and me["permissions"] == []
    with t.context():
        denial = AuditEntry.objects.filter(action="permission.denied", actor=boss).latest("id")
        assert denial.details["code"] == "mfa_required"

    setup = api.get("/_allauth/app/v1/account/authenticators/totp")
    assert setup.status_code == 404
    secret = setup.json()["meta"]["secret"]
    # allauth asks for the password again before an authenticator is added
    reauth = api.post("/_allauth/app/v1/auth/reauthenticate", {"password": PASSWORD}, content_type="application/json")
    assert reauth.status_code == 200, reauth.content
    enrolled = api.post(
        "/_allauth/app/v1/account/authenticators/totp", {"code": totp_code(secret)}, content_type="application/json"
    )
    assert enrolled.status_code == 200, enrolled.content
    assert api.get("/api/v1/audit/entries/").status_code == 200
    assert "wallet:adjust" in api.get("/api/v1/me/").json()["permissions"]

    # The next app sign-in asks for the code.
    pending = _app_login(t, "floorboss")
    assert pending.status_code == 401
    flows = {flow["id"]: flow for flow in pending.json()["data"]["flows"]}
    assert flows["mfa_authenticate"].get("is_pending")
    pending_token = pending.json()["meta"]["session_token"]
    done = t.client(HTTP_X_SESSION_TOKEN=pending_token).post(
        "/_allauth/app/v1/auth/2fa/authenticate", {"code": pyotp.TOTP(secret).now()}, content_type="application/json"
    )
    assert done.status_code == 200, done.content
    assert t.client(HTTP_X_SESSION_TOKEN=done.json()["meta"]["session_token"]).get("/api/v1/roles/").status_code == 200


def test_holders_of_mfa_roles_cannot_turn_totp_off_in_the_browser(tenants):
    t = tenants["store"]
    with t.context():
        owner = make_user("keeps_totp")
        grant(owner, "owner")
        secret = enable_totp(owner)
    client = t.client()
    browser_login(client, "keeps_totp", totp_secret=secret)
    reauth = client.post("/accounts/2fa/totp/deactivate/")
    assert reauth.url.startswith("/accounts/reauthenticate/")
    # The password given, allauth resumes the deactivation, which the adapter refuses.
    page = client.post(reauth.url, {"password": PASSWORD})
    assert page.status_code == 200
    assert page.context["form"].errors["__all__"] == ["2단계 인증을 비활성화 할 수 없습니다."]
    with t.context():
        assert Authenticator.objects.filter(user=owner, type="totp").exists()


def test_platform_superusers_need_totp_too(tenants):
    from django.test import Client

    user = make_user("platform_root", is_superuser=True, is_staff=True)  # public schema
    client = Client(HTTP_HOST="localhost")
    browser_login(client, "platform_root")
    assert client.get("/admin/tenancy/tenant/").url.startswith("/accounts/2fa/totp/activate/")
    secret = enable_totp(user)
    client = Client(HTTP_HOST="localhost")
    browser_login(client, "platform_root", totp_secret=secret)
    assert client.get("/admin/tenancy/tenant/").status_code == 200
