"""Tables in play: the live state in Redis, the seat → socket messages, and hand end.

Where things live (seed 004's write-behind):

- Between hands the database is the truth: seats, stacks, the button, hands played.
- A hand in play is one Redis hash per table (`<prefix>:club:<schema>:t:<id>`): field
  `hand` holds the hand's setup (positions, stacks, deck, salt) and the player actions so
  far, as JSON; `seq` is the table's message sequence. The pokerkit state is rebuilt from
  them by replay (the same code as `verify_hands`), and kept per process while its version
  matches, so a busy table replays only when another process acted last.
- At hand end the table gets `hand_end` at once (the result, the deck, the salt, and the
  id the `Hand` row will have, reserved at the deal); then, on the booking threads (the
  write-behind, off the path of the action that ended the hand), one transaction writes
  the `Hand` (its events in order, PHH actions), the seats' new stacks and the wallet's
  settlement, the Redis hand is cleared and the table gets the booked `seats`. A finished
  hand its process did not book (it died) is booked by the table's driver once its grace
  (CLUB_LEASE_SECONDS) has passed. After a restart Redis still holds hands in play; if
  Redis itself lost them, the hand in play is void and the stacks stand as the database
  has them (nothing was booked).

Every change to a table happens under the table's Redis lock, and every message to the
table's group gets the next `seq` under that lock, so sockets see them in order and a gap
means a lost message (the client asks for a snapshot). Hole cards go only to their owner's
`user:<id>` group, never to the table's group.
"""

from __future__ import annotations

import contextlib
import json
import logging
import secrets
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as futures_wait
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.core.websocket import group_name

from . import engine
from .protocol import frames

LOCK_SECONDS = 10
# How long a table's snapshot, unchanged, is reused for the sockets opening after it (_public_snapshot).
SNAPSHOT_REUSE_SECONDS = 2.0
# The club's sockets listen on their own channel layer (CHANNEL_LAYERS["club"], the pub/sub
# layer, chosen by bench/club_layers).
CHANNEL_LAYER = "club"
log = logging.getLogger("megacity.club")


def redis():
    from django_redis import get_redis_connection

    return get_redis_connection("default")


def _key(*parts: Any) -> str:
    return ":".join([settings.REDIS_KEY_PREFIX, "club", connection.schema_name, *map(str, parts)])


def table_key(table_id: int) -> str:
    return _key("t", table_id)


def active_key() -> str:
    """The tables of this club a driver looks after."""
    return _key("active")


# --------------------------------------------------------------------------- messages


def _send(group: str, event: dict) -> None:
    layer = get_channel_layer(CHANNEL_LAYER)
    if layer is None:
        return
    name = group_name(group)
    client = _publisher(layer)
    if client is not None:
        client.publish(group_channel(name), layer.serialize(event))
    else:
        async_to_sync(layer.group_send)(name, event)


_publishers: dict[int, Any] = {}
_publishers_lock = threading.Lock()


def _publisher(layer):
    """A synchronous Redis client publishing for the club's pub/sub layer, or None (another
    layer, or more than one Redis host): the table's messages are sent from the worker
    thread that made them. Through the layer's group_send they waited for the event loop
    (async_to_sync), which under load was 40 % of an action's time on its thread."""
    from channels_redis.pubsub import RedisPubSubChannelLayer

    if not isinstance(layer, RedisPubSubChannelLayer):
        return None
    with _publishers_lock:
        if id(layer) not in _publishers:
            hosts = settings.CHANNEL_LAYERS[CHANNEL_LAYER]["CONFIG"].get("hosts") or []
            client = None
            if len(hosts) == 1 and isinstance(hosts[0], dict):
                import redis as redis_py

                host = hosts[0]
                pool = redis_py.BlockingConnectionPool.from_url(
                    host["address"],
                    max_connections=host.get("max_connections", 8),
                    timeout=5,
                    socket_connect_timeout=host.get("socket_connect_timeout", 5),
                    socket_keepalive=host.get("socket_keepalive", True),
                    health_check_interval=host.get("health_check_interval", 30),
                )
                client = redis_py.Redis(connection_pool=pool)
            _publishers[id(layer)] = client
        return _publishers[id(layer)]


def group_channel(name: str) -> str:
    """The Redis channel the pub/sub layer publishes group `name` on (RedisPubSubLoopLayer.
    _get_group_channel_name in channels-redis 4.3; a test pins the two together)."""
    prefix = settings.CHANNEL_LAYERS[CHANNEL_LAYER]["CONFIG"].get("prefix", "asgi")
    return f"{prefix}__group__{name}"


def _packet(table_id: int, message: dict, seq: int) -> tuple[str, bytes] | None:
    """The table's message with number `seq` as the pub/sub layer would publish it: (Redis
    channel, payload), or None when it cannot go out from a script on the club's Redis (no
    layer, another layer, another Redis server): then it goes through `_send`."""
    if not _publishes_from_scripts():
        return None
    layer = get_channel_layer(CHANNEL_LAYER)
    event = {"type": "club.table", "frames": frames({**message, "seq": seq, "table": table_id})}
    return group_channel(group_name(f"table.{table_id}")), layer.serialize(event)


_from_scripts: list[bool] = []


