"""The club's websockets: `ws/club/lobby/` and `ws/club/table/<id>/`.

`ClubSocket` is the consumer base with a negotiated protocol (websocket subprotocol):
`club.msgpack.v1` — binary frames, one MessagePack map each — or `club.json.v1` — text
frames, one JSON object each (also what a client offering no subprotocol gets). Channels'
JSON consumer refuses binary frames, so this base decodes both itself; everything else
(tenant, authentication, per-user socket limit with the oldest closed, message rate and
frame size limits) is apps.core.websocket.TenantJsonConsumer's.

On top of that: a heartbeat (a socket silent for CLUB_HEARTBEAT_SECONDS, 60 s, is closed
with 4000; any message, `{"t": "ping"}` included, counts). The connection limits (600
sockets per server process, 3 per player) are the base's, through its registry in Redis.
The message catalogue is in the README ("Club tables").
"""

from __future__ import annotations

import asyncio
import json
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import msgpack
from asgiref.sync import sync_to_async
from channels.consumer import get_handler_name
from django.conf import settings
from django.db import close_old_connections
from django_tenants.utils import schema_context

from apps.core.websocket import CloseCode, TenantJsonConsumer, tenant_database_sync_to_async

from . import driver
from .protocol import JSON, MSGPACK, encode

HEARTBEAT_CLOSE = 4000


_actions: ThreadPoolExecutor | None = None


def _action_threads() -> ThreadPoolExecutor:
    """The players' actions get threads of their own: in the shared pool (six threads on two
    cores) they queued behind the handshake steps of every socket opening at once — when a
    stage of 500 players starts, or a dead process's players reconnect — p50 147 ms, p95
    400 ms under load in bench/club."""
    global _actions
    if _actions is None:
        _actions = ThreadPoolExecutor(settings.CLUB_ACTION_THREADS, thread_name_prefix="club-act")
    return _actions


def off_the_loop(func=None, *, actions: bool = False):
    """Like tenant_database_sync_to_async, but in the shared thread pool (or, with
    `actions`, the players' actions' own) rather than the one thread Channels gives all of a
    process's database work (thread_sensitive): an action waits on its table's Redis lock,
    and one table's wait must not stall every other table of the process."""
    if func is None:
        return lambda f: off_the_loop(f, actions=actions)

    async def wrapper(consumer, *args, **kwargs):
        def run():
            close_old_connections()
            try:
                with schema_context(consumer.scope["schema_name"]):
                    return func(consumer, *args, **kwargs)
            finally:
                close_old_connections()

        executor = _action_threads() if actions else None
        return await sync_to_async(run, thread_sensitive=False, executor=executor)()

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper


class ClubSocket(TenantJsonConsumer):
    permission_required = "table:read"
    channel_layer_alias = "club"  # apps.club.live.CHANNEL_LAYER: the pub/sub layer
    protocol = JSON
    _watchdog: asyncio.Task | None = None

    # Messages whose handlers never touch the database on the event loop's behalf: the
    # table's, a player's and the lobby's frames (forwarded as they are) and the client's
    # frames (every database step they cause runs through off_the_loop,
    # handshake_sync_to_async or database_sync_to_async, which close the connections of
    # the thread that runs them, before and after).
    _forwarded = frozenset({"club.table", "club.private", "club.lobby", "websocket.receive"})

    async def dispatch(self, message):
        """Channels (4.2+) first sends every message's consumer to its one thread-sensitive
        thread to close that thread's old database connections, then runs the handler: for
        the club's sockets that was a trip to one thread, shared by every socket of the
        process, for each frame each socket forwards — hundreds a second at 500 players,
        queued one behind the other (py-spy: `ThreadPoolExecutor.submit`, `SyncToAsync`
        set-up, on the event loop). The club's handlers need none of it (`_forwarded`)."""
        handler = getattr(self, get_handler_name(message), None) if message.get("type") in self._forwarded else None
        if handler is not None:
            await handler(message)
        else:
            await super().dispatch(message)

    async def websocket_connect(self, message):
        offered = self.scope.get("subprotocols") or []
        self.protocol = MSGPACK if MSGPACK in offered else JSON
        self._subprotocol = self.protocol if self.protocol in offered else None
        await super().websocket_connect(message)

    async def accept(self, subprotocol=None, headers=None):
        await super().accept(subprotocol or self._subprotocol, headers)
        self._last_seen = time.monotonic()
        self._watchdog = asyncio.ensure_future(self._heartbeat())
        driver.ensure_started()

    async def websocket_disconnect(self, message):
        if self._watchdog is not None:
            self._watchdog.cancel()
        await super().websocket_disconnect(message)

    async def _heartbeat(self) -> None:
        limit = settings.CLUB_HEARTBEAT_SECONDS
        while not self._stopped:
            await asyncio.sleep(min(limit / 4, 5.0))
            if time.monotonic() - self._last_seen > limit:
                await self.stop(HEARTBEAT_CLOSE, f"silent for {limit:g} s")
                return

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        self._last_seen = time.monotonic()
        try:
            if bytes_data is not None:
                if self.protocol != MSGPACK:
                    await self.send_error("binary_frame", "this socket speaks club.json.v1: send JSON text frames")
                    return
                content = msgpack.unpackb(bytes_data, raw=False, strict_map_key=True)
            else:
                content = json.loads(text_data)
        except (ValueError, msgpack.ExtraData, msgpack.FormatError, msgpack.StackError):
            await self.send_error("malformed", "the frame could not be decoded")
            return
        if not isinstance(content, dict) or not isinstance(content.get("t"), str):
            await self.send_error("bad_message", 'every message is a map with a "t" (type)')
            return
        await self.receive_message(content)

    async def receive_message(self, content: dict) -> None:
        if content["t"] == "ping":
            await self.send_message({"t": "pong", "at": time.time()})
        else:
            await self.send_error("unknown_type", f"unknown message type {content['t']!r}")

    async def send_message(self, content: dict[str, Any]) -> None:
        await self.send_frame(encode(content, self.protocol))

    async def send_frame(self, frame: bytes | str) -> None:
        if self.protocol == MSGPACK:
            await self.send(bytes_data=frame)
        else:
            await self.send(text_data=frame)

    async def send_event(self, event: dict) -> None:
        """A table or lobby message from the channel layer: its frame, encoded once by its
        publisher (apps.club.protocol.frames), as it is."""
        if "frames" in event:
            await self.send_frame(event["frames"][self.protocol])
        else:
            await self.send_message(event["msg"])

    async def send_json(self, content, close=False):
        await self.send_message(content)
        if close:
            await self.close(close)

    async def send_error(self, code: str, message: str) -> None:
        await self.send_message({"t": "error", "code": code, "message": message})


