"""The table driver: the clock of every table in play, the next hand's deal, and the lobby
digest, run as an asyncio task inside each ASGI process (or alone: `manage.py club_driver`).

Exactly one process drives a table at a time: it holds the table's lease in Redis
(`SET NX PX`, renewed each pass by its holder only, atomically in Lua). A process that dies
stops renewing; after `CLUB_LEASE_SECONDS` another process's driver takes the lease on its
next pass and the table's clock goes on from the deadline stored with the hand. Every
action is applied under the table's lock, so a driver that lost its lease mid-pass cannot
act twice on the same turn (the deadline moved).

The lobby digest is built by the holder of the club's lobby lease at most twice a second
and only when something changed (a hand started or ended, a seat changed).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import socket
import time
import uuid

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections, connection
from django_tenants.utils import schema_context

log = logging.getLogger("megacity.club")

PROCESS = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

# KEYS[1] lease; ARGV: holder, ms. Take a free lease or renew our own; 1 if held by us.
_LEASE = """
local holder = redis.call('GET', KEYS[1])
if holder == false then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
elseif holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
"""


def _redis():
    from .live import redis

    return redis()


def lease_key(name: str) -> str:
    return ":".join([settings.REDIS_KEY_PREFIX, "club", connection.schema_name, "lease", name])


def holds_lease(table_id: int | str, holder: str | None = None) -> bool:
    """Take or renew this process's lease on a table (in the current schema)."""
    return bool(
        _redis().eval(_LEASE, 1, lease_key(str(table_id)), holder or PROCESS, int(settings.CLUB_LEASE_SECONDS * 1000))
    )


def holds_leases(table_ids: list[int], holder: str | None = None) -> list[bool]:
    """holds_lease for each of `table_ids`, in one round trip (each lease still taken or
    renewed atomically by its own script)."""
    pipe = _redis().pipeline(transaction=False)
    ms = int(settings.CLUB_LEASE_SECONDS * 1000)
    for table_id in table_ids:
        pipe.eval(_LEASE, 1, lease_key(str(table_id)), holder or PROCESS, ms)
    return [bool(held) for held in pipe.execute()] if table_ids else []


def lease_holder(table_id: int | str) -> str | None:
    value = _redis().get(lease_key(str(table_id)))
    return value.decode() if isinstance(value, bytes) else value


def schemas_key() -> str:
    return ":".join([settings.REDIS_KEY_PREFIX, "club", "schemas"])


def register_schema(schema: str) -> None:
    """A club with tables in play: the drivers look at it."""
    _redis().sadd(schemas_key(), schema)


def tick_all() -> None:
    """One pass over every registered club (sync; runs in a worker thread)."""
    from . import live

    close_old_connections()
    for raw in _redis().smembers(schemas_key()):
        schema = raw.decode() if isinstance(raw, bytes) else raw
        try:
            with schema_context(schema):
                live.tick()
        except Exception:  # one club's failure must not stop the others' clocks
            log.exception("club driver pass failed", extra={"schema": schema})


def lobby_pass() -> None:
    """Publish the digest of every club whose lobby changed (the lobby lease holder only)."""
    from . import lobby

    close_old_connections()
    redis = _redis()
    dirty_key = ":".join([settings.REDIS_KEY_PREFIX, "club", "lobby-dirty"])
    for raw in redis.smembers(dirty_key):
        schema = raw.decode() if isinstance(raw, bytes) else raw
        with schema_context(schema):
            if not holds_lease("lobby"):
                continue
            redis.srem(dirty_key, schema)
            lobby.publish_digest()


async def run(stop: asyncio.Event | None = None) -> None:
    interval = settings.CLUB_DRIVER_INTERVAL
    lobby_every = max(1, round(0.5 / interval))  # the lobby: at most twice a second
    passes = 0
    while stop is None or not stop.is_set():
        try:
            await sync_to_async(tick_all, thread_sensitive=False)()
            if passes % lobby_every == 0:
                await sync_to_async(lobby_pass, thread_sensitive=False)()
        except Exception:
            log.exception("club driver pass failed")
        passes += 1
        await asyncio.sleep(interval)