def _publishes_from_scripts() -> bool:
    """Whether the club's pub/sub layer publishes on the Redis server the tables live on (the
    one `redis()` talks to: channels are per server, not per database), so that a script
    storing a hand can publish its message in the same round trip."""
    if not _from_scripts:
        from urllib.parse import urlsplit

        layer = get_channel_layer(CHANNEL_LAYER)
        same = False
        if layer is not None and _publisher(layer) is not None:
            host = settings.CHANNEL_LAYERS[CHANNEL_LAYER]["CONFIG"]["hosts"][0]["address"]
            kwargs = redis().connection_pool.connection_kwargs
            url = urlsplit(host)
            same = (
                url.scheme in ("redis", "rediss")
                and (url.hostname or "localhost", url.port or 6379)
                == (kwargs.get("host", "localhost"), int(kwargs.get("port", 6379)))
                and "path" not in kwargs
            )
        _from_scripts.append(same)
    return _from_scripts[0]


# KEYS[1] the table's hash; ARGV[1] the hand's JSON ('' to leave it), ARGV[2] the number the
# caller expects the message to get, ARGV[3] channel ('' for none), ARGV[4] payload. Stores the
# hand, takes the next number and, if it is the expected one, publishes the message (the
# payload carries it); returns the number, negated when it was not the expected one (a seat
# change published in between, outside the lock): the caller then sends the message itself.
_STORE_PUBLISH = """
if ARGV[1] ~= '' then redis.call('HSET', KEYS[1], 'hand', ARGV[1]) end
local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
if ARGV[3] == '' then return seq end
if tostring(seq) ~= ARGV[2] then return -seq end
redis.call('PUBLISH', ARGV[3], ARGV[4])
return seq
"""


def publish(table_id: int, message: dict, *, hand: dict | None = None, last: bool = False) -> int:
    """Send `message` to every socket of the table with the table's next sequence number
    (under the table's lock, so numbers go out in order). With `hand`, the hand is stored
    in the same round trip, before the number is taken. Returns the number.

    Under the table's lock (`table_lock`, this thread) the number is known in advance (read
    when the lock was taken), so storing, numbering and publishing are one script call; with
    `last=True` — nothing else to do under the lock — they go with the lock's release, one
    round trip for all (and the returned number is only the expected one: the message is
    sent when the lock is released). Outside the lock: a MULTI, then the publish."""
    held = _holding(table_id)
    raw = json.dumps(hand, separators=(",", ":")) if hand is not None else None
    if held is not None:
        held.flush()
        if raw is not None:
            held.raw = raw
        if last:
            held.pending = (message, raw)
            return held.seq + 1
        return held.store_publish(message, raw)
    pipe = redis().pipeline(transaction=True)
    if raw is not None:
        pipe.hset(table_key(table_id), "hand", raw)
    pipe.hincrby(table_key(table_id), "seq", 1)
    seq = int(pipe.execute()[-1])
    _send(f"table.{table_id}", {"type": "club.table", "frames": frames({**message, "seq": seq, "table": table_id})})
    return seq


def tell_user(user_id: int, message: dict) -> None:
    """A message for one user's sockets only (their hole cards, a seat that opened)."""
    _send(f"user.{user_id}", {"type": "club.private", "msg": message})


def tell_users(messages: list[tuple[int, dict]]) -> None:
    """`tell_user` for each (user, message), in one round trip on the pub/sub layer."""
    layer = get_channel_layer(CHANNEL_LAYER)
    client = _publisher(layer) if layer is not None else None
    if client is None:
        for user_id, message in messages:
            tell_user(user_id, message)
        return
    pipe = client.pipeline(transaction=False)
    for user_id, message in messages:
        event = {"type": "club.private", "msg": message}
        pipe.publish(group_channel(group_name(f"user.{user_id}")), layer.serialize(event))
    pipe.execute()


def mark_lobby_dirty() -> None:
    """The club's tables changed (a seat, a hand dealt or booked): the lobby is due a digest,
    and the API's cached table views are out of date."""
    pipe = redis().pipeline(transaction=False)
    pipe.sadd(_lobby_dirty_key(), connection.schema_name)
    pipe.set(tables_version_key(), secrets.token_hex(8))
    pipe.execute()


def tables_version_key() -> str:
    return _key("tables-version")


def table_version_key(table_id: int) -> str:
    return _key("table-version", table_id)


def _version(key: str) -> str:
    version = redis().get(key)
    if version is None:
        redis().set(key, secrets.token_hex(8), nx=True)
        version = redis().get(key)
    return version.decode() if isinstance(version, bytes) else str(version)


def tables_version() -> str:
    """A token that changes whenever the club's tables, seats or waiting lists do (the API's
    cached lobby list is keyed by it: apps.club.api.views). Random rather than a counter: a
    counter restarting (Redis flushed, a club dropped and made again) would find the views
    cached under its old numbers."""
    return _version(tables_version_key())


def table_version(table_id: int) -> str:
    """A token that changes whenever this table's row, its seats, its waiting list or its
    room do (the API's cached table detail is keyed by it): another table's deal or booking
    leaves it alone, unlike the club's `tables_version`."""
    return _version(table_version_key(table_id))


def _tables_of(sender, instance) -> list[int]:
    from .models import Room, Table

    if instance is None:
        return []
    if sender is Table or isinstance(instance, Table):
        return [instance.pk] if instance.pk else []
    if sender is Room or isinstance(instance, Room):
        return list(Table.objects.filter(room_id=instance.pk).values_list("pk", flat=True)) if instance.pk else []
    table_id = getattr(instance, "table_id", None)
    return [table_id] if table_id else []


