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
import logging
import os
import socket
import time
import uuid
import weakref
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from http.cookies import SimpleCookie
from importlib import import_module
from typing import Any
from urllib.parse import parse_qs, urlsplit

from asgiref.sync import async_to_sync, sync_to_async
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer
from channels.routing import URLRouter
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import connection, transaction
from django_tenants.utils import remove_www, schema_context

from .jsondepth import depth_exceeds


def group_name(name: str, schema: str | None = None) -> str:
    """The channel-layer group `name` of one tenant: the only place the schema prefix is
    built, so group_send in one tenant can never reach another tenant's sockets. `schema`
    defaults to the current connection's (the request's, task's or command's tenant)."""
    return f"{schema or connection.schema_name}.{name}"


def broadcast(name: str, event: dict, *, schema: str | None = None, layer_alias: str = "default") -> None:
    """Send `event` to the tenant's group `name` now (progress of running work, which no
    commit waits for). Data that describes a change goes through broadcast_on_commit.
    `layer_alias`: the channel layer the group's consumers listen on (CHANNEL_LAYERS)."""
    layer = get_channel_layer(layer_alias)
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
    RESCOPE = 4408  # the socket's scope is older than its consumer allows: reconnect
    REPLACED = 4409  # the user opened more sockets than allowed: this, the oldest, closed
    TOO_MANY_MESSAGES = 4429  # more messages per second than allowed
    UNAVAILABLE = 4503
    MESSAGE_TOO_BIG = 1009  # RFC 6455: a frame over WEBSOCKET_LIMITS["max_frame_bytes"]
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


def _lookup_tenant(hostname: str, *, with_hosts: bool = True):
    """The tenant at `hostname` from the tenancy's host cache (apps.tenancy.hosts: no query
    once cached), and — for the Origin check, only when there is an Origin — its domains."""
    from apps.tenancy import hosts as tenant_hosts
    from apps.tenancy.models import Domain

    with schema_context("public"):
        try:
            tenant = tenant_hosts.lookup(Domain, hostname)
        except Domain.DoesNotExist:
            return None, []
        if tenant.is_template:
            return None, []
        return tenant, list(tenant.domains.values_list("domain", flat=True)) if with_hosts else []


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


def _handshake(hostname: str, with_hosts: bool, session_key: str | None, app_token: str | None):
    """A socket's tenant (and its domains) and user, in one trip to a thread. The user is
    looked up only on a tenant that serves (an unknown or closed one is refused anyway)."""
    tenant, hosts = _lookup_tenant(hostname, with_hosts=with_hosts)
    if tenant is None or (not tenant.is_public and not tenant.serves_requests):
        return tenant, hosts, AnonymousUser(), None
    user, key = _authenticate(tenant.schema_name, session_key, app_token)
    return tenant, hosts, user, key


_handshakes: ThreadPoolExecutor | None = None


def handshake_sync_to_async(func):
    """database_sync_to_async on the sockets' handshake threads (WEBSOCKET_HANDSHAKE_THREADS)
    instead of Channels' one thread for all of a process's database work: when hundreds of
    sockets open at once (a club's players at the start of a session, or reconnecting after a
    server died), their look-ups waited in single file behind each other and behind every
    consumer's own database work (bench/club, py-spy). Each call is self-contained: it opens
    and gives back its own connection, in the schema it names."""
    global _handshakes
    if _handshakes is None:
        _handshakes = ThreadPoolExecutor(settings.WEBSOCKET_HANDSHAKE_THREADS, thread_name_prefix="ws-handshake")
    return database_sync_to_async(func, thread_sensitive=False, executor=_handshakes)


class TenantWebsocketMiddleware:
    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        if scope["type"] != "websocket":
            return await self.inner(scope, receive, send)
        hostname = remove_www(_header(scope, b"host").split(":")[0].lower())
        origin = _header(scope, b"origin")
        cookies = SimpleCookie()
        cookies.load(_header(scope, b"cookie"))
        session_cookie = cookies.get(settings.SESSION_COOKIE_NAME)
        query = parse_qs(scope.get("query_string", b"").decode())
        app_token = _header(scope, b"x-session-token") or (query.get("session_token") or [None])[0]
        tenant, hosts, user, session_key = await handshake_sync_to_async(_handshake)(
            hostname, bool(origin), session_cookie.value if session_cookie else None, app_token
        )
        if tenant is None:
            return await close_with(receive, send, CloseCode.NOT_FOUND, f"no tenant for host {hostname}")
        if not tenant.is_public and not tenant.serves_requests:
            return await close_with(receive, send, CloseCode.UNAVAILABLE, "tenant unavailable")
        # Browsers always send Origin; a page on another site (or another tenant) must
        # not ride on this tenant's cookies. Apps send none and use a token instead.
        if origin and (urlsplit(origin).hostname or "") not in hosts:
            return await close_with(receive, send, CloseCode.FORBIDDEN, "origin not allowed")
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


