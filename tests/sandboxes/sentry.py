"""A loopback Sentry ingest endpoint: it accepts the SDK's envelopes the way sentry.io does
and keeps the events for the test to read."""

from __future__ import annotations

import gzip
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class SentrySandbox:
    def __init__(self) -> None:
        self.events: list[dict] = []
        self.received = threading.Event()
        sandbox = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                lines = body.split(b"\n")
                # envelope: header line, then (item header, item payload) pairs
                for header, payload in zip(lines[1::2], lines[2::2], strict=False):
                    if json.loads(header).get("type") == "event":
                        sandbox.events.append(json.loads(payload))
                        sandbox.received.set()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"id": "ok"}')

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def dsn(self) -> str:
        return f"http://public@127.0.0.1:{self.server.server_address[1]}/1"

    def __enter__(self) -> SentrySandbox:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