def tables_changed(sender=None, instance=None, **kwargs) -> None:
    """A table, seat, waiting entry or room was saved or deleted: new versions (the club's,
    and the tables' it concerns) now and again after the commit (a view read in between may
    have cached the rows as they were)."""
    keys = [tables_version_key(), *(table_version_key(table_id) for table_id in _tables_of(sender, instance))]

    def change() -> None:
        pipe = redis().pipeline(transaction=False)
        for key in keys:
            pipe.set(key, secrets.token_hex(8))
        pipe.execute()

    change()
    transaction.on_commit(change)


def watch_tables() -> None:
    """Move the tables version on every save and delete of the club's rows (ClubConfig.ready)."""
    from django.db.models.signals import post_delete, post_save

    from .models import Room, Seat, Table, WaitingEntry

    for model in (Room, Table, Seat, WaitingEntry):
        post_save.connect(tables_changed, sender=model, dispatch_uid=f"club-tables-{model.__name__}-save")
        post_delete.connect(tables_changed, sender=model, dispatch_uid=f"club-tables-{model.__name__}-delete")


def _lobby_dirty_key() -> str:
    return ":".join([settings.REDIS_KEY_PREFIX, "club", "lobby-dirty"])


def seats_changed(table_id: int) -> None:
    """After a seat change commits: the table's sockets get the seats, the lobby is due a
    digest, and the table is on the drivers' list."""
    redis().sadd(active_key(), table_id)
    # Not under the table's lock (a service may still hold it when its transaction commits):
    # the number is still taken atomically, and a message overtaken by another looks to the
    # client like a gap, which a snapshot resolves.
    publish(table_id, {"t": "seats", "seats": seats_view(table_id)})
    mark_lobby_dirty()


# --------------------------------------------------------------------------- state


# The table's lock: one script call takes it and reads the hand and the sequence number
# (KEYS[1] lock, KEYS[2] the table's hash; ARGV[1] token, ARGV[2] ms); {0, ms left} when
# another holds it.
_TAKE = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {1, redis.call('HGET', KEYS[2], 'hand'), redis.call('HGET', KEYS[2], 'seq')}
end
return {0, redis.call('PTTL', KEYS[1])}
"""

# The release, with the lock's last message if any: KEYS[1] lock, KEYS[2] the table's hash,
# KEYS[3] the table's wake-up list; ARGV[1] token, ARGV[2] '1' when a message goes out, then
# as _STORE_PUBLISH's ARGV. The lock is deleted only if it is still ours, and a waiter
# (BLPOP on the wake-up list) is woken. Returns the message's number (negated: not
# published, see _STORE_PUBLISH), 0 without one.
_RELEASE = """
local seq = 0
if ARGV[2] == '1' then
  if ARGV[3] ~= '' then redis.call('HSET', KEYS[2], 'hand', ARGV[3]) end
  seq = redis.call('HINCRBY', KEYS[2], 'seq', 1)
  if ARGV[5] == '' or tostring(seq) ~= ARGV[4] then
    seq = -seq
  else
    redis.call('PUBLISH', ARGV[5], ARGV[6])
  end
end
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('DEL', KEYS[3])
  redis.call('RPUSH', KEYS[3], '1')
  redis.call('PEXPIRE', KEYS[3], ARGV[7])
