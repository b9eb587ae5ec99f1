"""The web server: uvicorn, with websockets closed as "going away" (1001) on shutdown.

    python -m apps.ops.serve config.asgi:application [any uvicorn option]

On SIGTERM (or SIGINT) uvicorn stops accepting connections, lets in-flight requests
finish (up to --timeout-graceful-shutdown) and then runs the lifespan shutdown. For open
websockets, though, it sends close code 1012 ("service restart") and no reason. This
server first stops listening, then closes every socket from the application side with
1001 ("going away", RFC 6455) so clients know to reconnect elsewhere, and then lets
uvicorn's own shutdown do the rest. The options are uvicorn's own (its CLI is reused);
with --workers N each worker process runs this server.
"""

from __future__ import annotations

import logging
import socket

import uvicorn
import uvicorn.main

logger = logging.getLogger("uvicorn.error")


class GracefulServer(uvicorn.Server):
    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:
            server.close()  # stop accepting before saying goodbye
        for sock in sockets or []:
            sock.close()
        try:
            from apps.core.websocket import close_open_websockets

            closed = await close_open_websockets(timeout=min(5.0, self.config.timeout_graceful_shutdown or 5.0))
        except Exception:
            logger.exception("closing websockets on shutdown failed")
        else:
            if closed:
                logger.info("closed %d websocket(s) with 1001 going away", closed)
        await super().shutdown(sockets)


def main() -> None:
    uvicorn.main.Server = GracefulServer  # uvicorn.main.run() builds its server from this name
    uvicorn.main.main()


if __name__ == "__main__":
    main()
