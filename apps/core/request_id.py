"""A request id for every HTTP request: the caller's `X-Request-ID` when it is a sane
token (a load balancer or another service may have set it), else a fresh one.

`request.request_id` is what logs, Sentry events and error pages quote; the response
carries it back in `X-Request-ID`, so a user's "it failed" can be found in the logs.
"""

from __future__ import annotations

import re
import uuid

import sentry_sdk

HEADER = "X-Request-ID"
# Anything else (too long, spaces, control characters) is replaced: the id ends up in
# log lines and headers, so it must not be able to forge either.
VALID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")


def request_id_from(value: str | None) -> str:
    if value and VALID.match(value):
        return value
    return uuid.uuid4().hex


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = request_id_from(request.headers.get(HEADER))
        sentry_sdk.get_isolation_scope().set_tag("request_id", request.request_id)
        response = self.get_response(request)
        response[HEADER] = request.request_id
        return response
