"""Graceful shutdown of the real web server on SIGTERM: it stops accepting at once, an
in-flight request still gets its answer, open websockets are closed with 1001 (going
away), and the process exits cleanly."""

from __future__ import annotations

import asyncio
import signal
import sys
import time

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.processes import free_port, port_open, running, serve_command
from tests.utils import PASSWORD, make_user


def server_command(port: int, workers: int) -> list[str]:
    """The web server as dev.py runs it (one uvicorn process) and, with several workers, as
    the container runs it (config.serve); both on config.asgi wrapped with a slow endpoint."""
    if workers > 1:
        return serve_command(port, workers)
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "tests.ops.slow_asgi:application",
        "--port",
        str(port),
        "--timeout-graceful-shutdown",
        "10",
        "--lifespan",
        "off",
        "--no-access-log",
        "--workers",
        str(workers),
    ]


@pytest.fixture
def academy_with_coach(live_tenant):
    t = live_tenant("academy")
    with t.context():
        make_user("coach")
    response = t.client().post(
        "/_allauth/app/v1/auth/login", {"username": "coach", "password": PASSWORD}, content_type="application/json"
    )
    return t, response.json()["meta"]["session_token"]


async def _shutdown_while_busy(process, port: int, domain: str, token: str) -> dict:
    uri = f"ws://{domain}:{port}/ws/ping/"
    async with connect(uri, host="127.0.0.1", port=port, additional_headers={"X-Session-Token": token}) as ws:
        assert '"hello"' in await ws.recv()
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=20) as client:
            slow = asyncio.ensure_future(client.get("/_test/slow", params={"seconds": "3"}))
            await asyncio.sleep(0.7)  # the request is being served
            assert not slow.done()
            signalled = time.monotonic()
            process.send_signal(signal.SIGTERM)
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), timeout=8)
            ws_closed_after = time.monotonic() - signalled
            await asyncio.sleep(0.3)
            accepting = port_open(port)
            response = await slow
    return {
        "code": closed.value.rcvd.code if closed.value.rcvd else None,
        "reason": closed.value.rcvd.reason if closed.value.rcvd else None,
        "ws_closed_after": ws_closed_after,
        "accepting": accepting,
        "slow": (response.status_code, response.text),
    }


@pytest.mark.timeout(90)
@pytest.mark.parametrize("workers", [1, 2])
def test_sigterm_closes_websockets_with_going_away_and_finishes_requests(academy_with_coach, workers):
    """With 2 workers each is a spawned process of its own: the 1001 close must hold there too."""
    t, token = academy_with_coach
    port = free_port()
    with running("uvicorn-shutdown", server_command(port, workers), ready=lambda: port_open(port)) as process:
        result = asyncio.run(_shutdown_while_busy(process, port, t.domain, token))
        # uvicorn re-raises the signal it handled once shutdown is complete, so the exit
        # status says "terminated by SIGTERM" (what a supervisor expects), not a crash.
        assert process.wait(15) in (0, -signal.SIGTERM)
    assert result["code"] == 1001 and result["reason"] == "server shutting down"
    assert result["ws_closed_after"] < 3  # promptly, not after the graceful timeout
    # New connections are refused while finishing (config.serve: each process closes its own
    # socket; the parent holds none).
    assert result["accepting"] is False
    assert result["slow"] == (200, "done")  # the in-flight request got its answer
