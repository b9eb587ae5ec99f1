"""Where a request came from (client IP, user agent), for the audit log.

The client IP is REMOTE_ADDR unless that address is a trusted proxy (TRUSTED_PROXIES,
CIDRs); only then is X-Forwarded-For read, right to left, skipping trusted proxies, so a
client cannot choose the address it is recorded under by sending the header itself.

`AuditContextMiddleware` keeps the request's origin in a context variable for the
duration of the request, so that services recording an event without a request at hand
(`record(...)` deep in a service) still get the IP and user agent. It also records
every PermissionDenied a view raises (admin pages included).
"""

from __future__ import annotations

import ipaddress
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import PermissionDenied


@dataclass(frozen=True)
class Origin:
    ip: str | None
    user_agent: str
    path: str = ""
    method: str = ""


_current: ContextVar[Origin | None] = ContextVar("audit_origin", default=None)


@lru_cache(maxsize=8)
def _trusted_networks(proxies: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(p.strip(), strict=False) for p in proxies if p.strip())


def _is_trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _trusted_networks(tuple(getattr(settings, "TRUSTED_PROXIES", ()))))


def _valid_ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(remote_addr: str | None, forwarded_for: str | None) -> str | None:
    """The client's address given the socket peer and the X-Forwarded-For header."""
    peer = _valid_ip(remote_addr or "")
    if peer is None or not forwarded_for or not _is_trusted(peer):
        return peer
    for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
        address = _valid_ip(hop)
        if address is None:
            return peer  # a malformed hop: trust nothing the proxies passed on
        if not _is_trusted(address):
            return address
    return peer


def origin_of_request(request) -> Origin:
    meta = getattr(request, "META", {})
    return Origin(
        ip=client_ip(meta.get("REMOTE_ADDR"), meta.get("HTTP_X_FORWARDED_FOR")),
        user_agent=(meta.get("HTTP_USER_AGENT") or "")[:400],
        path=getattr(request, "path", "")[:200],
        method=getattr(request, "method", "") or "",
    )


def origin_of_scope(scope: dict) -> Origin:
    """A websocket's origin, from its ASGI scope."""
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
    peer = (scope.get("client") or [None])[0]
    return Origin(
        ip=client_ip(peer, headers.get("x-forwarded-for")),
        user_agent=headers.get("user-agent", "")[:400],
        path=scope.get("path", "")[:200],
        method="WEBSOCKET",
    )


def current_origin() -> Origin | None:
    return _current.get()


class AuditContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _current.set(origin_of_request(request))
        try:
            return self.get_response(request)
        finally:
            _current.reset(token)

    def process_exception(self, request, exception):
        if isinstance(exception, PermissionDenied):
            from .services import record_denial_of

            record_denial_of(exception, request=request)
        return None