end
return seq
"""

# A waiter blocks on the table's wake-up list for at most this long (seconds) before trying
# again (a holder that died never wakes anyone: its lock expires); below the cache client's
# socket timeout.
WAKE_MAX_WAIT = 0.25
_scripts: dict[str, Any] = {}


def _script(source: str):
    """The script registered once (redis-py's Script: EVALSHA, loading it if Redis lost it)."""
    script = _scripts.get(source)
    if script is None:
        script = _scripts[source] = redis().register_script(source)
    return script


# The probe's timings of the current thread's table lock (CLUB_LOOP_LAG_PROBE): when it was
# asked for and when it was taken (time.perf_counter()).
lock_times = threading.local()
# The table locks this thread holds: lock key -> _Held.
_held = threading.local()


class _Held:
    """A table lock this thread holds: the hand and the sequence number as read when it was
    taken (kept current by this thread's writes: nobody else writes them while it holds the
    lock), and the message left to go out with the release."""

    def __init__(self, table_id: int, token: str, raw, seq: int) -> None:
        self.table_id, self.token, self.raw, self.seq = table_id, token, raw, seq
        self.pending: tuple[dict, str | None] | None = None

    def store_publish(self, message: dict, raw: str | None) -> int:
        packet = _packet(self.table_id, message, self.seq + 1)
        channel, payload = packet if packet else ("", b"")
        seq = int(
            _script(_STORE_PUBLISH)(
                keys=[table_key(self.table_id)], args=[raw or "", self.seq + 1, channel, payload], client=redis()
            )
        )
        return self._sent(message, seq, published=packet is not None)

    def _sent(self, message: dict, seq: int, *, published: bool) -> int:
        if seq < 0 or not published:
            # Not published by the script (another number, or another server): sent here.
            seq = abs(seq)
            _send(
                f"table.{self.table_id}",
                {"type": "club.table", "frames": frames({**message, "seq": seq, "table": self.table_id})},
            )
        self.seq = seq
        return seq

    def flush(self) -> None:
        """The pending message goes out now (something else is done under the lock after it)."""
        if self.pending is not None:
            message, raw = self.pending
            self.pending = None
            self.store_publish(message, raw)

    def release(self, *, send: bool) -> None:
        args: list[Any] = [self.token, "0"]
        packet = None
        message = None
        if send and self.pending is not None:
            message, raw = self.pending
            packet = _packet(self.table_id, message, self.seq + 1)
            channel, payload = packet if packet else ("", b"")
            args = [self.token, "1", raw or "", self.seq + 1, channel, payload]
        else:
            args += ["", 0, "", b""]
        self.pending = None
        args.append(int(WAKE_MAX_WAIT * 4000))
        keys = [_key("lock", self.table_id), table_key(self.table_id), _key("wake", self.table_id)]
        seq = int(_script(_RELEASE)(keys=keys, args=args, client=redis()))
        if message is not None:
            self._sent(message, seq, published=packet is not None)


def _holding(table_id: int) -> _Held | None:
    locks = getattr(_held, "locks", None)
    return locks.get(_key("lock", table_id)) if locks else None


@contextlib.contextmanager
def table_lock(table_id: int) -> Iterator[None]:
    """The table's lock (not re-entrant). Taken with the hand and the sequence number in one
    script call; while another holds it, the waiter blocks on the table's wake-up list, which
    the holder's release pushes to (no polling round trips), for at most WAKE_MAX_WAIT
    before trying again. Released in one call with the lock's last message (`publish(...,
    last=True)`); on an exception, released without it."""
    asked = time.perf_counter()
    client = redis()
    lock_key, wake_key = _key("lock", table_id), _key("wake", table_id)
    token = secrets.token_hex(16)
    give_up = time.monotonic() + LOCK_SECONDS
    while True:
        reply = _script(_TAKE)(keys=[lock_key, table_key(table_id)], args=[token, LOCK_SECONDS * 1000], client=client)
        if int(reply[0]) == 1:
            break
        left = give_up - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"table {table_id} is locked")
        expires = int(reply[1]) / 1000 if int(reply[1]) > 0 else 0.01
        # Never 0: BLPOP's 0 blocks for ever.
        client.blpop([wake_key], timeout=round(max(0.005, min(left, expires, WAKE_MAX_WAIT)), 3))
    lock_times.asked, lock_times.taken = asked, time.perf_counter()
    raw, seq = reply[1], reply[2]
    held = _Held(table_id, token, raw if raw else None, int(seq or 0))
    if not hasattr(_held, "locks"):
        _held.locks = {}
    _held.locks[lock_key] = held
    ok = False
    try:
        yield
        ok = True
    finally:
        _held.locks.pop(lock_key, None)
        if ok:
            try:
                held.release(send=True)
            except Exception:
                # Stored or not, this process's Game for the table may be ahead of Redis.
                _games.pop((connection.schema_name, table_id), None)
                raise
        else:
            with contextlib.suppress(Exception):
                held.release(send=False)


def load(table_id: int) -> dict | None:
    held = _holding(table_id)
    raw = held.raw if held is not None else redis().hget(table_key(table_id), "hand")
    return json.loads(raw) if raw else None


def save(table_id: int, hand: dict | None) -> None:
    held = _holding(table_id)
    if held is not None:
        held.flush()
    if hand is None:
        redis().hdel(table_key(table_id), "hand")
        raw = None
    else:
        raw = json.dumps(hand, separators=(",", ":"))
        redis().hset(table_key(table_id), "hand", raw)
    if held is not None:
        held.raw = raw


# (schema, table) -> (version, Game): a process that acted last on a table keeps its state.
_games: dict[tuple[str, int], tuple[int, engine.Game]] = {}


def game_of(table_id: int, hand: dict) -> engine.Game:
    cache_key = (connection.schema_name, table_id)
    cached = _games.get(cache_key)
    actions = hand["actions"]
    if cached and cached[1].setup.number == hand["setup"]["number"] and cached[1].salt_matches(hand):
        game = cached[1]
        if cached[0] == hand["version"]:
            return game
        if game.applied <= len(actions):
            # Another process acted since: apply only the actions this process has not seen.
            for action in actions[game.applied :]:
                engine.apply(game, action)
            _games[cache_key] = (hand["version"], game)
            return game
    game = engine.replay(engine.Setup.from_dict(hand["setup"]), actions)
    _games[cache_key] = (hand["version"], game)
    return game


def _keep(table_id: int, hand: dict, game: engine.Game) -> None:
    _games[(connection.schema_name, table_id)] = (hand["version"], game)


def in_hand(table_id: int, user_id: int) -> bool:
    hand = load(table_id)
    return bool(hand) and user_id in hand["setup"]["users"]


# --------------------------------------------------------------------------- views


def seats_view(table_id: int, hand: dict | None = None, game: engine.Game | None = None) -> list[dict]:
    """The seats with their stacks (live ones during a hand). Called with and without the
    table's lock, so it replays its own copy of the hand rather than touch the process's
    cached one, which a writer may be advancing."""
    from .models import Seat

    if game is None:
        hand = load(table_id)
        game = engine.replay(engine.Setup.from_dict(hand["setup"]), hand["actions"]) if hand else None
    live_stacks = {}
    if hand and game:
        live_stacks = dict(zip(hand["setup"]["seats"], game.state.stacks, strict=True))
    rows = Seat.objects.filter(table_id=table_id).select_related("user").order_by("number")
    return [
        {
            "seat": seat.number,
            "player": seat.user.display_name or seat.user.username if seat.user_id else None,
            "user": seat.user_id,
            "stack": live_stacks.get(seat.number, seat.stack),
            "status": seat.status,
            "waiting_for_bb": seat.waiting_for_bb,
        }
        for seat in rows
    ]


