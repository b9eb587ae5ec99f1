"""A loopback Google Business Profile: the same REST paths, JSON shapes, bearer tokens and
pagination as the real API (My Business API v4 reviews), plus a Pub/Sub push sender.

    python -m apps.stores.sandbox.google --port 8771 --token dev-token

Tests start it in a thread (GoogleSandbox().start()). State lives in memory. Control
paths (not part of Google's API) start with /_sandbox/: POST /_sandbox/reviews adds a
review to a location; POST /_sandbox/fail makes the next N calls answer 503.
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import threading
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import httpx

REVIEWS = re.compile(r"^/v4/(accounts/[^/]+/locations/[^/]+)/reviews(?:/([^/]+))?(/reply)?$")
STAR_NAMES = {1: "ONE", 2: "TWO", 3: "THREE", 4: "FOUR", 5: "FIVE"}


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class GoogleSandbox:
    def __init__(self, tokens: set[str] | None = None, port: int = 0) -> None:
        self.tokens = set(tokens or {"sandbox-token"})
        self.locations: dict[str, list[dict]] = {}
        self.fail_next = 0
        self.calls: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        sandbox = self

        class Handler(BaseHTTPRequestHandler):
            def _send(self, status: int, body: dict | None = None) -> None:
                data = json.dumps(body or {}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _error(self, status: int, message: str, reason: str) -> None:
                self._send(status, {"error": {"code": status, "message": message, "status": reason}})

            def _body(self) -> dict:
                length = int(self.headers.get("Content-Length") or 0)
                return json.loads(self.rfile.read(length) or b"{}") if length else {}

            def _handle(self, method: str) -> None:
                url = urlparse(self.path)
                with sandbox.lock:
                    sandbox.calls.append((method, url.path))
                if url.path.startswith("/_sandbox/"):
                    return self._control(method, url.path)
                with sandbox.lock:
                    if sandbox.fail_next > 0:
                        sandbox.fail_next -= 1
                        return self._error(503, "The service is currently unavailable.", "UNAVAILABLE")
                auth = self.headers.get("Authorization", "")
                if not auth.startswith("Bearer ") or auth[7:] not in sandbox.tokens:
                    return self._error(401, "Request had invalid authentication credentials.", "UNAUTHENTICATED")
                match = REVIEWS.match(url.path)
                if not match:
                    return self._error(404, "Requested entity was not found.", "NOT_FOUND")
                location, review_id, reply = match.groups()
                reviews = sandbox.locations.get(location)
                if reviews is None:
                    return self._error(404, "Requested entity was not found.", "NOT_FOUND")
                if review_id is None:
                    if method != "GET":
                        return self._error(405, "Method not allowed.", "INVALID_ARGUMENT")
                    query = parse_qs(url.query)
                    size = min(int(query.get("pageSize", ["50"])[0]), 50)
                    start = int(query.get("pageToken", ["0"])[0] or 0)
                    page = reviews[start : start + size]
                    body = {
                        "reviews": page,
                        "averageRating": round(
                            sum(int(k) for r in reviews for k, v in STAR_NAMES.items() if v == r["starRating"])
                            / max(len(reviews), 1),
                            2,
                        ),
                        "totalReviewCount": len(reviews),
                    }
                    if start + size < len(reviews):
                        body["nextPageToken"] = str(start + size)
                    return self._send(200, body)
                review = next((r for r in reviews if r["reviewId"] == review_id), None)
                if review is None:
                    return self._error(404, "Requested entity was not found.", "NOT_FOUND")
                if not reply and method == "GET":
                    return self._send(200, review)
                if reply and method == "PUT":
                    comment = self._body().get("comment", "")
                    if not comment or len(comment) > 4096:
                        return self._error(400, "Request contains an invalid argument.", "INVALID_ARGUMENT")
                    with sandbox.lock:
                        review["reviewReply"] = {"comment": comment, "updateTime": _now()}
                    return self._send(200, review["reviewReply"])
                if reply and method == "DELETE":
                    with sandbox.lock:
                        review.pop("reviewReply", None)
                    return self._send(200, {})
                return self._error(405, "Method not allowed.", "INVALID_ARGUMENT")

            def _control(self, method: str, path: str) -> None:
                body = self._body() if method == "POST" else {}
                if path == "/_sandbox/reviews" and method == "POST":
                    review = sandbox.add_review(**body)
                    return self._send(200, review)
                if path == "/_sandbox/fail" and method == "POST":
                    sandbox.fail_next = int(body.get("count", 1))
                    return self._send(200, {})
                return self._error(404, "no such sandbox path", "NOT_FOUND")

            def do_GET(self):
                self._handle("GET")

            def do_PUT(self):
                self._handle("PUT")

            def do_DELETE(self):
                self._handle("DELETE")

            def do_POST(self):
                self._handle("POST")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def add_location(self, location: str) -> None:
        with self.lock:
            self.locations.setdefault(location, [])

    def add_review(
        self,
        location: str,
        comment: str,
        stars: int,
        author: str = "Google 사용자",
        review_id: str = "",
        create_time: str = "",
    ) -> dict:
        review_id = review_id or uuid.uuid4().hex
        review = {
            "name": f"{location}/reviews/{review_id}",
            "reviewId": review_id,
            "reviewer": {"displayName": author, "isAnonymous": False},
            "starRating": STAR_NAMES[int(stars)],
            "comment": comment,
            "createTime": create_time or _now(),
            "updateTime": create_time or _now(),
        }
        with self.lock:
            reviews = self.locations.setdefault(location, [])
            existing = next((r for r in reviews if r["reviewId"] == review_id), None)
            if existing:
                existing.update(comment=comment, starRating=STAR_NAMES[int(stars)], updateTime=_now())
                return existing
            reviews.append(review)
        return review

    def start(self) -> GoogleSandbox:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> GoogleSandbox:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def push_notification(
    endpoint: str, *, location: str, review_id: str, message_id: str = "", **kwargs
) -> httpx.Response:
    """POST what Cloud Pub/Sub posts to a push subscription for a Business Profile
    NEW_REVIEW notification."""
    data = {"type": "NEW_REVIEW", "location": location, "review": f"{location}/reviews/{review_id}"}
    envelope = {
        "message": {
            "data": base64.b64encode(json.dumps(data).encode()).decode(),
            "messageId": message_id or uuid.uuid4().hex,
            "publishTime": _now(),
            "attributes": {},
        },
        "subscription": "projects/megacity/subscriptions/gbp-reviews",
    }
    return httpx.post(endpoint, json=envelope, timeout=10.0, **kwargs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8771)
    parser.add_argument("--token", default="sandbox-token")
    args = parser.parse_args()
    sandbox = GoogleSandbox({args.token}, port=args.port)
    print(f"Google Business Profile sandbox on {sandbox.url} (token {args.token})", flush=True)
    sandbox.server.serve_forever()


if __name__ == "__main__":
    main()
