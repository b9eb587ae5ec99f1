"""A sliding-window limit in Redis shared by every worker process: at most `rate` sends in
any one-second window per provider account, however many workers send."""

from __future__ import annotations

import time
import uuid

from django_redis import get_redis_connection

from apps.core.ratelimit import HIT

# The same sliding window as the platform's request limits (apps.core.ratelimit), over
# one second.
WINDOW_MS = 1000


class RateLimiter:
    def __init__(self, key: str, rate: int):
        from django.conf import settings

        self.key, self.rate = f"{settings.REDIS_KEY_PREFIX}:ratelimit:{key}", max(rate, 1)
        self.redis = get_redis_connection("default")
        self.script = self.redis.register_script(HIT)

    def try_take(self, now_ms: int | None = None) -> int:
        """0 if a send may go now, otherwise how many milliseconds to wait."""
        now = now_ms if now_ms is not None else int(time.time() * 1000)
        return int(self.script(keys=[self.key], args=[self.rate, now, WINDOW_MS, uuid.uuid4().hex]))

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