def hand_view(table_id: int, hand: dict, game: engine.Game) -> dict:
    """The hand as every seat and spectator may see it (no hole cards)."""
    state = game.state
    setup = hand["setup"]
    actor = state.actor_index
    return {
        "number": setup["number"],
        "button": hand["button"],
        "positions": setup["seats"],
        "blinds": [setup["small_blind"], setup["big_blind"]],
        "small_blind_seat": None if hand.get("small_blind_dead") else (hand.get("blind_seats") or [None])[0],
        "big_blind_seat": (hand.get("blind_seats") or [None, None])[1],
        "posted": dict(zip(map(str, setup["seats"]), engine.Setup.from_dict(setup).posted, strict=True)),
        "street": engine.street(state),
        "board": engine.board(state),
        "stacks": dict(zip(map(str, setup["seats"]), state.stacks, strict=True)),
        "bets": dict(zip(map(str, setup["seats"]), state.bets, strict=True)),
        "folded": [setup["seats"][i] for i, live in enumerate(state.statuses) if not live],
        "pot": state.total_pot_amount,
        "actor": setup["seats"][actor] if actor is not None else None,
        "deadline": hand.get("deadline"),
        "clock": "time_bank" if hand.get("banking") else "action",
        "banks": dict(zip(map(str, setup["seats"]), [round(b, 1) for b in hand.get("banks") or []], strict=False)),
        "legal": engine.legal(game),
        "hash": hand["hash"],
    }


# (schema, table) -> the public part of the table's last snapshot and what it was read at:
# (seq, tables version, the hand's raw JSON, when) -> (info, seats, hand view, Game).
_snapshots: dict[tuple[str, int], tuple[tuple, tuple]] = {}


def snapshot(table_id: int, user) -> dict:
    """What a socket gets on connect and after a gap: the table, the seats, the hand in
    play, and the user's own hole cards (only theirs)."""
    # Without the table's lock: a process that died holding it would keep every reconnecting
    # player waiting for the lock to expire. The hand and the sequence number are read in one
    # MULTI; writers store the hand before taking the next number, so a snapshot may carry a
    # number just below its hand's (the message with the next one repeats what the snapshot
    # shows: harmless), never a number ahead of its hand.
    pipe = redis().pipeline(transaction=True)
    pipe.hget(table_key(table_id), "seq")
    pipe.hget(table_key(table_id), "hand")
    pipe.get(tables_version_key())
    raw_seq, raw_hand, version = pipe.execute()
    seq = int(raw_seq or 0)
    info, seats, view, game = _public_snapshot(table_id, seq, raw_hand, version)
    mine = None
    if game is not None:
        position = game.position_of.get(getattr(user, "pk", None))
        if position is not None:
            hand_seats = game.setup.seats
            mine = {"seat": hand_seats[position], "hole": engine.hole(game.state, position)}
    return {"t": "snapshot", "seq": seq, "table": table_id, "info": info, "seats": seats, "hand": view, "you": mine}


def _public_snapshot(table_id: int, seq: int, raw_hand: bytes | None, version: bytes | None) -> tuple:
    """What every socket of the table gets alike (everything but `you`). The sockets of a
    table open together (a session starting, a dead server's players reconnecting: 500 at
    once in bench/club), and each built this alone: two queries and a replay of the hand,
    the largest part of a socket's opening on the servers' CPU. Reused while the table's
    sequence number, the club's tables version (moved by every change to a table's or
    seat's rows: `tables_changed`, `mark_lobby_dirty`) and the stored hand are what they
    were, and for at most SNAPSHOT_REUSE_SECONDS (a player's new display name, which moves
    neither, shows after that). The Game is this entry's own replay, never advanced by a
    writer; callers read it and must not change what is returned."""
    from .models import Table

    cache_key = (connection.schema_name, table_id)
    stamp = (seq, version, raw_hand)
    cached = _snapshots.get(cache_key)
    now = time.monotonic()
    if version is not None and cached and cached[0][:3] == stamp and now - cached[0][3] < SNAPSHOT_REUSE_SECONDS:
        return cached[1]
    table = Table.objects.get(pk=table_id)
    hand = json.loads(raw_hand) if raw_hand else None
    view = game = None
    if hand:
        game = engine.replay(engine.Setup.from_dict(hand["setup"]), hand["actions"])
        view = hand_view(table_id, hand, game)
    seats = seats_view(table_id, hand, game) if hand else seats_view(table_id)
    info = {
        "name": table.name,
        "blinds": [table.small_blind, table.big_blind],
        "max_seats": table.max_seats,
        "buy_in": [table.min_buy_in, table.max_buy_in],
        "status": table.status,
        "action_seconds": table.action_seconds,
    }
    public = (info, seats, view, game)
    if version is not None:
        _snapshots[cache_key] = ((*stamp, now), public)
    return public


# --------------------------------------------------------------------------- hands


