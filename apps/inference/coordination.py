"""State every worker shares through Redis: slots (semaphores) and circuit breakers.

**Slots.** A server takes at most `max_concurrency` requests at once, whichever worker
sends them, and a tenant runs at most its plan's number of jobs at once. Both are counting
semaphores held as Redis sorted sets of leases (member = holder token, score = expiry), so
a worker that dies while holding a slot loses it when the lease expires instead of
leaking it. `acquire` and the load reading are single Lua scripts (atomic).

**Circuit breaker, per server** (a small one, documented here, shared by all workers):

- closed: requests flow; each failure (timeout, connection error, 5xx) adds to a count of
  consecutive failures, any success resets it;
- open: after `BREAKER_THRESHOLD` consecutive failures the server gets no requests for
  `BREAKER_COOLDOWN` seconds (routing skips it);
- half-open: after the cool-down one request (one worker wins a SET NX) is let through as
  a trial; its success closes the breaker, its failure opens it again for another cool-down.
"""

from __future__ import annotations

import time
import uuid

from django.conf import settings
from django_redis import get_redis_connection

ACQUIRE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZSCORE', KEYS[1], ARGV[4]) or redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4])
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
  return 1
end
return 0
"""

COUNT = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
return redis.call('ZCARD', KEYS[1])
"""


def _redis():
    return get_redis_connection("default")


def _now_ms() -> int:
    return int(time.time() * 1000)


def key(*parts) -> str:
    return ":".join([settings.REDIS_KEY_PREFIX, "inference", *map(str, parts)])


class Slots:
    """A counting semaphore of `limit` leases, shared by every process."""

    def __init__(self, name: str, limit: int, lease_seconds: float):
        self.key = key("slots", name)
        self.limit = limit
        self.lease_ms = int(lease_seconds * 1000)

    def acquire(self, token: str | None = None) -> str | None:
        """A lease token, or None when all `limit` slots are taken. Acquiring again with a
        token that holds a lease renews it (a redelivered job keeps its own slot)."""
        token = token or uuid.uuid4().hex
        now = _now_ms()
        args = [now, self.limit, now + self.lease_ms, token, self.lease_ms * 2]
        return token if _redis().register_script(ACQUIRE)(keys=[self.key], args=args) else None

    def release(self, token: str) -> None:
        _redis().zrem(self.key, token)

    def renew(self, token: str) -> None:
        _redis().zadd(self.key, {token: _now_ms() + self.lease_ms}, xx=True)

    def in_use(self) -> int:
        return int(_redis().register_script(COUNT)(keys=[self.key], args=[_now_ms()]))


def server_slots(server) -> Slots:
    return Slots(f"server:{server.name}", server.max_concurrency, settings.INFERENCE["LEASE_SECONDS"])


def tenant_slots(schema: str, limit: int) -> Slots:
    return Slots(f"tenant:{schema}", limit, settings.INFERENCE["LEASE_SECONDS"])


class Breaker:
    CLOSED, OPEN, HALF_OPEN = "closed", "open", "half-open"

    def __init__(self, server_name: str):
        self.name = server_name
        self.failures_key = key("breaker", server_name, "failures")
        self.open_key = key("breaker", server_name, "open_until")
        self.trial_key = key("breaker", server_name, "trial")
        config = settings.INFERENCE
        self.threshold = int(config["BREAKER_THRESHOLD"])
        self.cooldown = float(config["BREAKER_COOLDOWN"])

    def state(self) -> str:
        open_until = _redis().get(self.open_key)
        if open_until is None:
            return self.CLOSED
        return self.OPEN if float(open_until) > time.time() else self.HALF_OPEN

    def allows(self) -> bool:
        """May a request go to this server now? In half-open, only one trial at a time."""
        state = self.state()
        if state == self.CLOSED:
            return True
        if state == self.OPEN:
            return False
        return bool(_redis().set(self.trial_key, "1", nx=True, ex=max(int(self.cooldown), 1)))

    def success(self) -> None:
        _redis().delete(self.failures_key, self.open_key, self.trial_key)

    def failure(self) -> bool:
        """Count a failure; True if the breaker is (now) open."""
        redis = _redis()
        if self.state() == self.HALF_OPEN:
            self._open()
            return True
        failures = redis.incr(self.failures_key)
        redis.expire(self.failures_key, 3600)
        if failures >= self.threshold:
            self._open()
            return True
        return False

    def _open(self) -> None:
        redis = _redis()
        redis.set(self.open_key, str(time.time() + self.cooldown), ex=3600)
        redis.delete(self.trial_key, self.failures_key)

    def reset(self) -> None:
        _redis().delete(self.failures_key, self.open_key, self.trial_key)


def cancel_key(schema: str, job_id: int) -> str:
    return key("cancel", schema, job_id)


def request_cancel(schema: str, job_id: int) -> None:
    _redis().set(cancel_key(schema, job_id), "1", ex=24 * 3600)


def cancel_requested(schema: str, job_id: int) -> bool:
    return bool(_redis().exists(cancel_key(schema, job_id)))
