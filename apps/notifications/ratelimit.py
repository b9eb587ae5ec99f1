"""A sliding-window limit in Redis shared by every worker process: at most `rate` sends in
any one-second window per provider account, however many workers send."""

from __future__ import annotations

import time
import uuid

from django_redis import get_redis_connection

# KEYS[1] window; ARGV: rate, now (ms), member. Returns 0 if the send may go (and records
# it), else the milliseconds until the oldest send in the window leaves it.
TAKE = """
local rate = tonumber(ARGV[1])
local now = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tostring(now - 1000))
if redis.call('ZCARD', KEYS[1]) < rate then
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
  redis.call('PEXPIRE', KEYS[1], 2000)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + 1000 - now)
"""


class RateLimiter:
    def __init__(self, key: str, rate: int):
        from django.conf import settings

        self.key, self.rate = f"{settings.REDIS_KEY_PREFIX}:ratelimit:{key}", max(rate, 1)
        self.redis = get_redis_connection("default")
        self.script = self.redis.register_script(TAKE)

    def try_take(self, now_ms: int | None = None) -> int:
        """0 if a send may go now, otherwise how many milliseconds to wait."""
        now = now_ms if now_ms is not None else int(time.time() * 1000)
        return int(self.script(keys=[self.key], args=[self.rate, now, uuid.uuid4().hex]))

    def take(self, timeout: float = 30.0) -> float:
        """Wait until a send may go; returns the time (epoch seconds) the window counted it at."""
        deadline = time.monotonic() + timeout
        while True:
            now = int(time.time() * 1000)
            wait = self.try_take(now)
            if wait == 0:
                return now / 1000
            if time.monotonic() + wait / 1000 > deadline:
                raise TimeoutError(f"rate limit {self.key} still closed after {timeout}s")
            time.sleep(wait / 1000)