def limits() -> dict:
    return settings.WEBSOCKET_LIMITS


# The socket registry in Redis (Channels cannot list a group's members, nor a process's
# sockets). Every server process has an id (PROCESS_ID) and, while it lives, an `alive` key
# with a TTL that its heartbeat renews (every third of WEBSOCKET_PROCESS_TTL); its open
# sockets are a hash (channel -> "schema|user|path") with the same TTL, and the processes a
# sorted set by last heartbeat. A process that dies stops renewing: its keys expire within
# the TTL, and its sockets stop counting against anyone's limits.
#
# KEYS[1] the process's sockets, KEYS[2] the process's alive key, KEYS[3] the processes;
# ARGV: channel, what it is, the process's limit (0: none), ttl (ms), now (ms), process id.
# Admits the socket unless the process is full (-1), atomically, so two sockets arriving
# together cannot both take the last place.
_ADMIT_SOCKET = """
local limit = tonumber(ARGV[3])
if limit > 0 and redis.call('HLEN', KEYS[1]) >= limit then return -1 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('SET', KEYS[2], ARGV[5], 'PX', ARGV[4])
redis.call('ZADD', KEYS[3], ARGV[5], ARGV[6])
return redis.call('HLEN', KEYS[1])
"""
# KEYS[1] the user's sockets ("<process>|<channel>", sorted by opening time); ARGV: now,
# member, limit, ttl (ms), the alive keys' prefix. Adds this socket, drops the sockets of
# processes no longer alive, and removes (returns) the oldest beyond the limit, atomically,
# so two processes opening a user's 4th and 5th socket at once still leave exactly 3.
_OPEN_SOCKET = """
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
for _, member in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local process = string.match(member, '^(.-)|')
  if process and redis.call('EXISTS', ARGV[5] .. process) == 0 then
    redis.call('ZREM', KEYS[1], member)
  end
end
local over = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[3])
if over <= 0 then return {} end
local oldest = redis.call('ZRANGE', KEYS[1], 0, over - 1)
redis.call('ZREM', KEYS[1], unpack(oldest))
return oldest
"""
SOCKETS_TTL_MS = 7 * 86400 * 1000  # a user's list outlives any one socket's idle days
PROCESS_ID = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _sockets_key(schema_name: str, user_pk) -> str:
    return f"{settings.REDIS_KEY_PREFIX}:ws:sockets:{schema_name}:{user_pk}"


def _process_key(process: str) -> str:
    return f"{settings.REDIS_KEY_PREFIX}:ws:process:{process}"


def _alive_prefix() -> str:
    return f"{settings.REDIS_KEY_PREFIX}:ws:alive:"


def _processes_key() -> str:
    return f"{settings.REDIS_KEY_PREFIX}:ws:processes"


def _process_ttl_ms() -> int:
    return int(settings.WEBSOCKET_PROCESS_TTL * 1000)


def _redis():
    from django_redis import get_redis_connection

    return get_redis_connection("default")


def admit_socket(channel: str, info: str, *, limit: int, process: str = PROCESS_ID) -> int:
    """Register a socket of `process` unless it already has `limit` (0: no limit). Returns
    the process's sockets after it, or -1 when full."""
    now = int(time.time() * 1000)
    keys = (_process_key(process), _alive_prefix() + process, _processes_key())
    return int(_redis().eval(_ADMIT_SOCKET, 3, *keys, channel, info, limit, _process_ttl_ms(), now, process))


def heartbeat(process: str = PROCESS_ID) -> None:
    """This process is alive: renew its keys (the registry's heartbeat task calls this)."""
    ttl, now = _process_ttl_ms(), int(time.time() * 1000)
    pipe = _redis().pipeline()
    pipe.set(_alive_prefix() + process, now, px=ttl)
    pipe.pexpire(_process_key(process), ttl)
    pipe.zadd(_processes_key(), {process: now})
    pipe.execute()


def open_sockets() -> dict[str, int]:
    """Open sockets per live server process, from the registry (ops, benchmarks, tests)."""
    redis = _redis()
    cutoff = int(time.time() * 1000) - _process_ttl_ms()
    redis.zremrangebyscore(_processes_key(), "-inf", cutoff)  # processes that stopped beating
    counts = {}
    for raw in redis.zrange(_processes_key(), 0, -1):
        process = raw.decode() if isinstance(raw, bytes) else raw
        if redis.exists(_alive_prefix() + process):
            counts[process] = int(redis.hlen(_process_key(process)))
    return counts


