"""Helpers for websocket tests through the project's real ASGI application."""

from __future__ import annotations

from channels.testing.websocket import WebsocketCommunicator

from config.asgi import application


async def open_socket(
    domain: str,
    path: str = "/ws/ping/",
    *,
    cookie: str | None = None,
    token: str | None = None,
    origin: str | None = None,
) -> tuple[WebsocketCommunicator, bool]:
    headers = [(b"host", domain.encode())]
    if cookie:
        headers.append((b"cookie", f"mc_session={cookie}".encode()))
    if token:
        headers.append((b"x-session-token", token.encode()))
    if origin:
        headers.append((b"origin", origin.encode()))
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await communicator.connect(timeout=5)
    return communicator, connected


async def close_code(communicator: WebsocketCommunicator) -> int:
    """The code the server closed an accepted socket with."""
    message = await communicator.receive_output(timeout=5)
    assert message["type"] == "websocket.close", message
    return message["code"]
