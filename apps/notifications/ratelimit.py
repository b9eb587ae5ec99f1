"""A token bucket in Redis shared by every worker process: at most `rate` messages per
second per provider account, however many workers send."""

from __future__ import annotations

import time

from django_redis import get_redis_connection

# KEYS[1] bucket; ARGV: rate, now (ms). Returns 0 if a token was taken, else ms to wait.
TAKE = """
local rate = tonumber(ARGV[1])
local now = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or rate
local at = tonumber(state[2]) or now
tokens = math.min(rate, tokens + (now - at) * rate / 1000)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = math.ceil((1 - tokens) * 1000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'at', now)
redis.call('PEXPIRE', KEYS[1], 60000)
return wait
"""


class RateLimiter:
    def __init__(self, key: str, rate: int):
        from django.conf import settings

        self.key, self.rate = f"{settings.REDIS_KEY_PREFIX}:ratelimit:{key}", max(rate, 1)
        self.redis = get_redis_connection("default")
        self.script = self.redis.register_script(TAKE)

    def try_take(self, now_ms: int | None = None) -> int:
        """0 if a send may go now, otherwise how many milliseconds to wait."""
        return int(
            self.script(keys=[self.key], args=[self.rate, now_ms if now_ms is not None else int(time.time() * 1000)])
        )

    def take(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            wait = self.try_take()
            if wait == 0:
                return
            if time.monotonic() + wait / 1000 > deadline:
                raise TimeoutError(f"rate limit {self.key} still closed after {timeout}s")
            time.sleep(wait / 1000)
