"""Refuse JSON nested too deeply before a parser recurses into it.

Python's json module recurses once per `[` or `{`: 100,000 of them (200 KB, under any
body-size limit) raise RecursionError deep inside the parser, a 500 over HTTP and a
crashed consumer over a websocket. `check_depth` scans the raw text without recursion
and without building anything (strings are skipped, so a `[` inside one does not count)
and stops at the first bracket past the limit. Every JSON entry point calls it first:
the HTTP parsers and middleware, and the websocket consumer base (apps.core.websocket).
"""

from __future__ import annotations

import re

MAX_DEPTH = 64  # deeper than any request of ours; far below the parser's recursion limit

_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_STRING_B = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
# Every byte but the four brackets, deleted by bytes.translate (in C, one pass).
_OTHER_BYTES = bytes(b for b in range(256) if b not in b"[]{}")
_OPEN = frozenset(b"[{")


class TooDeep(ValueError):
    def __init__(self, limit: int):
        self.limit = limit
        super().__init__(f"JSON nested deeper than {limit} levels")


def depth_exceeds(raw: str | bytes, limit: int = MAX_DEPTH) -> bool:
    """Whether the JSON text `raw` opens more than `limit` arrays/objects inside each other."""
    if isinstance(raw, str):
        if raw.count("[") + raw.count("{") <= limit:  # the common case: few brackets at all
            return False
        raw = _STRING.sub("", raw).encode("utf-8", "surrogatepass")
    else:
        raw = bytes(raw)
        if raw.count(b"[") + raw.count(b"{") <= limit:
            return False
        raw = _STRING_B.sub(b"", raw)
    depth = 0
    for byte in raw.translate(None, _OTHER_BYTES):
        if byte in _OPEN:
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def check_depth(raw: str | bytes, limit: int = MAX_DEPTH) -> None:
    """Raise TooDeep if `raw` nests deeper than `limit`."""
    if depth_exceeds(raw, limit):
        raise TooDeep(limit)
