"""Websockets are closed as "going away" (1001) when the web server shuts down.

On SIGTERM (or SIGINT) uvicorn stops accepting connections, lets in-flight requests
finish (up to --timeout-graceful-shutdown) and then runs the lifespan shutdown. Open
websockets, though, it closes itself with 1012 ("service restart") and no reason, without
telling the application first. `install()` — called by config/asgi.py, so it holds in every
uvicorn process, `--workers N` included — wraps uvicorn's `Server.shutdown`: stop listening,
close every socket from the application's side with 1001 ("going away", RFC 6455, which
clients treat as "reconnect elsewhere") and only then continue with uvicorn's own shutdown.
Under another ASGI server it does nothing.
"""

from __future__ import annotations

import logging

logger = logging.getLogger("uvicorn.error")

WEBSOCKET_CLOSE_TIMEOUT = 5.0


def install() -> None:
    try:
        from uvicorn.server import Server
    except ImportError:  # another ASGI server
        return
    if getattr(Server.shutdown, "megacity_going_away", False):
        return
    original = Server.shutdown

    async def shutdown(self, sockets=None) -> None:
        from apps.core.websocket import close_open_websockets

        for server in self.servers:
            server.close()  # stop accepting before saying goodbye
        for sock in sockets or []:
            sock.close()
        try:
            closed = await close_open_websockets(timeout=WEBSOCKET_CLOSE_TIMEOUT)
        except Exception:
            logger.exception("closing websockets on shutdown failed")
        else:
            logger.info("closed %d websocket(s) with 1001 (going away)", closed)
        await original(self, sockets)

    shutdown.megacity_going_away = True
    Server.shutdown = shutdown
