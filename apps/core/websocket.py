"""Websockets on tenant hosts.

django-tenants covers HTTP only. Here an ASGI middleware resolves the tenant from the
Host header, checks the Origin against that tenant's own domains, authenticates the
socket with the tenant's session cookie or allauth app token (looked up inside the
tenant's schema) and routes to the websocket URLconf of the tenant's type.

A socket that cannot be served is accepted and then closed at once with one of the
codes below, so that browsers and apps see the reason (a close before accept reaches a
browser as an anonymous HTTP 403 / code 1006).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import weakref
from functools import cache
from http.cookies import SimpleCookie
from importlib import import_module
from typing import Any
from urllib.parse import parse_qs, urlsplit

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer
from channels.routing import URLRouter
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import connection, transaction
from django_tenants.utils import remove_www, schema_context


def group_name(name: str, schema: str | None = None) -> str:
    """The channel-layer group `name` of one tenant: the only place the schema prefix is
    built, so group_send in one tenant can never reach another tenant's sockets. `schema`
    defaults to the current connection's (the request's, task's or command's tenant)."""
    return f"{schema or connection.schema_name}.{name}"


def broadcast(name: str, event: dict, *, schema: str | None = None) -> None:
    """Send `event` to the tenant's group `name` now (progress of running work, which no
    commit waits for). Data that describes a change goes through broadcast_on_commit."""
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(group_name(name, schema), event)


def broadcast_on_commit(name: str, event: dict) -> None:
    """Send `event` to the tenant's group `name` once the current transaction commits
    (never, if it rolls back). The group is named now, in the tenant the change was made in."""
    group = group_name(name)

    def send() -> None:
        layer = get_channel_layer()
        if layer is not None:
            async_to_sync(layer.group_send)(group, event)

    transaction.on_commit(send)


class CloseCode:
    """Application close codes (4000-4999 are the application's own range)."""

    BAD_REQUEST = 4400
    UNAUTHENTICATED = 4401
    FORBIDDEN = 4403
    NOT_FOUND = 4404
    UNAVAILABLE = 4503
    GOING_AWAY = 1001  # RFC 6455: the server is shutting down


async def close_with(receive, send, code: int, reason: str) -> None:
    message = await receive()
    if message["type"] != "websocket.connect":
        return
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.close", "code": code, "reason": reason})


def _header(scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return ""


def _lookup_tenant(hostname: str):
    from apps.tenancy.models import Domain

    with schema_context("public"):
        domain = Domain.objects.select_related("tenant").filter(domain=hostname).first()
        if domain is None or domain.tenant.is_template:
            return None, []
        hosts = list(domain.tenant.domains.values_list("domain", flat=True))
        return domain.tenant, hosts


def _authenticate(schema_name: str, session_key: str | None, app_token: str | None):
    """The user a session cookie or app token stands for, looked up in this schema only."""
    from allauth.core.internal.sessionkit import get_session_user
    from allauth.headless.internal.sessionkit import authenticate_by_x_session_token

    with schema_context(schema_name):
        if app_token:
            result = authenticate_by_x_session_token(app_token)
            return (result[0], app_token) if result else (AnonymousUser(), None)
        if session_key:
            engine = import_module(settings.SESSION_ENGINE)
            session = engine.SessionStore(session_key=session_key)
            user = get_session_user(session)
            if user is not None:
                return user, session_key
        return AnonymousUser(), None


class TenantWebsocketMiddleware:
    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        if scope["type"] != "websocket":
            return await self.inner(scope, receive, send)
        hostname = remove_www(_header(scope, b"host").split(":")[0].lower())
        tenant, hosts = await database_sync_to_async(_lookup_tenant)(hostname)
        if tenant is None:
            return await close_with(receive, send, CloseCode.NOT_FOUND, f"no tenant for host {hostname}")
        if not tenant.is_public and not tenant.serves_requests:
            return await close_with(receive, send, CloseCode.UNAVAILABLE, "tenant unavailable")
        origin = _header(scope, b"origin")
        # Browsers always send Origin; a page on another site (or another tenant) must
        # not ride on this tenant's cookies. Apps send none and use a token instead.
        if origin and (urlsplit(origin).hostname or "") not in hosts:
            return await close_with(receive, send, CloseCode.FORBIDDEN, "origin not allowed")

        cookies = SimpleCookie()
        cookies.load(_header(scope, b"cookie"))
        session_cookie = cookies.get(settings.SESSION_COOKIE_NAME)
        query = parse_qs(scope.get("query_string", b"").decode())
        app_token = _header(scope, b"x-session-token") or (query.get("session_token") or [None])[0]
        user, session_key = await database_sync_to_async(_authenticate)(
            tenant.schema_name, session_cookie.value if session_cookie else None, app_token
        )
        scope = {
            **scope,
            "tenant": tenant,
            "schema_name": tenant.schema_name,
            "user": user,
            "session_key": session_key,
        }
        return await self.inner(scope, receive, send)


@cache
def _router_for(tenant_type: str) -> URLRouter:
    module = import_module(f"config.routing.{tenant_type}")
    return URLRouter(module.websocket_urlpatterns)


class TenantURLRouter:
    """Routes a socket with the websocket URLconf of its tenant's type."""

    async def __call__(self, scope, receive, send):
        try:
            router = _router_for(scope["tenant"].type)
            return await router(scope, receive, send)
        except ValueError:
            # URLRouter raises ValueError for a path it has no route for.
            return await close_with(receive, send, CloseCode.NOT_FOUND, "no such websocket endpoint")


def tenant_database_sync_to_async(func):
    """database_sync_to_async that runs `func` inside the socket's tenant schema.

    The consumer's scope is read at call time, so every ORM call from a consumer runs in
    the schema of the tenant the socket was opened on, whatever thread runs it.
    """

    async def wrapper(consumer, *args, **kwargs):
        def run():
            with schema_context(consumer.scope["schema_name"]):
                return func(consumer, *args, **kwargs)

        return await database_sync_to_async(run)()

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper


class TenantJsonConsumer(AsyncJsonWebsocketConsumer):
    """Base of every MegaCity consumer.

    - closes unauthenticated sockets with 4401 (set `allow_anonymous` to serve guests);
    - closes with 4403 a socket whose user lacks `permission_required` (a permission
      string, or a tuple of them all required — apps.accounts.permissions), or whose roles
      require MFA they have not set up; the refusal is recorded in the audit log. Checked
      once, on connect; `await self.check_permission(perm)` re-checks for one message;
    - `group(name)` prefixes group names with the schema, so group_send in one tenant can
      never reach another tenant's sockets.
    """

    allow_anonymous = False
    permission_required: str | tuple[str, ...] | None = None
    _counted = False

    async def accept(self, subprotocol=None, headers=None):
        await super().accept(subprotocol, headers)
        if not self._counted:
            from apps.ops import metrics

            self._counted = True
            _open_consumers.add(self)
            metrics.WEBSOCKETS_OPEN.labels(self.tenant.type).inc()
            metrics.WEBSOCKETS_OPENED.labels(self.tenant.type).inc()

    async def websocket_disconnect(self, message):
        if self._counted:
            from apps.ops import metrics

            self._counted = False
            _open_consumers.discard(self)
            metrics.WEBSOCKETS_OPEN.labels(self.tenant.type).dec()
        await super().websocket_disconnect(message)

    async def _refuse(self, code: int, reason: str) -> None:
        """Accept (so the client sees the code) and close at once; not counted as open."""
        await super().accept()
        await self.close(code=code, reason=reason)

    @property
    def tenant(self):
        return self.scope["tenant"]

    @property
    def user(self):
        return self.scope.get("user") or AnonymousUser()

    def group(self, name: str) -> str:
        return group_name(name, self.scope["schema_name"])

    async def websocket_connect(self, message):
        if not self.allow_anonymous and not self.user.is_authenticated:
            await self._refuse(CloseCode.UNAUTHENTICATED, "authentication required")
            return
        if self.permission_required:
            refusal = await self._refusal(self._required())
            if refusal:
                await self._refuse(CloseCode.FORBIDDEN, refusal)
                return
        await super().websocket_connect(message)

    def _required(self) -> tuple[str, ...]:
        required = self.permission_required
        return (required,) if isinstance(required, str) else tuple(required or ())

    @tenant_database_sync_to_async
    def _refusal(self, perms: tuple[str, ...]) -> str:
        """Why the socket's user may not have `perms` ("" if they may); audited."""
        from django.core.exceptions import ObjectDoesNotExist

        from apps.accounts.permissions import forget_cached_roles, has_permission, mfa_missing
        from apps.audit.services import record_denial

        user = self.user
        missing = perms
        if user.is_authenticated:
            try:
                user.refresh_from_db()  # the socket outlives requests: read roles now
            except ObjectDoesNotExist:
                user = AnonymousUser()
            else:
                forget_cached_roles(user)
                missing = tuple(perm for perm in perms if not has_permission(user, perm))
        if not missing:
            return ""
        mfa = user.is_authenticated and mfa_missing(user)
        record_denial(
            actor=user if user.is_authenticated else None,
            permission=missing[0],
            request=self.scope,
            details={"consumer": type(self).__name__, **({"mfa_required": True} if mfa else {})},
        )
        return "mfa required" if mfa else "permission denied"

    async def check_permission(self, perm: str) -> bool:
        """Re-check one permission now (e.g. before acting on a message); audited if refused."""
        return not await self._refusal((perm,))

    async def join(self, name: str) -> None:
        await self.channel_layer.group_add(self.group(name), self.channel_name)
        self.groups.append(self.group(name))

    @classmethod
    async def decode_json(cls, text_data: str) -> Any:
        try:
            return json.loads(text_data)
        except ValueError:
            return {"type": "invalid", "error": "malformed JSON"}


# Consumers with an accepted socket in this process (weak: a finished consumer vanishes).
_open_consumers: weakref.WeakSet[TenantJsonConsumer] = weakref.WeakSet()


async def close_open_websockets(code: int = CloseCode.GOING_AWAY, timeout: float = 5.0) -> int:
    """Close every open socket of this process with `code` (1001, going away, when the
    server shuts down: clients reconnect to another instance). Returns how many."""
    consumers = list(_open_consumers)

    async def close(consumer: TenantJsonConsumer) -> None:
        # A socket that is already gone needs no goodbye.
        with contextlib.suppress(Exception):
            await consumer.close(code=code, reason="server shutting down")

    if consumers:
        await asyncio.wait([asyncio.ensure_future(close(c)) for c in consumers], timeout=timeout)
    return len(consumers)
