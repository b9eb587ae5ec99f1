"""A Celery worker's own `/metrics` (see apps.ops.metrics for when it is needed)."""

from __future__ import annotations

import threading
from wsgiref.simple_server import WSGIRequestHandler, make_server

from . import metrics


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # scrapes every few seconds: no access log
        pass


def app(environ, start_response):
    if environ.get("PATH_INFO", "").rstrip("/") != "/metrics":
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found\n"]
    status = metrics.token_status(environ.get("HTTP_AUTHORIZATION", ""))
    if status != 200:
        line = "401 Unauthorized" if status == 401 else "403 Forbidden"
        start_response(line, [("Content-Type", "text/plain"), ("WWW-Authenticate", 'Bearer realm="metrics"')])
        return [b"metrics: bearer token required\n"]
    body = metrics.exposition()
    start_response("200 OK", [("Content-Type", metrics.CONTENT_TYPE_LATEST)])
    return [body]


def serve(port: int, host: str = "0.0.0.0") -> threading.Thread:  # noqa: S104 (scraped from outside the container)
    server = make_server(host, port, app, handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="metrics", daemon=True)
    thread.start()
    return thread
