"""A login on one tenant must mean nothing on another, even when the other tenant has a
user with the same username and primary key."""

import pytest
from django_tenants.utils import schema_context

from tests.utils import PASSWORD, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def twins(tenants):
    """The same username (and, in fresh schemas, the same pk) on two academies."""
    a, b = tenants["academy"], tenants["academy_b"]
    with a.context():
        ua = make_user("twin", display_name="A's twin")
    with b.context():
        ub = make_user("twin", display_name="B's twin")
    return a, b, ua, ub


def app_login(t, username="twin", password=PASSWORD) -> str:
    response = t.client().post(
        "/_allauth/app/v1/auth/login", {"username": username, "password": password}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    return response.json()["meta"]["session_token"]


def test_browser_session_of_tenant_a_is_refused_on_tenant_b(twins):
    a, b, _ua, _ub = twins
    client = a.client()
    response = client.post("/accounts/login/", {"login": "twin", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/api/v1/me/").json()["display_name"] == "A's twin"

    stolen = client.cookies["mc_session"].value
    other = b.client()
    other.cookies["mc_session"] = stolen
    response = other.get("/api/v1/me/")
    assert response.status_code in (401, 403)
    assert response.json()["code"] in ("not_authenticated", "permission_denied")
    assert other.get("/admin/").status_code == 302  # sent to log in, not let in


def test_app_token_of_tenant_a_is_refused_on_tenant_b(twins):
    a, b, _ua, _ub = twins
    token = app_login(a)
    mine = a.client().get("/api/v1/me/", HTTP_X_SESSION_TOKEN=token)
    assert mine.status_code == 200
    assert mine.json()["tenant"]["schema"] == a.schema

    theirs = b.client().get("/api/v1/me/", HTTP_X_SESSION_TOKEN=token)
    assert theirs.status_code == 401
    assert theirs.json() == {"code": "not_authenticated", "message": theirs.json()["message"]}
    assert theirs["WWW-Authenticate"].startswith("X-Session-Token")
    # allauth answers an unknown session token with 410 Gone (its headless spec)
    assert b.client().get("/_allauth/app/v1/auth/session", HTTP_X_SESSION_TOKEN=token).status_code == 410


def test_login_on_one_tenant_does_not_know_another_tenants_users(tenants):
    a, b = tenants["academy"], tenants["academy_b"]
    with a.context():
        make_user("only_in_a")
    response = b.client().post(
        "/_allauth/app/v1/auth/login", {"username": "only_in_a", "password": PASSWORD}, content_type="application/json"
    )
    assert response.status_code == 400


def test_logged_out_token_is_refused(twins):
    a, _b, _ua, _ub = twins
    token = app_login(a)
    assert a.client().delete("/_allauth/app/v1/auth/session", HTTP_X_SESSION_TOKEN=token).status_code == 401
    assert a.client().get("/api/v1/me/", HTTP_X_SESSION_TOKEN=token).status_code == 401


def test_operators_cannot_sign_up_on_the_platform_host(tenants):
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client(HTTP_HOST="localhost")
    page = client.get("/accounts/signup/")
    assert "account/signup_closed.html" in [t.name for t in page.templates]
    client.post(
        "/accounts/signup/",
        {"username": "intruder", "email": "i@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert not get_user_model().objects.filter(username="intruder").exists()


def test_tenant_users_can_sign_up_on_their_own_host(tenants):
    from django.contrib.auth import get_user_model

    t = tenants["academy"]
    response = t.client().post(
        "/accounts/signup/",
        {"username": "newparent", "email": "p@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302
    with t.context():
        assert get_user_model().objects.filter(username="newparent").exists()
    with schema_context("public"):
        assert not get_user_model().objects.filter(username="newparent").exists()


def test_an_app_token_is_looked_up_in_one_read_of_its_own_tenants_store(twins, monkeypatch):
    """The token strategy loads the session without asking first whether it exists (one Redis
    round trip per app request, not two), and still finds nothing for another tenant's,
    a logged-out or a made-up token."""
    from django.contrib.sessions.backends.cached_db import SessionStore

    a, b, _ua, _ub = twins
    token = app_login(a)

    def no_exists(self, session_key):
        raise AssertionError("the session was asked for by exists() before being loaded")

    monkeypatch.setattr(SessionStore, "exists", no_exists)
    assert a.client().get("/api/v1/me/", HTTP_X_SESSION_TOKEN=token).status_code == 200
    assert b.client().get("/api/v1/me/", HTTP_X_SESSION_TOKEN=token).status_code == 401
    assert a.client().get("/api/v1/me/", HTTP_X_SESSION_TOKEN="x" * 32).status_code == 401
    assert b.client().get("/_allauth/app/v1/auth/session", HTTP_X_SESSION_TOKEN=token).status_code == 410
    assert a.client().delete("/_allauth/app/v1/auth/session", HTTP_X_SESSION_TOKEN=token).status_code == 401
    assert a.client().get("/api/v1/me/", HTTP_X_SESSION_TOKEN=token).status_code == 401