_heartbeats: dict[int, asyncio.Task] = {}  # one per event loop (a process usually has one)
# The consumers this process admitted, by channel (weak: a consumer cancelled without a
# disconnect — a crash, a test's loop closing — vanishes from here, and reconcile_sockets
# then takes its entry out of the registry).
_admitted_here: weakref.WeakValueDictionary[str, Any] = weakref.WeakValueDictionary()


def _drop_stale(held: set[str], process: str = PROCESS_ID) -> int:
    key = _process_key(process)
    stale = [
        c for c in (raw.decode() if isinstance(raw, bytes) else raw for raw in _redis().hkeys(key)) if c not in held
    ]
    if stale:
        _redis().hdel(key, *stale)
    return len(stale)


async def reconcile_sockets() -> int:
    """Take out of this process's registry entry the sockets it no longer holds (how many)."""
    held = set(_admitted_here.keys())
    return await sync_to_async(_drop_stale, thread_sensitive=False)(held)


def _ensure_heartbeat() -> None:
    loop = asyncio.get_running_loop()
    task = _heartbeats.get(id(loop))
    if task is None or task.done() or task.get_loop() is not loop:
        _heartbeats.clear()  # tasks of loops gone (tests run one loop per test)
        _heartbeats[id(loop)] = loop.create_task(_beat())


async def _beat() -> None:
    while True:
        await asyncio.sleep(settings.WEBSOCKET_PROCESS_TTL / 3)
        try:
            await sync_to_async(heartbeat, thread_sensitive=False)()
            await reconcile_sockets()
        except Exception:  # Redis away for a moment: the next beat tries again
            logging.getLogger("megacity.websocket").warning("socket registry heartbeat failed", exc_info=True)


@sync_to_async(thread_sensitive=False)
def _admit(channel: str, info: str, limit: int) -> int:
    return admit_socket(channel, info, limit=limit)


@sync_to_async(thread_sensitive=False)
def _release(channel: str) -> None:
    _redis().hdel(_process_key(PROCESS_ID), channel)