class LobbySocket(ClubSocket):
    """The lobby: the digest on connect, then whenever it changes (≤ 2/s)."""

    async def connect(self):
        await self.join("lobby")
        await self.accept()
        driver.register_schema(self.scope["schema_name"])
        await self.send_message({"t": "lobby", "tables": await self._digest()})

    @tenant_database_sync_to_async
    def _digest(self):
        from .lobby import digest

        return digest()

    async def club_lobby(self, event):
        await self.send_event(event)


class TableSocket(ClubSocket):
    """One table: its events (with their sequence numbers) for everyone watching, the
    player's own hole cards for the player only, and the player's actions."""

    async def connect(self):
        self.table_id = int(self.scope["url_route"]["kwargs"]["table_id"])
        if not await self._table_exists():
            await self._refuse(CloseCode.NOT_FOUND, "no such table")
            return
        await self.join(f"table.{self.table_id}")
        await self.join(f"user.{self.user.pk}")
        await self.accept()
        await self.send_message(await self._snapshot())

    # Off Channels' one database thread: after a server dies, its players reconnect to
    # another process all at once, and every handshake queued behind that thread. One trip
    # for the check and the drivers' registration (a trip to the pool is a wait in its queue
    # when hundreds of sockets open at once).
    @off_the_loop
    def _table_exists(self) -> bool:
        from .models import Table

        if not Table.objects.filter(pk=self.table_id).exists():
            return False
        driver.register_schema(self.scope["schema_name"])
        return True

    @off_the_loop
    def _snapshot(self) -> dict:
        from . import live

        return live.snapshot(self.table_id, self.user)

    async def receive_message(self, content: dict) -> None:
        kind = content["t"]
        if kind == "act":
            if content.get("table") not in (None, self.table_id):
                await self.send_message(
                    {"t": "ack", "id": content.get("id"), "ok": False, "code": "stale", "reason": "another table"}
                )
                return
            await self.send_message(await self._act(content))
        elif kind == "snapshot":
            await self.send_message(await self._snapshot())
        elif kind in ("sit", "leave", "sit_out", "sit_in", "wait"):
            await self.send_message(await self._seat(kind, content))
        else:
            await super().receive_message(content)

    async def _act(self, content: dict) -> dict:
        submitted = time.perf_counter() if settings.CLUB_LOOP_LAG_PROBE else None
        return await self._act_on_thread(content, submitted)

    @off_the_loop(actions=True)
    def _act_on_thread(self, content: dict, submitted: float | None) -> dict:
        from . import live

        if submitted is None:
            return live.act(self.table_id, self.user, content)
        started = time.perf_counter()
        live.lock_times.asked = live.lock_times.taken = None
        reply = live.act(self.table_id, self.user, content)
        ended = time.perf_counter()
        asked, taken = live.lock_times.asked, live.lock_times.taken
        if asked is not None:
            driver.action_times.append(
                f"{(started - submitted) * 1000:.2f},{(taken - asked) * 1000:.2f},"
                f"{(ended - taken) * 1000:.2f},{(ended - submitted) * 1000:.2f}"
            )
        return reply

    @off_the_loop
    def _seat(self, kind: str, content: dict) -> dict:
        """Seat requests from the socket go through the same services as the REST API."""
        from django.core.exceptions import ValidationError

        from apps.accounts.permissions import has_permission

        from .models import Table
        from .services import seating

        table = Table.objects.get(pk=self.table_id)
        reply = {"t": "seat_result", "request": kind, "ok": True}
        try:
            if kind == "sit":
                if not has_permission(self.user, "seat:take"):
                    return {**reply, "ok": False, "errors": {"seat": ["permission denied"]}}
                seating.take_seat(
                    table=table,
                    user=self.user,
                    seat_number=content.get("seat"),
                    amount=content.get("amount"),
                    key=str(content.get("key") or ""),
                    actor=self.user,
                )
            elif kind == "leave":
                seating.stand_up(table=table, user=self.user, actor=self.user)
            elif kind in ("sit_out", "sit_in"):
                seating.set_sitting_out(table=table, user=self.user, sitting_out=kind == "sit_out", actor=self.user)
            elif kind == "wait":
                seating.join_waiting_list(table=table, user=self.user, actor=self.user)
        except ValidationError as error:
            errors = error.message_dict if hasattr(error, "error_dict") else {"detail": error.messages}
            return {**reply, "ok": False, "errors": errors}
        return reply

    async def club_table(self, event):
        await self.send_event(event)

    async def club_private(self, event):
        message = event["msg"]
        if message.get("table") in (None, self.table_id):
            await self.send_message(message)