def lag_key(process: str = PROCESS) -> str:
    return ":".join([settings.REDIS_KEY_PREFIX, "club", "looplag", process])


# The garbage collector's pauses ("generation,ms,objects kept by a full pass"): every thread
# waits for them.
gc_times: list[str] = []
_gc_started: list[float] = []


def _gc_probe(phase: str, info: dict) -> None:
    if phase == "start":
        _gc_started[:] = [time.perf_counter()]
    elif _gc_started:
        pause = (time.perf_counter() - _gc_started[0]) * 1000
        # After a full pass, the objects it kept (what the next one walks again): a few ms
        # to count, once every few seconds at most.
        kept = len(gc.get_objects(generation=2)) if info["generation"] == 2 else 0
        gc_times.append(f"{info['generation']},{pause:.2f},{kept}")


# Each probed action's phases (ms): queued for an action thread, waiting for the table's
# lock, holding it, in all (apps.club.consumers adds them; probe_lag stores them).
action_times: list[str] = []


def _store_lag(samples: list[float]) -> None:
    from apps.core.asgi import request_phases

    times = action_times[:]
    del action_times[: len(times)]
    requests = request_phases[:]
    del request_phases[: len(requests)]
    pauses = gc_times[:]
    del gc_times[: len(pauses)]
    pipe = _redis().pipeline()
    pipe.rpush(lag_key(), *samples)
    pipe.ltrim(lag_key(), -20000, -1)
    pipe.expire(lag_key(), 3600)
    if times:
        acts = lag_key().replace(":looplag:", ":acttime:")
        pipe.rpush(acts, *times)
        pipe.ltrim(acts, -50000, -1)
        pipe.expire(acts, 3600)
    if requests:
        key = lag_key().replace(":looplag:", ":httptime:")
        pipe.rpush(key, *(",".join(f"{t:.6f}" for t in row) for row in requests))
        pipe.ltrim(key, -50000, -1)
        pipe.expire(key, 3600)
    if pauses:
        key = lag_key().replace(":looplag:", ":gc:")
        pipe.rpush(key, *pauses)
        pipe.expire(key, 3600)
    pipe.execute()


async def probe_lag(every: float = 0.05) -> None:
    """The event loop's lag (how late a `sleep(every)` wakes up, ms), sampled every `every`
    seconds and appended to a Redis list per process each second (CLUB_LOOP_LAG_PROBE:
    bench/club reads it per stage). Everything the loop does — websocket frames, encoding,
    the handshakes' steps — delays the wake-up, so this is what every message waits."""
    loop = asyncio.get_running_loop()
    if _gc_probe not in gc.callbacks:
        gc.callbacks.append(_gc_probe)
    samples: list[float] = []
    flushed = loop.time()
    while True:
        started = loop.time()
        await asyncio.sleep(every)
        now = loop.time()
        samples.append(round((now - started - every) * 1000, 2))
        if now - flushed >= 1.0:
            batch, samples, flushed = samples, [], now
            with contextlib.suppress(Exception):  # a probe, never a reason to fail
                await sync_to_async(_store_lag, thread_sensitive=False)(batch)


_task: asyncio.Task | None = None
_probe: asyncio.Task | None = None


def ensure_started() -> None:
    """Start this process's driver on the running loop (once)."""
    global _task, _probe
    if settings.CLUB_LOOP_LAG_PROBE and (_probe is None or _probe.done()):
        with contextlib.suppress(RuntimeError):
            _probe = asyncio.get_running_loop().create_task(probe_lag())
    if not settings.CLUB_DRIVER_IN_PROCESS:
        return
    if _task is None or _task.done():
        with contextlib.suppress(RuntimeError):
            _task = asyncio.get_running_loop().create_task(run())
