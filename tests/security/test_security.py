"""The city's police, against the running test stack: the real ASGI server (uvicorn) on the
test database and Redis, a committed academy, real HTTP.

- a login brute-forced until it locks (app and browser), and the lock seen by every process;
- every academy role against the academy API endpoints it must not reach (the role, audit
  and admin endpoints of every type are in tests/accounts/test_role_matrix.py);
- a guardian asking for another family's child;
- a logged-out session replayed, by cookie and by app token;
- a too-large body and malformed JSON: a clear 4xx and nothing written;
- the security headers on an HTML page and an API response;
- and, for each, the audit rows it leaves.
"""

from __future__ import annotations

import re
from datetime import date
from types import SimpleNamespace

import httpx
import pytest

from apps.academy.models import Consultation, Guardian, Invoice
from apps.academy.services import billing, enrollment, people
from apps.audit.models import AuditEntry
from apps.core import ratelimit
from tests.academy.conftest import build_academy, student
from tests.security.test_headers import assert_security_headers
from tests.utils import PASSWORD, grant, make_user

LOGIN = "/_allauth/app/v1/auth/login"


@pytest.fixture
def city(live_tenant):
    """A committed academy with two families, a guardian of the first and a desk clerk."""
    t = live_tenant("academy")
    academy = build_academy(t)
    with t.context():
        mine = student("내아이", date(2015, 1, 1), "010-1111-2222")
        theirs = student("남의아이", date(2015, 2, 2), "010-9999-8888")
        enrollment.enroll(mine, academy.klass, starts_on=date(2026, 12, 1))
        guardian = make_user("guardian_kim")
        grant(guardian, "guardian")
        Guardian.objects.filter(phone_index=people.phone_index("01011112222")).update(user=guardian)
        clerk = make_user("desk_lee")
        grant(clerk, "staff")
    return SimpleNamespace(t=t, academy=academy, mine=mine, theirs=theirs, guardian=guardian, clerk=clerk)


def http(server, host: str) -> httpx.Client:
    return httpx.Client(base_url=f"http://127.0.0.1:{server.port}", headers={"Host": host}, timeout=20)


def app_login(client: httpx.Client, username: str) -> str:
    response = client.post(LOGIN, json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return response.json()["meta"]["session_token"]


def csrf_token(client: httpx.Client, path: str) -> str:
    page = client.get(path)
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)


def browser_login(client: httpx.Client, username: str, password: str = PASSWORD) -> httpx.Response:
    token = csrf_token(client, "/accounts/login/")
    return client.post("/accounts/login/", data={"login": username, "password": password, "csrfmiddlewaretoken": token})


def audit(t, **filters) -> list[AuditEntry]:
    with t.context():
        return list(AuditEntry.objects.filter(**filters).order_by("pk"))


# ---------------------------------------------------------------------------- brute force


def test_a_brute_forced_login_is_locked_for_fifteen_minutes(asgi_server, city):
    t = city.t
    with http(asgi_server, t.domain) as client:
        statuses = []
        for attempt in range(10):
            response = client.post(LOGIN, json={"username": "guardian_kim", "password": f"Guess-{attempt}!Aa"})
            statuses.append(response.status_code)
            if response.status_code == 429:
                break
        assert statuses == [400] * 5 + [429]
        assert 890 <= int(response.headers["Retry-After"]) <= 900
        # the right password no longer helps, by app or by browser (the admin signs in there)
        assert client.post(LOGIN, json={"username": "guardian_kim", "password": PASSWORD}).status_code == 429
        assert client.get("/admin/", follow_redirects=True).url.path == "/accounts/login/"
        page = browser_login(client, "guardian_kim")
        assert page.status_code == 429 and "요청이 너무 많습니다" in page.text
        assert_security_headers(page)
        # the address is locked as well: another account from it is refused
        assert client.post(LOGIN, json={"username": "desk_lee", "password": PASSWORD}).status_code == 429

    # The lock lives in the shared Redis: this process sees what the server set.
    with t.context():
        assert ratelimit.locked_for(ratelimit.key("login", "ip-lock", "127.0.0.1")) > 890
        assert ratelimit.locked_for(ratelimit.key("login", "account-lock", f"user:{city.guardian.pk}")) > 890
    failed = audit(t, action="auth.login_failed")
    assert len(failed) == 5 and {e.resource_id for e in failed} == {str(city.guardian.pk)}
    assert all(e.ip == "127.0.0.1" and e.actor_id is None for e in failed)
    locks = audit(t, action="auth.login_locked")
    assert sorted(e.details["scope"] for e in locks) == ["account", "ip"]
    assert all(e.details["seconds"] == 900 for e in locks)
    assert audit(t, action="auth.login") == []


