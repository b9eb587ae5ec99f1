"""Refuse JSON nested deeper than a sane limit before parsing it.

Python's `json` module parses nested arrays and objects recursively: a 200 KB body of
100,000 `[` raises RecursionError (a 500) in whatever parses it — DRF's parser, allauth's
headless views, the payment webhooks, a websocket frame. `check(text)` scans the raw text
once, without recursion, and raises `TooDeep` (a ValueError, so every `except ValueError`
that handles malformed JSON handles it too) as soon as the nesting passes the limit;
`loads(text)` is `json.loads` behind that check.

Used by `JsonDepthMiddleware` (every HTTP body that is not a form, before any view reads
it), by the API's JSON parser, by the payment webhooks and sandboxes, and by the
websocket consumers' frame decoding. The limit is `settings.JSON_MAX_DEPTH` (64).
"""

from __future__ import annotations

import json
import re
from typing import Any

DEFAULT_MAX_DEPTH = 64

# A JSON string (skipped whole, so brackets inside it do not count) or one bracket.
# The string pattern is the unrolled form, which the regex engine runs without backtracking.
_TOKENS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)
_OPEN = frozenset(b"[{")


class TooDeep(ValueError):
    def __init__(self, limit: int):
        self.limit = limit
        super().__init__(f"JSON nested deeper than {limit} levels")


def max_depth() -> int:
    from django.conf import settings

    return int(getattr(settings, "JSON_MAX_DEPTH", DEFAULT_MAX_DEPTH))


def depth_exceeds(data: bytes | str, limit: int) -> bool:
    """True when `data`, read as JSON text, opens more than `limit` arrays/objects at once.

    Linear, no recursion, and stops at the first level too many. Text that is not JSON is
    scanned the same way (an unterminated string just ends the scan): whether it parses is
    the parser's question, not this one's."""
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    # Fast path: fewer opening brackets in total than the limit cannot nest deeper.
    if data.count(b"[") + data.count(b"{") <= limit:
        return False
    depth = 0
    for match in _TOKENS.finditer(data):
        token = match.group()
        if len(token) != 1:
            continue  # a string
        if token[0] in _OPEN:
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def check(data: bytes | str, limit: int | None = None) -> None:
    limit = max_depth() if limit is None else limit
    if depth_exceeds(data, limit):
        raise TooDeep(limit)


def loads(data: bytes | str, limit: int | None = None, **kwargs) -> Any:
    """json.loads that refuses (TooDeep, a ValueError) text nested deeper than the limit."""
    check(data, limit)
    return json.loads(data, **kwargs)