def start_hand(table_id: int, *, deck: list[str] | None = None, now: float | None = None) -> dict | None:
    """Deal the next hand if two or more players are in (None otherwise). `deck` only from
    tests (scripted decks); a live hand is always shuffled by `engine.new_deck()`."""
    from apps.wallet.rake import rule_for

    from .models import Seat, Table

    with table_lock(table_id):
        if load(table_id):
            return None
        table = Table.objects.get(pk=table_id)
        if table.status != Table.Status.OPEN:
            return None
        seats = list(
            Seat.objects.filter(table=table, status=Seat.Status.ACTIVE, stack__gt=0, leaving=False).order_by("number")
        )
        if len(seats) < 2:
            return None
        by_number = {seat.number: seat for seat in seats}
        plan = engine.plan_hand(
            {n: seat.waiting_for_bb for n, seat in by_number.items()},
            button=table.button_seat,
            small=table.small_blind_seat,
            big=table.big_blind_seat,
            small_blind=table.small_blind,
            big_blind=table.big_blind,
        )
        _count_missed_hands(table)
        button, order = plan.button, plan.seats
        # Dealt in, they wait no longer (a big blind reached them, or the table restarted).
        Seat.objects.filter(table=table, number__in=order, waiting_for_bb=True).update(waiting_for_bb=False)
        salt = secrets.token_hex(16)
        deck = deck or engine.new_deck()
        setup = engine.Setup(
            number=table.hands_played + 1,
            small_blind=table.small_blind,
            big_blind=table.big_blind,
            seats=order,
            users=[by_number[n].user_id for n in order],
            stacks=[by_number[n].stack for n in order],
            deck=deck,
            salt=salt,
            rule=rule_for(table.small_blind, table.big_blind),
            blinds=plan.blinds,
        )
        game = engine.start(setup)
        now = now if now is not None else time.time()
        hand = {
            "setup": setup.to_dict(),
            "actions": [],
            "client_ids": [],
            "timed_out": [],
            "events": [],
            "button": button,
            "blind_seats": [plan.small_blind_seat, plan.big_blind_seat],
            "small_blind_dead": plan.small_blind_dead,
            "hash": engine.deck_hash(deck, salt),
            "id": _reserve_hand_id(),
            "started_at": timezone.now().isoformat(),
            "deadline": now + table.action_seconds,
            "action_seconds": table.action_seconds,
            # Each position's time bank (seconds), and whether the player to act is on it.
            "banks": [by_number[n].time_bank for n in order],
            "banking": False,
            "version": 0,
        }
        hand["events"].append(
            {
                "op": "start",
                "button": button,
                "positions": order,
                "posted": plan.blinds,
                "stacks": setup.stacks,
                "hash": hand["hash"],
            }
        )
        _keep(table_id, hand, game)
        redis().sadd(active_key(), table_id)
        publish(table_id, {"t": "hand_start", "hand": hand_view(table_id, hand, game)}, hand=hand)
        tell_users(
            [
                (
                    user_id,
                    {
                        "t": "hole",
                        "table": table_id,
                        "hand": setup.number,
                        "seat": order[position],
                        "cards": engine.hole(game.state, position),
                    },
                )
                for position, user_id in enumerate(setup.users)
            ]
        )
    mark_lobby_dirty()
    return hand


def _count_missed_hands(table) -> None:
    """Players sitting out miss this hand; after CLUB_MISSED_HANDS_LIMIT they stand up."""
    from .models import Seat
    from .services import seating

    limit = settings.CLUB_MISSED_HANDS_LIMIT
    for seat in Seat.objects.filter(table=table, status=Seat.Status.SITTING_OUT).select_related("user"):
        if seat.missed_hands + 1 >= limit:
            with transaction.atomic():
                seating._cash_out(Seat.objects.select_for_update().get(pk=seat.pk), actor=None)
        else:
            Seat.objects.filter(pk=seat.pk).update(missed_hands=seat.missed_hands + 1)


def act(table_id: int, user, message: dict, *, now: float | None = None) -> dict:
    """A player's action from a socket: {"hand", "street", "id", "action", "amount"?}.
    Returns the acknowledgement for that socket (ok, or refused with a code and a reason);
    a refused action changes nothing."""
    client_id = message.get("id")
    if not isinstance(client_id, str | int) or isinstance(client_id, bool) or len(str(client_id)) > 64:
        return _refusal(client_id, "bad_id", "Every action needs an id (a string or number).")
    with table_lock(table_id):
        hand = load(table_id)
        if not hand:
            return _refusal(client_id, "no_hand", "No hand is in play.")
        game = game_of(table_id, hand)
        if str(client_id) in hand["client_ids"]:
            return _refusal(client_id, "repeated", "This action was already received.")
        if message.get("hand") != hand["setup"]["number"] or message.get("street") != engine.street(game.state):
            return _refusal(client_id, "stale", "This action is for another hand or street.")
        action = {"user": user.pk, "action": message.get("action")}
        if "amount" in message:
            action["amount"] = message["amount"]
        try:
            engine.apply(game, action)
        except engine.Refused as refused:
            return _refusal(client_id, refused.code, refused.message)
        hand["client_ids"].append(str(client_id))
        try:
            _advance(table_id, hand, game, action, now=now)
        except Exception:
            _games.pop((connection.schema_name, table_id), None)  # applied here, not stored
            raise
    return {"t": "ack", "id": client_id, "ok": True}


def _refusal(client_id, code: str, reason: str) -> dict:
    return {"t": "ack", "id": client_id, "ok": False, "code": code, "reason": reason}


