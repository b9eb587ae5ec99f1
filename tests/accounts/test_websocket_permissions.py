"""`permission_required` on TenantJsonConsumer: 4403 and an audit entry for a socket whose
user lacks the permission (or the MFA their role needs); served otherwise."""

import pytest
from asgiref.sync import sync_to_async
from channels.routing import URLRouter
from channels.testing.websocket import WebsocketCommunicator
from django.urls import path

from apps.audit.models import AuditEntry
from apps.core.websocket import CloseCode, TenantJsonConsumer, TenantWebsocketMiddleware
from tests.utils import PASSWORD, enable_totp, grant, make_user


class BoardConsumer(TenantJsonConsumer):
    permission_required = "attendance:read"

    async def connect(self):
        await self.accept()
        await self.send_json({"type": "hello"})

    async def receive_json(self, content, **kwargs):
        allowed = await self.check_permission("attendance:write")
        await self.send_json({"type": "write", "allowed": allowed})


application = TenantWebsocketMiddleware(URLRouter([path("ws/board/", BoardConsumer.as_asgi())]))


def app_token(t, username: str) -> str:
    response = t.client().post(
        "/_allauth/app/v1/auth/login", {"username": username, "password": PASSWORD}, content_type="application/json"
    )
    return response.json()["meta"]["session_token"]


def denial_of(t, username: str) -> AuditEntry:
    with t.context():
        return AuditEntry.objects.get(action="permission.denied", actor_username=username)


async def connect(t, token: str) -> WebsocketCommunicator:
    ws = WebsocketCommunicator(
        application, "/ws/board/", headers=[(b"host", t.domain.encode()), (b"x-session-token", token.encode())]
    )
    connected, _ = await ws.connect(timeout=5)
    assert connected
    return ws


@pytest.fixture
def academy(live_tenant):
    t = live_tenant("academy")
    with t.context():
        for name, roles in (("coach", ["coach"]), ("parent", ["guardian"]), ("nobody", []), ("boss", ["manager"])):
            grant(make_user(name), *roles)
    t.tokens = {name: app_token(t, name) for name in ("coach", "parent", "nobody", "boss")}
    return t


@pytest.fixture
def other_academy(live_tenant):
    t = live_tenant("academy")
    with t.context():
        make_user("coach")  # same name as on `academy`, no role here
    t.tokens = {"coach": app_token(t, "coach")}
    return t


async def test_a_role_with_the_permission_is_served(academy):
    ws = await connect(academy, academy.tokens["coach"])
    assert await ws.receive_json_from(timeout=5) == {"type": "hello"}
    await ws.send_json_to({"type": "anything"})
    assert await ws.receive_json_from(timeout=5) == {"type": "write", "allowed": True}
    await ws.disconnect()


async def test_a_role_without_it_is_closed_4403_and_audited(academy):
    ws = await connect(academy, academy.tokens["nobody"])
    message = await ws.receive_output(timeout=5)
    assert message["type"] == "websocket.close" and message["code"] == CloseCode.FORBIDDEN
    entry = await sync_to_async(denial_of)(academy, "nobody")
    assert entry.details["permission"] == "attendance:read"
    assert entry.details["consumer"] == "BoardConsumer"
    assert entry.details["path"] == "/ws/board/"


async def test_a_message_needing_more_is_refused_and_audited(academy):
    ws = await connect(academy, academy.tokens["parent"])  # guardians read attendance, never write
    assert await ws.receive_json_from(timeout=5) == {"type": "hello"}
    await ws.send_json_to({"type": "mark"})
    assert await ws.receive_json_from(timeout=5) == {"type": "write", "allowed": False}
    await ws.disconnect()
    entry = await sync_to_async(denial_of)(academy, "parent")
    assert entry.details["permission"] == "attendance:write"


async def test_a_manager_without_totp_is_closed_4403(academy):
    ws = await connect(academy, academy.tokens["boss"])
    message = await ws.receive_output(timeout=5)
    assert message["code"] == CloseCode.FORBIDDEN and message["reason"] == "mfa required"

    def enrol():
        from django.contrib.auth import get_user_model

        with academy.context():
            enable_totp(get_user_model().objects.get(username="boss"))

    await sync_to_async(enrol)()
    # the same token, now that the account has TOTP: served (the check reads the database)
    ws = await connect(academy, academy.tokens["boss"])
    assert await ws.receive_json_from(timeout=5) == {"type": "hello"}
    await ws.disconnect()


async def test_a_role_on_another_tenant_opens_nothing_here(academy, other_academy):
    ws = await connect(other_academy, other_academy.tokens["coach"])
    message = await ws.receive_output(timeout=5)
    assert message["code"] == CloseCode.FORBIDDEN
