"""End to end through the real ASGI server: HTTP and websockets over real sockets."""

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from apps.core.websocket import CloseCode
from tests.utils import PASSWORD, make_user


@pytest.fixture
def academy_with_coach(live_tenant):
    t = live_tenant("academy")
    with t.context():
        make_user("coach")
    return t


def http(server, host: str) -> httpx.Client:
    return httpx.Client(base_url=f"http://127.0.0.1:{server.port}", headers={"Host": host}, timeout=10)


def test_http_through_the_real_server(asgi_server, academy_with_coach):
    t = academy_with_coach
    with http(asgi_server, t.domain) as client:
        assert client.get("/api/v1/site/").json()["schema"] == t.schema
        assert client.get("/health/ready").status_code == 200
        login = client.post("/_allauth/app/v1/auth/login", json={"username": "coach", "password": PASSWORD})
        token = login.json()["meta"]["session_token"]
        assert client.get("/api/v1/me/", headers={"X-Session-Token": token}).json()["username"] == "coach"
    with http(asgi_server, "nobody.example.org") as client:
        response = client.get("/")
        assert response.status_code == 404 and "nobody.example.org" in response.text


async def test_websocket_through_the_real_server(asgi_server, academy_with_coach):
    t = academy_with_coach
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{asgi_server.port}", headers={"Host": t.domain}) as client:
        login = await client.post("/_allauth/app/v1/auth/login", json={"username": "coach", "password": PASSWORD})
    token = login.json()["meta"]["session_token"]
    uri = f"ws://{t.domain}:{asgi_server.port}/ws/ping/"

    async with connect(
        uri, host="127.0.0.1", port=asgi_server.port, additional_headers={"X-Session-Token": token}
    ) as ws:
        assert '"hello"' in await ws.recv()
        await ws.send('{"type": "ping", "echo": "실시간"}')
        assert f'"schema": "{t.schema}"' in await ws.recv()

    async with connect(uri, host="127.0.0.1", port=asgi_server.port) as anonymous:
        with pytest.raises(ConnectionClosed) as closed:
            await anonymous.recv()
    assert closed.value.rcvd.code == CloseCode.UNAUTHENTICATED
    assert closed.value.rcvd.reason == "authentication required"
