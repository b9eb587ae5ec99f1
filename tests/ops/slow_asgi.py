"""The project's ASGI application plus one slow endpoint, for the shutdown test: an HTTP
request that is still being answered when the server is told to stop."""

import asyncio
from urllib.parse import parse_qs

from config.asgi import application as project_application


async def application(scope, receive, send):
    if scope["type"] == "http" and scope["path"] == "/_test/slow":
        seconds = float(parse_qs(scope["query_string"].decode()).get("seconds", ["2"])[0])
        await asyncio.sleep(seconds)
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"done"})
        return
    await project_application(scope, receive, send)
