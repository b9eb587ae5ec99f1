"""Rate limits (apps.core.ratelimit) against the real Redis: sign-in locks per account and
per address, sign-up, the API, AI and withdrawal throttles, and their 429 answers."""

from __future__ import annotations

import threading

import pytest
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from apps.audit.models import AuditEntry
from apps.core import ratelimit
from tests.utils import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def wrong(client, login: str, ip: str = "127.0.0.1"):
    return client.post("/accounts/login/", {"login": login, "password": "Wrong-pass-1!"}, REMOTE_ADDR=ip)


def right(client, login: str, ip: str = "127.0.0.1"):
    return client.post("/accounts/login/", {"login": login, "password": PASSWORD}, REMOTE_ADDR=ip)


def test_five_failures_lock_the_account_even_with_the_right_password(tenants):
    t = tenants["academy"]
    with t.context():
        make_user("victim", email="victim@example.com")
    client = t.client()
    # Each attempt from another address: only the account's limit is in play.
    for n in range(5):
        assert wrong(client, "victim" if n % 2 else "victim@example.com", ip=f"10.0.0.{n}").status_code == 200
    refused = right(client, "victim", ip="10.0.1.1")
    assert refused.status_code == 429
    assert 890 <= int(refused["Retry-After"]) <= 900
    assert "429" in refused.content.decode() and "너무 많" in refused.content.decode()
    assert "_auth_user_id" not in client.session
    with t.context():
        locks = list(AuditEntry.objects.filter(action="auth.login_locked"))
        assert [(e.details["scope"], e.details["seconds"]) for e in locks] == [("account", 900)]
        # the attempts that were refused never reached authentication
        assert AuditEntry.objects.filter(action="auth.login_failed").count() == 5
        assert not AuditEntry.objects.filter(action="auth.login").exists()


def test_five_failures_from_one_address_lock_that_address(tenants):
    t = tenants["academy"]
    with t.context():
        make_user("bystander")
    client = t.client()
    for n in range(5):
        assert wrong(client, f"guess{n}", ip="192.0.2.7").status_code == 200
    assert right(client, "bystander", ip="192.0.2.7").status_code == 429
    # the same account from another address is not locked
    assert right(t.client(), "bystander", ip="192.0.2.8").status_code == 302
    with t.context():
        assert [e.details["scope"] for e in AuditEntry.objects.filter(action="auth.login_locked")] == ["ip"]


def test_four_failures_do_not_lock(tenants):
    t = tenants["academy"]
    with t.context():
        make_user("clumsy")
    client = t.client()
    for n in range(4):
        wrong(client, "clumsy", ip=f"10.9.0.{n}")
    assert right(client, "clumsy", ip="10.9.1.1").status_code == 302


def test_a_lock_on_one_tenant_does_not_lock_the_same_name_on_another(tenants):
    a, b = tenants["academy"], tenants["academy_b"]
    for t in (a, b):
        with t.context():
            make_user("twin")
    for _ in range(5):
        wrong(a.client(), "twin")
    assert right(a.client(), "twin").status_code == 429
    assert right(b.client(), "twin").status_code == 302
    with b.context():
        assert not AuditEntry.objects.filter(action="auth.login_locked").exists()


def test_app_login_is_locked_too_with_allauths_format_and_retry_after(tenants):
    t = tenants["store"]
    with t.context():
        make_user("app_user")
    client = t.client()
    url = "/_allauth/app/v1/auth/login"
    for _ in range(5):
        bad = client.post(url, {"username": "app_user", "password": "x"}, content_type="application/json")
        assert bad.status_code == 400
    locked = client.post(url, {"username": "app_user", "password": PASSWORD}, content_type="application/json")
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) > 800
    assert locked.json()["status"] == 429 and locked.json()["errors"][0]["code"] == "too_many_requests"