def test_a_lock_on_one_academy_leaves_the_same_name_on_another_alone(asgi_server, live_tenant):
    a, b = live_tenant("academy"), live_tenant("academy")
    for t in (a, b):
        with t.context():
            make_user("same_name")
    with http(asgi_server, a.domain) as client:
        for _ in range(5):
            client.post(LOGIN, json={"username": "same_name", "password": "Wrong-1!aa"})
        assert client.post(LOGIN, json={"username": "same_name", "password": PASSWORD}).status_code == 429
    with http(asgi_server, b.domain) as client:
        assert client.post(LOGIN, json={"username": "same_name", "password": PASSWORD}).status_code == 200
    assert audit(b, action="auth.login_locked") == []
    assert len(audit(b, action="auth.login")) == 1


# ---------------------------------------------------------------------------- roles

ACADEMY_ROLES = ["owner", "manager", "coach", "staff", "guardian", "student"]
# Read endpoints of the academy API and who may reach them, written out by hand.
READS = {
    "/api/v1/students/": {"owner", "manager", "coach", "staff", "guardian"},
    "/api/v1/consultations/": {"owner", "manager", "staff"},
    "/api/v1/enrollments/": {"owner", "manager", "staff"},
    "/api/v1/invoices/": {"owner", "manager", "staff", "guardian"},
    "/api/v1/payments/": {"owner", "manager", "staff", "guardian"},
    "/api/v1/vindex/": {"owner", "manager", "coach"},
    "/api/v1/dashboard/": {"owner", "manager", "coach", "staff"},
    "/api/v1/classes/": {"owner", "manager", "coach", "staff", "guardian", "student"},
}
# Writes, tried only by the roles that must be refused (nothing may be written).
WRITES = {
    ("/api/v1/consultations/", "consultation"): {"coach", "guardian", "student"},
    ("/api/v1/invoices/issue_monthly/", "invoice"): {"coach", "guardian", "student"},
}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ACADEMY_ROLES)
def test_every_academy_role_against_the_academy_api(member, tenants, role):
    t = tenants["academy"]
    build_academy(t)
    with t.context():
        billing.issue_monthly_invoices(date(2026, 12, 1))
    user, client = member("academy", role)
    refused = 0
    for path, allowed in READS.items():
        status = client.get(path).status_code
        assert status == (200 if role in allowed else 403), (role, path, status)
        refused += role not in allowed
    with t.context():
        before = (Consultation.objects.count(), Invoice.objects.count())
    for (path, _resource), refused_roles in WRITES.items():
        if role in refused_roles:
            body = {"student_name": "침입", "guardian_phone": "010-0000-1111", "month": "2026-12-01"}
            response = client.post(path, body, content_type="application/json")
            assert response.status_code == 403 and response.json()["code"] == "permission_denied", (role, path)
            refused += 1
    with t.context():
        assert (Consultation.objects.count(), Invoice.objects.count()) == before
        denials = AuditEntry.objects.filter(action="permission.denied", actor_id=user.pk)
        assert denials.count() == refused
        assert all(d.details.get("path", "").startswith("/api/v1/") for d in denials)


# ---------------------------------------------------------------------------- scoping


def test_a_guardian_asking_for_another_familys_child_gets_404(asgi_server, city):
    t = city.t
    with http(asgi_server, t.domain) as client:
        token = app_login(client, "guardian_kim")
        headers = {"X-Session-Token": token}
        own = client.get(f"/api/v1/students/{city.mine.pk}/", headers=headers)
        assert own.status_code == 200 and own.json()["name"] == "내아이"
        other = client.get(f"/api/v1/students/{city.theirs.pk}/", headers=headers)
        assert other.status_code == 404 and other.json()["code"] == "not_found"
        assert "남의아이" not in other.text
        missing = client.get("/api/v1/students/999999/", headers=headers)
        assert missing.status_code == 404 and missing.json() == other.json()  # indistinguishable
        listed = client.get("/api/v1/students/", headers=headers).json()["results"]
        assert [s["name"] for s in listed] == ["내아이"]
        history = client.get(f"/api/v1/students/{city.theirs.pk}/attendance/", headers=headers)
        assert history.status_code == 404
    attempts = audit(t, action="access.out_of_scope")
    assert [(e.actor_id, e.resource_type, e.resource_id) for e in attempts] == [
        (city.guardian.pk, "academy.student", str(city.theirs.pk))
    ] * len(attempts)
    assert len(attempts) >= 1  # the unknown id is not "out of scope", it does not exist
    assert len(audit(t, action="auth.login", actor_id=city.guardian.pk)) == 1


# ---------------------------------------------------------------------------- replay


def test_a_logged_out_app_token_is_refused(asgi_server, city):
    t = city.t
    with http(asgi_server, t.domain) as client:
        token = app_login(client, "guardian_kim")
        headers = {"X-Session-Token": token}
        assert client.get("/api/v1/me/", headers=headers).status_code == 200
        assert client.delete("/_allauth/app/v1/auth/session", headers=headers).status_code == 401  # logged out
    with http(asgi_server, t.domain) as replay:
        response = replay.get("/api/v1/me/", headers={"X-Session-Token": token})
        assert response.status_code == 401 and response.json()["code"] == "not_authenticated"
        assert replay.get("/_allauth/app/v1/auth/session", headers={"X-Session-Token": token}).status_code == 410
    assert [e.action for e in audit(t, actor_id=city.guardian.pk)] == ["auth.login", "auth.logout"]