@sync_to_async(thread_sensitive=False)
def _register_socket(key: str, channel: str, limit: int) -> list[str]:
    """Record an open socket of a user ("<layer alias>|<channel>"); those of their sockets
    beyond `limit`."""
    member = f"{PROCESS_ID}|{channel}"
    oldest = _redis().eval(_OPEN_SOCKET, 1, key, time.time_ns() // 1000, member, limit, SOCKETS_TTL_MS, _alive_prefix())
    return [(o.decode() if isinstance(o, bytes) else o).split("|", 1)[-1] for o in oldest]


@sync_to_async(thread_sensitive=False)
def _forget_socket(key: str, channel: str) -> None:
    _redis().zrem(key, f"{PROCESS_ID}|{channel}")


class TenantJsonConsumer(AsyncJsonWebsocketConsumer):
    """Base of every MegaCity consumer.

    - closes unauthenticated sockets with 4401 (set `allow_anonymous` to serve guests);
    - closes with 4403 a socket whose user lacks `permission_required` (a permission
      string, or a tuple of them all required — apps.accounts.permissions), or whose roles
      require MFA they have not set up; the refusal is recorded in the audit log. Checked
      once, on connect; `await self.check_permission(perm)` re-checks for one message;
    - `group(name)` prefixes group names with the schema, so group_send in one tenant can
      never reach another tenant's sockets;
    - limits (settings.WEBSOCKET_LIMITS): a server process holds at most
      `connections_per_process` sockets (the registry in Redis; the next is refused with
      4503: the client reconnects, through the load balancer, to another process); a
      signed-in user keeps at most `connections_per_user` sockets per tenant (across
      processes, in Redis; sockets of dead processes do not count); opening one more
      closes their oldest with 4409. More than `messages_per_second` messages (after
      a `burst`) close the socket with 4429; a frame over `max_frame_bytes` with 1009. A
      binary frame, or JSON nested deeper than `max_json_depth` (apps.core.jsondepth,
      checked before parsing), gets an error message and is dropped; malformed JSON
      reaches `receive_json` as {"type": "invalid"}.
    """

    allow_anonymous = False
    permission_required: str | tuple[str, ...] | None = None
    _counted = False
    _sockets_key: str | None = None
    _stopped = False
    _admitted = False

    async def accept(self, subprotocol=None, headers=None):
        await super().accept(subprotocol, headers)
        if not self._counted:
            from apps.ops import metrics

            self._counted = True
            _open_consumers.add(self)
            metrics.WEBSOCKETS_OPEN.labels(self.tenant.type).inc()
            metrics.WEBSOCKETS_OPENED.labels(self.tenant.type).inc()
            self._tokens, self._refilled = float(limits()["burst"]), time.monotonic()
            if self.user.is_authenticated:
                await self._count_per_user()

    async def _count_per_user(self) -> None:
        self._sockets_key = _sockets_key(self.scope["schema_name"], self.user.pk)
        member = f"{self.channel_layer_alias}|{self.channel_name}"
        for oldest in await _register_socket(self._sockets_key, member, limits()["connections_per_user"]):
            # Each consumer listens on its own channel, in whichever process holds it, on
            # the layer its consumer class uses (the club's sockets have their own).
            alias, _, channel = oldest.rpartition("|")
            await get_channel_layer(alias or "default").send(channel, {"type": "socket.replaced"})

    async def socket_replaced(self, event):
        """The user opened more sockets than allowed and this is their oldest."""
        self._sockets_key = None  # already taken off the user's list
        await self.stop(CloseCode.REPLACED, "too many connections: the newest replaced this one")

    async def stop(self, code: int, reason: str) -> None:
        """Close from the server end, once; whatever else arrives is ignored."""
        if not self._stopped:
            self._stopped = True
            await self.close(code=code, reason=reason)

    async def websocket_disconnect(self, message):
        if self._counted:
            from apps.ops import metrics

            self._counted = False
            _open_consumers.discard(self)
            metrics.WEBSOCKETS_OPEN.labels(self.tenant.type).dec()
        if self._sockets_key:
            key, self._sockets_key = self._sockets_key, None
            await _forget_socket(key, f"{self.channel_layer_alias}|{self.channel_name}")
        if self._admitted:
            self._admitted = False
            _admitted_here.pop(self.channel_name, None)
            await _release(self.channel_name)
        await super().websocket_disconnect(message)

    async def websocket_receive(self, message):
        if self._stopped:
            return
        if not self._spend_token():
            await self.stop(CloseCode.TOO_MANY_MESSAGES, "too many messages: slow down")
            return
        text, data = message.get("text"), message.get("bytes")
        size = len(data) if text is None and data is not None else len(text or "")
        if text is not None and size * 4 > limits()["max_frame_bytes"]:
            size = len(text.encode("utf-8", "surrogatepass"))
        if size > limits()["max_frame_bytes"]:
            await self.stop(CloseCode.MESSAGE_TOO_BIG, f"frame over {limits()['max_frame_bytes']} bytes")
            return
        await super().websocket_receive(message)

    def _spend_token(self) -> bool:
        """A token bucket per socket: `messages_per_second` refill, `burst` deep."""
        now = time.monotonic()
        rate, burst = limits()["messages_per_second"], limits()["burst"]
        tokens = getattr(self, "_tokens", float(burst))
        refilled = getattr(self, "_refilled", now)
        self._tokens, self._refilled = min(float(burst), tokens + (now - refilled) * rate), now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        if text_data is None:
            await self.send_error("binary_frame", "send JSON in text frames")
            return
        depth = limits()["max_json_depth"]
        if depth_exceeds(text_data, depth):
            await self.send_error("too_deep", f"JSON nested deeper than {depth} levels")
            return
        await super().receive(text_data=text_data, **kwargs)

    async def send_error(self, code: str, message: str) -> None:
        await self.send_json({"type": "error", "code": code, "message": message})

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
        info = f"{self.scope['schema_name']}|{getattr(self.user, 'pk', None) or ''}|{self.scope.get('path', '')}"
        limit = limits()["connections_per_process"]
        _admitted_here[self.channel_name] = self  # before Redis has it: a reconcile keeps it
        admitted = await _admit(self.channel_name, info, limit)
        if admitted < 0 and await reconcile_sockets():
            admitted = await _admit(self.channel_name, info, limit)  # places held by no one here
        if admitted < 0:
            _admitted_here.pop(self.channel_name, None)
            await self._refuse(CloseCode.UNAVAILABLE, "server full: reconnect")
            return
        self._admitted = True
        _ensure_heartbeat()
        await super().websocket_connect(message)

    def _required(self) -> tuple[str, ...]:
        required = self.permission_required
        return (required,) if isinstance(required, str) else tuple(required or ())

    async def _refusal(self, perms: tuple[str, ...]) -> str:
        """Why the socket's user may not have `perms` ("" if they may); audited. On the
        handshake threads: every socket asks this as it opens."""
        schema = self.scope["schema_name"]

        def run() -> str:
            with schema_context(schema):
                return self._refusal_now(perms)

        return await handshake_sync_to_async(run)()

    def _refusal_now(self, perms: tuple[str, ...]) -> str:
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