def _advance(table_id: int, hand: dict, game: engine.Game, action: dict, *, now: float | None) -> None:
    """After an applied action (under the lock): record, tell the table, finish or rearm."""
    from .models import Table

    before = len(hand["events"])
    hand["actions"].append(action)
    hand["version"] += 1
    # The operations this action caused (the action, bets collected, the board, showdown).
    operations = game.state.operations
    seen = hand.get("ops_seen", 0)
    new_events = [event for event in map(engine.describe, operations[seen:]) if event]
    hand["ops_seen"] = len(operations)
    seats = hand["setup"]["seats"]
    for event in new_events:
        if "pos" in event:
            event["seat"] = seats[event.pop("pos")]
        if action.get("timeout") and event.get("seat") == seats[game.position_of[action["user"]]]:
            event["timeout"] = True
    hand["events"].extend(new_events)
    now = now if now is not None else time.time()
    _spend_bank(hand, game.position_of[action["user"]], now, timed_out=bool(action.get("timeout")))
    if game.state.status:
        seconds = hand.get("action_seconds") or Table.objects.only("action_seconds").get(pk=table_id).action_seconds
        hand["deadline"] = now + seconds
        _keep(table_id, hand, game)
        update = {"t": "update", "events": hand["events"][before:], "hand": hand_view(table_id, hand, game)}
        publish(table_id, update, hand=hand, last=True)  # with the lock's release: one round trip
        return
    # Over. The finished hand is stored (`over`) before it is announced and booked: a process
    # that dies after this leaves a hand any driver finishes once its deadline — the grace
    # the booking gets — has passed (timeout), not one a move short.
    hand["over"] = True
    hand["deadline"] = now + settings.CLUB_LEASE_SECONDS
    save(table_id, hand)
    _keep(table_id, hand, game)
    _announce(table_id, hand, game, before)
    if connection.in_atomic_block:
        # The caller's transaction (a command, a test) holds rows no other connection sees
        # yet: the booking is part of it.
        _book(table_id, hand, game)
    else:
        _book_later(table_id, hand["setup"]["number"])


def _spend_bank(hand: dict, position: int, now: float, *, timed_out: bool) -> None:
    """The turn of `position` is over: what it used of its time bank comes off the bank."""
    if not hand.get("banking"):
        return
    banks = hand["banks"]
    used = banks[position] if timed_out else min(banks[position], max(0.0, now - hand["bank_from"]))
    banks[position] = max(0.0, banks[position] - used)
    hand["banking"] = False
    hand.pop("bank_from", None)


def _announce(table_id: int, hand: dict, game: engine.Game, before: int) -> None:
    """Hand end, first half (under the table's lock, on the path of the action that ended
    it): conservation asserted, then `hand_end` to the table — the result, the deck and the
    salt — before anything is written to the database."""
    result = engine.result(game)
    setup = hand["setup"]
    assert sum(result.final_stacks) + result.rake == sum(setup["stacks"]), "chips not conserved"
    if not hand.get("id"):  # a hand dealt before ids were reserved at the deal
        hand["id"] = _reserve_hand_id()
    publish(
        table_id,
        {
            "t": "hand_end",
            "events": hand["events"][before:],
            "hand": setup["number"],
            "hand_id": hand["id"],
            "board": engine.board(game.state),
            "stacks": dict(zip(map(str, setup["seats"]), result.final_stacks, strict=True)),
            "won": dict(zip(map(str, setup["seats"]), result.winnings, strict=True)),
            "shown": {str(setup["seats"][p]): cards for p, cards in result.shown.items()},
            "rake": result.rake,
            "deck": setup["deck"],
            "salt": setup["salt"],
            "hash": hand["hash"],
        },
    )
    # Published, then marked: a process dying in between makes the driver announce it again
    # (a repeated hand_end, with its own sequence number), never not at all.
    hand["announced"] = True
    save(table_id, hand)


def _reserve_hand_id() -> int:
    """The next `Hand` id, taken from its sequence when the hand is dealt, so that hand_end
    can name the row that its booking will write later."""
    from .models import Hand

    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [Hand._meta.db_table])
        return int(cursor.fetchone()[0])


# Hand end, second half: the write-behind. The booking is one transaction under the club's
# books lock, which every table of the club in every server process queues for: under load
# it took 80 ms at the median and up to a second and a half, which the action that ended the
# hand (and the executor thread running it) used to wait for, stalling the tables behind it.
# It now runs on these threads, after hand_end has gone out.
_booker: ThreadPoolExecutor | None = None
_booker_lock = threading.Lock()
_bookings: set[Future] = set()


def _booking_executor() -> ThreadPoolExecutor:
    global _booker
    with _booker_lock:
        if _booker is None:
            _booker = ThreadPoolExecutor(settings.CLUB_BOOKING_THREADS, thread_name_prefix="club-book")
        return _booker


_queued: set[tuple[str, int, int]] = set()  # (schema, table, hand) queued here, not yet booked


def _book_later(table_id: int, number: int) -> None:
    schema = connection.schema_name
    queued = (schema, table_id, number)
    with _booker_lock:
        if queued in _queued:  # the driver asking again while this process's booking waits
            return
        _queued.add(queued)

    def run() -> None:
        close_old_connections()
        try:
            with schema_context(schema):
                book(table_id, number)
        except Exception:  # the hand stays in Redis, over: the driver books it after its grace
            log.exception("club: booking a hand failed", extra={"table": table_id, "hand": number})
        finally:
            with _booker_lock:
                _queued.discard(queued)
            close_old_connections()

    future = _booking_executor().submit(run)
    with _booker_lock:
        _bookings.add(future)
    future.add_done_callback(_bookings.discard)


def wait_for_bookings(timeout: float = 30.0) -> None:
    """Until every booking this process has queued is done (tests; a process stopping)."""
    with _booker_lock:
        pending = list(_bookings)
    futures_wait(pending, timeout=timeout)


