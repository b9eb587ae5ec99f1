"""Websockets: tenant from the Host header, authentication from that tenant's session or
app token, group names per schema, clear close codes."""

import pytest

from apps.core.websocket import CloseCode
from apps.tenancy import services
from apps.tenancy.models import Tenant
from tests.utils import PASSWORD, make_user
from tests.websocket import close_code, open_socket


def browser_login(t, username: str) -> str:
    client = t.client()
    assert client.post("/accounts/login/", {"login": username, "password": PASSWORD}).status_code == 302
    return client.cookies["mc_session"].value


def app_login(t, username: str) -> str:
    response = t.client().post(
        "/_allauth/app/v1/auth/login", {"username": username, "password": PASSWORD}, content_type="application/json"
    )
    return response.json()["meta"]["session_token"]


@pytest.fixture
def two_academies(live_tenant):
    a, b = live_tenant("academy"), live_tenant("academy")
    for t in (a, b):
        with t.context():
            make_user("coach")  # same username and pk in both schemas
    return {
        "a": a,
        "b": b,
        "cookie_a": browser_login(a, "coach"),
        "token_a": app_login(a, "coach"),
        "cookie_b": browser_login(b, "coach"),
    }


async def test_authenticated_socket_runs_in_its_tenants_schema(two_academies):
    a = two_academies["a"]
    ws, connected = await open_socket(a.domain, cookie=two_academies["cookie_a"])
    assert connected
    assert await ws.receive_json_from(timeout=5) == {"type": "hello", "tenant": a.schema, "user": "coach"}
    await ws.send_json_to({"type": "ping", "echo": 7})
    assert await ws.receive_json_from(timeout=5) == {"type": "pong", "schema": a.schema, "echo": 7}
    await ws.disconnect()


async def test_app_token_authenticates_a_socket(two_academies):
    a = two_academies["a"]
    ws, connected = await open_socket(a.domain, token=two_academies["token_a"])
    assert connected
    assert (await ws.receive_json_from(timeout=5))["user"] == "coach"
    await ws.disconnect()


async def test_anonymous_socket_is_closed_4401(two_academies):
    ws, connected = await open_socket(two_academies["a"].domain)
    assert connected
    assert await close_code(ws) == CloseCode.UNAUTHENTICATED


async def test_session_of_another_tenant_is_closed_4401(two_academies):
    b = two_academies["b"]
    ws, _ = await open_socket(b.domain, cookie=two_academies["cookie_a"])
    assert await close_code(ws) == CloseCode.UNAUTHENTICATED
    ws, _ = await open_socket(b.domain, token=two_academies["token_a"])
    assert await close_code(ws) == CloseCode.UNAUTHENTICATED


async def test_unknown_host_and_unknown_path_are_closed_4404(two_academies):
    ws, _ = await open_socket("nobody.example.org", cookie=two_academies["cookie_a"])
    assert await close_code(ws) == CloseCode.NOT_FOUND
    ws, _ = await open_socket(two_academies["a"].domain, "/ws/nothing/", cookie=two_academies["cookie_a"])
    assert await close_code(ws) == CloseCode.NOT_FOUND


async def test_page_of_another_site_cannot_ride_on_the_cookie(two_academies):
    a, b = two_academies["a"], two_academies["b"]
    ws, _ = await open_socket(a.domain, cookie=two_academies["cookie_a"], origin=f"http://{b.domain}")
    assert await close_code(ws) == CloseCode.FORBIDDEN
    ws, connected = await open_socket(a.domain, cookie=two_academies["cookie_a"], origin=f"http://{a.domain}:8000")
    assert connected and (await ws.receive_json_from(timeout=5))["type"] == "hello"
    await ws.disconnect()


async def test_broadcast_reaches_only_the_same_tenant(two_academies):
    a, b = two_academies["a"], two_academies["b"]
    sender, _ = await open_socket(a.domain, cookie=two_academies["cookie_a"])
    peer, _ = await open_socket(a.domain, token=two_academies["token_a"])
    stranger, _ = await open_socket(b.domain, cookie=two_academies["cookie_b"])
    for ws in (sender, peer, stranger):
        await ws.receive_json_from(timeout=5)  # hello
    await sender.send_json_to({"type": "broadcast", "text": "출석 시작"})
    for ws in (sender, peer):
        assert await ws.receive_json_from(timeout=5) == {"type": "broadcast", "text": "출석 시작", "tenant": a.schema}
    assert await stranger.receive_nothing(timeout=0.5)
    for ws in (sender, peer, stranger):
        await ws.disconnect()


async def test_suspended_tenant_closes_sockets_4503(two_academies, django_db_blocker):
    from channels.db import database_sync_to_async

    a = two_academies["a"]

    def suspend():
        with django_db_blocker.unblock():
            services.set_status(Tenant.objects.get(pk=a.tenant.pk), Tenant.Status.SUSPENDED)

    await database_sync_to_async(suspend)()
    ws, _ = await open_socket(a.domain, cookie=two_academies["cookie_a"])
    assert await close_code(ws) == CloseCode.UNAVAILABLE


@pytest.mark.slow
async def test_an_idle_socket_outlives_the_redis_read_timeout(two_academies):
    """channels-redis waits on BZPOPMIN for 5 s; redis-py 8 also times reads out after 5 s
    by default, which killed every socket idle for a few seconds. An idle socket must stay
    open and still receive its group's messages."""
    import asyncio

    a = two_academies["a"]
    idle, _ = await open_socket(a.domain, cookie=two_academies["cookie_a"])
    talker, _ = await open_socket(a.domain, cookie=two_academies["cookie_a"])
    for ws in (idle, talker):
        await ws.receive_json_from(timeout=5)  # hello
    await asyncio.sleep(12)  # two BZPOPMIN rounds with nothing to read
    await talker.send_json_to({"type": "broadcast", "text": "still there?"})
    message = await idle.receive_json_from(timeout=5)
    assert message["text"] == "still there?"
    for ws in (idle, talker):
        await ws.disconnect()