async def test_a_logged_out_app_token_opens_no_websocket(asgi_server, city):
    from asgiref.sync import sync_to_async
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    from apps.core.websocket import CloseCode

    t = city.t
    base = f"http://127.0.0.1:{asgi_server.port}"
    async with httpx.AsyncClient(base_url=base, headers={"Host": t.domain}) as client:
        login = await client.post(LOGIN, json={"username": "guardian_kim", "password": PASSWORD})
        token = login.json()["meta"]["session_token"]
        uri = f"ws://{t.domain}:{asgi_server.port}/ws/ping/"
        async with connect(
            uri, host="127.0.0.1", port=asgi_server.port, additional_headers={"X-Session-Token": token}
        ) as ws:
            assert '"hello"' in await ws.recv()
        await client.delete("/_allauth/app/v1/auth/session", headers={"X-Session-Token": token})
    async with connect(
        uri, host="127.0.0.1", port=asgi_server.port, additional_headers={"X-Session-Token": token}
    ) as ws:
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd.code == CloseCode.UNAUTHENTICATED
    actions = await sync_to_async(lambda: [e.action for e in audit(t, actor_id=city.guardian.pk)])()
    assert actions == ["auth.login", "auth.logout"]


def test_a_logged_out_session_cookie_is_refused(asgi_server, city):
    t = city.t
    with http(asgi_server, t.domain) as client:
        assert browser_login(client, "guardian_kim").status_code == 302
        cookie = client.cookies["mc_session"]
        assert client.get("/api/v1/me/").json()["username"] == "guardian_kim"
        token = csrf_token(client, "/accounts/logout/")
        assert client.post("/accounts/logout/", data={"csrfmiddlewaretoken": token}).status_code == 302
    with http(asgi_server, t.domain) as replay:
        replay.cookies.set("mc_session", cookie)
        assert replay.get("/api/v1/me/").status_code == 401
        assert replay.get("/admin/", follow_redirects=True).url.path == "/accounts/login/"
        assert "guardian_kim" not in replay.get("/").text
    assert [e.action for e in audit(t, actor_id=city.guardian.pk)] == ["auth.login", "auth.logout"]


def test_a_form_without_its_csrf_token_is_refused(asgi_server, city):
    with http(asgi_server, city.t.domain) as client:
        assert browser_login(client, "guardian_kim").status_code == 302
        response = client.post("/accounts/logout/")
        assert response.status_code == 403
        assert client.get("/api/v1/me/").status_code == 200  # still signed in


# ---------------------------------------------------------------------------- bad bodies


def test_too_large_and_malformed_bodies_get_a_clear_4xx_and_write_nothing(asgi_server, city):
    t = city.t
    with http(asgi_server, t.domain) as client:
        headers = {"X-Session-Token": app_login(client, "desk_lee"), "Content-Type": "application/json"}
        with t.context():
            before = (Consultation.objects.count(), AuditEntry.objects.count())
        malformed = client.post("/api/v1/consultations/", content=b'{"student_name": "x",', headers=headers)
        assert malformed.status_code == 400 and malformed.json()["code"] == "parse_error"
        not_an_object = client.post("/api/v1/consultations/", content=b"[1, 2", headers=headers)
        assert not_an_object.status_code == 400 and not_an_object.json()["code"] == "parse_error"
        big = b'{"student_name": "' + b"x" * 3_000_000 + b'"}'
        too_large = client.post("/api/v1/consultations/", content=big, headers=headers)
        assert too_large.status_code == 413 and too_large.json()["code"] == "payload_too_large"
        assert "2621440" in too_large.json()["message"]
        app = client.post(LOGIN, content=big, headers={"Content-Type": "application/json"})
        assert app.status_code == 413
        form = client.post("/accounts/login/", data={"login": "x" * 3_000_000, "password": "y"})
        assert form.status_code == 413 and "요청이 너무 큽니다" in form.text
        empty_fields = client.post("/api/v1/consultations/", json={"student_name": ""}, headers=headers)
        assert empty_fields.status_code == 400 and "student_name" in empty_fields.json()["fields"]
    with t.context():
        assert (Consultation.objects.count(), AuditEntry.objects.count()) == before


# ---------------------------------------------------------------------------- headers


def test_security_headers_on_an_html_page_and_an_api_response(asgi_server, city):
    with http(asgi_server, city.t.domain) as client:
        page = client.get("/accounts/login/")
        api = client.get("/api/v1/site/")
        docs = client.get("/api/docs/")
    for response in (page, api, docs):
        assert response.status_code == 200
        assert_security_headers(response)
    assert page.headers["content-type"].startswith("text/html")
    assert api.headers["content-type"] == "application/json"