def book(table_id: int, number: int) -> bool:
    """Book hand `number` of the table if it is the finished hand in Redis (False when it
    was booked and cleared already, by this process or a driver's recovery)."""
    with table_lock(table_id):
        hand = load(table_id)
        if not hand or hand["setup"]["number"] != number or not hand.get("over"):
            return False
        game = game_of(table_id, hand)
        if not hand.get("announced"):  # its process died between storing and announcing it
            _announce(table_id, hand, game, len(hand["events"]))
        _book(table_id, hand, game)
    return True


def _book(table_id: int, hand: dict, game: engine.Game) -> None:
    """Under the table's lock: one transaction books the hand (its events, the seats' new
    stacks, the wallet's settlement); then the Redis hand is cleared and the table gets
    the seats as booked."""
    from .services import hands as hand_services

    try:
        hand_services.book_hand(table_id=table_id, hand=hand, game=game, result=engine.result(game))
    except hand_services.StaleHand:
        log.error("club: a stale hand was voided", extra={"table": table_id, "hand": hand["setup"]["number"]})
        save(table_id, None)
        _games.pop((connection.schema_name, table_id), None)
        return
    save(table_id, None)
    _games.pop((connection.schema_name, table_id), None)
    publish(table_id, {"t": "seats", "seats": seats_view(table_id)})
    redis().hset(table_key(table_id), "next_hand_at", time.time() + settings.CLUB_NEXT_HAND_DELAY)
    mark_lobby_dirty()


def timeout(table_id: int, *, now: float | None = None) -> bool:
    """The clock: past the deadline, the player to act goes on their time bank if it holds
    any time (the deadline moves by the whole bank and the table gets a `timer` message);
    past that too, they check or fold (and sit out from the next hand). True if the clock
    did something."""
    now = now if now is not None else time.time()
    with table_lock(table_id):
        hand = load(table_id)
        if not hand or hand.get("deadline") is None or hand["deadline"] > now:
            return False
        game = game_of(table_id, hand)
        if not game.state.status:
            # Over but not marked so (a hand finished before the write-behind): booked here.
            # Booking again finds a booked hand (idempotent) and clears it.
            if not hand.get("announced"):
                _announce(table_id, hand, game, len(hand["events"]))
            _book(table_id, hand, game)
            return True
        position = game.state.actor_index
        if position is None:
            return False
        banks = hand.get("banks") or []
        if not hand.get("banking") and position < len(banks) and banks[position] > 0:
            # The bank runs from the moment the action clock ran out, not from when the
            # driver noticed: a late pass must not lengthen anyone's turn.
            hand["banking"] = True
            hand["bank_from"] = hand["deadline"]
            hand["deadline"] = hand["deadline"] + banks[position]
            publish(
                table_id,
                {
                    "t": "timer",
                    "hand": hand["setup"]["number"],
                    "seat": hand["setup"]["seats"][position],
                    "clock": "time_bank",
                    "deadline": hand["deadline"],
                    "bank": round(banks[position], 1),
                },
                hand=hand,
                last=True,
            )
            return True
        action = engine.timeout_action(game)
        engine.apply(game, {k: v for k, v in action.items() if k != "timeout"})
        hand["timed_out"].append(action["user"])
        try:
            _advance(table_id, hand, game, action, now=now)
        except Exception:
            _games.pop((connection.schema_name, table_id), None)  # applied here, not stored
            raise
    return True


def _may_deal(table_id: int) -> bool:
    from .models import Seat, Table

    return (
        Table.objects.filter(pk=table_id, status=Table.Status.OPEN).exists()
        and Seat.objects.filter(table_id=table_id, user__isnull=False).exists()
    )


def tick(*, now: float | None = None) -> None:
    """One pass of the driver over this club's tables (inside the club's schema): clocks
    that ran out, and the next hand where one is due. Only the holder of a table's lease
    drives it (apps.club.driver)."""
    from .driver import holds_leases

    now = now if now is not None else time.time()
    # Two round trips for the whole pass (the leases, then the held tables' hands and next
    # deals), not two per table: each trip is a wait for the GIL on the way back, and a
    # pass every 0.25 s over 64 tables made ~500 of them a second in each process, every
    # one taking the GIL from the event loop and the request and action threads.
    tables = [int(raw) for raw in redis().smembers(active_key())]
    held = [table_id for table_id, ok in zip(tables, holds_leases(tables), strict=True) if ok]
    pipe = redis().pipeline(transaction=False)
    for table_id in held:
        pipe.hmget(table_key(table_id), "hand", "next_hand_at")
    for table_id, (raw_hand, next_hand_at) in zip(held, pipe.execute() if held else [], strict=True):
        hand = json.loads(raw_hand) if raw_hand else None
        if hand and hand.get("over"):
            if hand["deadline"] <= now:
                # Its grace is gone: the process that ended it died, or its booking failed or
                # still waits. Booked on the booking threads, never on the driver's own: a
                # pass waiting for the books lock would stop every other table's clock.
                _book_later(table_id, hand["setup"]["number"])
        elif hand:
            if hand.get("deadline") and hand["deadline"] <= now:
                timeout(table_id, now=now)
        elif settings.CLUB_AUTO_DEAL:
            due = float(next_hand_at or 0)
            if due <= now and start_hand(table_id, now=now) is None:
                redis().hset(table_key(table_id), "next_hand_at", now + 1)
                if not _may_deal(table_id):
                    # Closed, or nobody left to play: off the drivers' list until a seat changes.
                    redis().srem(active_key(), table_id)