def test_the_admin_signs_in_through_the_limited_form(tenants):
    response = tenants["club"].client().get("/admin/login/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_sign_up_three_per_minute_per_address(tenants):
    t = tenants["zone"]
    client = t.client()
    for n in range(3):
        form = {"username": f"new{n}", "email": f"new{n}@example.com", "password1": PASSWORD, "password2": PASSWORD}
        assert client.post("/accounts/signup/", form, REMOTE_ADDR="198.51.100.1").status_code == 302
        client.logout()
    form = {"username": "new3", "email": "new3@example.com", "password1": PASSWORD, "password2": PASSWORD}
    refused = client.post("/accounts/signup/", form, REMOTE_ADDR="198.51.100.1")
    assert refused.status_code == 429 and int(refused["Retry-After"]) <= 60
    headless = client.post(
        "/_allauth/app/v1/auth/signup",
        {"username": "new4", "email": "new4@example.com", "password": PASSWORD},
        content_type="application/json",
        REMOTE_ADDR="198.51.100.1",
    )
    assert headless.status_code == 429
    # another address may still sign up; nothing was created by the refused ones
    assert client.post("/accounts/signup/", form, REMOTE_ADDR="198.51.100.2").status_code == 302
    from django.contrib.auth import get_user_model

    with t.context():
        assert not get_user_model().objects.filter(username="new4").exists()


def test_api_hundred_per_minute_per_user_with_the_error_body(member):
    _user, client = member("academy", "coach")
    _other, other_client = member("academy", "coach")
    for _ in range(100):
        assert client.get("/api/v1/me/").status_code == 200
    refused = client.get("/api/v1/me/")
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    body = refused.json()
    assert body["code"] == "throttled" and set(body) == {"code", "message"}
    assert "요청이 너무 많습니다" in body["message"]
    assert other_client.get("/api/v1/me/").status_code == 200  # per user


def test_anonymous_api_callers_are_counted_per_address(tenants):
    client = tenants["club"].client()
    for _ in range(100):
        assert client.get("/api/v1/site/", REMOTE_ADDR="203.0.113.5").status_code == 200
    assert client.get("/api/v1/site/", REMOTE_ADDR="203.0.113.5", HTTP_ACCEPT_LANGUAGE="en").json()["message"]
    assert client.get("/api/v1/site/", REMOTE_ADDR="203.0.113.6").status_code == 200


class AiProbe(APIView):
    """Stands in for an AI endpoint (none exists yet): what zone and store views declare."""

    permission_classes = [AllowAny]
    throttle_classes = ratelimit.AI_THROTTLES

    def post(self, request):
        return Response({"ok": True})


class WithdrawalProbe(APIView):
    permission_classes = [AllowAny]
    throttle_classes = ratelimit.WITHDRAWAL_THROTTLES

    def post(self, request):
        return Response({"ok": True})


def test_ai_endpoints_ten_per_minute(tenants, member):
    user, _ = member("zone", "student")
    view = AiProbe.as_view()
    factory = APIRequestFactory()
    with tenants["zone"].context():
        codes = []
        for _ in range(11):
            request = factory.post("/api/v1/tutor/ask/", {}, format="json")
            force_authenticate(request, user=user)
            response = view(request)
            codes.append(response.status_code)
        assert codes == [200] * 10 + [429]
        assert response["Retry-After"] and response.data["code"] == "throttled"


def test_withdrawals_ten_per_hour(tenants, member):
    user, _ = member("club", "player")
    view = WithdrawalProbe.as_view()
    factory = APIRequestFactory()
    with tenants["club"].context():
        codes = []
        for _ in range(11):
            request = factory.post("/api/v1/wallet/withdrawals/", {}, format="json")
            force_authenticate(request, user=user)
            response = view(request)
            codes.append(response.status_code)
        assert codes == [200] * 10 + [429]
        assert 3500 < int(response["Retry-After"]) <= 3600


def test_the_window_is_atomic_under_concurrent_callers(tenants):
    with tenants["academy"].context():
        k = ratelimit.key("api", "user", "concurrent")
    allowed = []

    def worker():
        for _ in range(25):
            if ratelimit.hit(k, 100, 60) == 0:
                allowed.append(1)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(allowed) == 100


def test_rates_parse_and_refuse_nonsense():
    assert ratelimit.Rate.parse("5/min") == ratelimit.Rate(5, 60)
    assert ratelimit.Rate.parse("10/hour") == ratelimit.Rate(10, 3600)
    assert ratelimit.Rate.parse("3/30s") == ratelimit.Rate(3, 30)
    assert ratelimit.Rate.parse({"rate": "5/min", "lock": 900}).lock == 900
    with pytest.raises(ValueError):
        ratelimit.Rate.parse("5/fortnight")


def test_limits_can_be_switched_off(tenants, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "ENABLED": False}
    t = tenants["academy"]
    with t.context():
        make_user("free")
    for _ in range(7):
        wrong(t.client(), "free")
    assert right(t.client(), "free").status_code == 302


def test_wrong_totp_codes_are_limited_and_lock_the_account(tenants):
    from tests.utils import enable_totp, grant, totp_code

    t = tenants["zone"]
    with t.context():
        admin = make_user("totp_target")
        grant(admin, "zone_admin")
        secret = enable_totp(admin)
    client = t.client()
    assert client.post("/accounts/login/", {"login": "totp_target", "password": PASSWORD}).status_code == 302
    wrong_code = str((int(totp_code(secret)) + 500_000) % 1_000_000).zfill(6)
    for _ in range(5):
        assert client.post("/accounts/2fa/authenticate/", {"code": wrong_code}).status_code == 200
    # allauth's per-user limit on codes: even the right code is refused for now
    refused = client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    assert refused.status_code == 200 and "_auth_user_id" not in client.session
    # and the five wrong codes locked the account for new sign-ins
    assert t.client().post("/accounts/login/", {"login": "totp_target", "password": PASSWORD}).status_code == 429
    with t.context():
        assert AuditEntry.objects.filter(action="auth.mfa_failed").count() == 5
        assert sorted(e.details["scope"] for e in AuditEntry.objects.filter(action="auth.login_locked")) == [
            "account",
            "ip",
        ]
