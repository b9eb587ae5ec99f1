"""KRW exchange rates of the cashier's coins: Upbit's public ticker first, Bithumb's as the
fallback, cached 60 s (seed 004). A rate older than WALLET_RATE_MAX_AGE_SECONDS, or none at
all, raises RateUnavailable: the cashier stops rather than guess.

Upbit:   GET {base}/v1/ticker?markets=KRW-BTC  ->  [{"market": "KRW-BTC", "trade_price": 1.4e8,
         "timestamp": 1764800000000, ...}]
Bithumb: GET {base}/public/ticker/BTC_KRW  ->  {"status": "0000", "data": {"closing_price":
         "140000000", "date": "1764800000000", ...}}
"""

from __future__ import annotations

import time
from decimal import Decimal

import httpx
import structlog
from django.conf import settings
from django.core.cache import cache

log = structlog.get_logger("megacity.wallet")


class RateUnavailable(Exception):
    pass


def _upbit(base: str, coin: str) -> tuple[Decimal, float]:
    response = httpx.get(f"{base}/v1/ticker", params={"markets": f"KRW-{coin}"}, timeout=5)
    response.raise_for_status()
    (row,) = response.json()
    return Decimal(str(row["trade_price"])), row["timestamp"] / 1000


def _bithumb(base: str, coin: str) -> tuple[Decimal, float]:
    response = httpx.get(f"{base}/public/ticker/{coin}_KRW", timeout=5)
    response.raise_for_status()
    body = response.json()
    if body.get("status") != "0000":
        raise ValueError(f"bithumb status {body.get('status')}")
    return Decimal(str(body["data"]["closing_price"])), int(body["data"]["date"]) / 1000


SOURCES = (("upbit", _upbit), ("bithumb", _bithumb))


def krw_rate(coin: str) -> int:
    """Won per whole coin (floored), from the cache or the first source that answers."""
    key = f"wallet:rate:{coin}"
    cached = cache.get(key)
    now = time.time()
    if cached and now - cached[1] <= settings.WALLET_RATE_MAX_AGE_SECONDS:
        return cached[0]
    for (name, fetch), base in zip(SOURCES, settings.WALLET_RATE_URLS, strict=False):
        try:
            price, stamp = fetch(base.rstrip("/"), coin)
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as error:
            log.warning("wallet.rate_source_failed", source=name, coin=coin, error=str(error))
            continue
        if price <= 0 or now - stamp > settings.WALLET_RATE_MAX_AGE_SECONDS:
            log.warning("wallet.rate_stale", source=name, coin=coin, age=round(now - stamp))
            continue
        rate = int(price)
        cache.set(key, (rate, stamp), settings.WALLET_RATE_CACHE_SECONDS)
        return rate
    raise RateUnavailable(f"no fresh KRW rate for {coin}")
