"""timestamptz columns parsed by psycopg's C loader (psycopg-binary) rather than in Python.

Django registers its own timestamptz loader on every connection (`psycopg_any.BaseTzLoader`:
psycopg's pure-Python parser, then the connection's time zone put on the value), because it
subclasses psycopg's Python class, which psycopg would otherwise swap for its C one. That is
~7 µs a value against ~2 µs: every `created_at`/`updated_at` of every row read (~0.1–0.25 ms
of CPU on an API list page of the bench academy, more on the portal pages). The loader here
does what Django's does — the same parse, then `.replace(tzinfo=<the connection's zone>)` —
with the parse in C, and keeps Django's `timezone` attribute, which Django compares before
each cursor to decide whether to register its own again (`DatabaseWrapper.create_cursor`).
Registered on each new connection (`connection_created`); without psycopg-binary nothing
changes.
"""

from __future__ import annotations

import functools

from psycopg.adapt import Loader
from psycopg.pq import Format

try:
    from psycopg_binary._psycopg import TimestamptzLoader as _CLoader
except ImportError:  # the pure-Python psycopg: Django's loader stays
    _CLoader = None

TIMESTAMPTZ_OID = 1184


class CTimestamptzLoader(Loader):
    timezone = None

    def __init__(self, oid, context=None):
        super().__init__(oid, context)
        self._parse = _CLoader(oid, context).load

    def load(self, data):
        return self._parse(data).replace(tzinfo=self.timezone)


@functools.cache
def loader_for(zone) -> type[CTimestamptzLoader]:
    return type("CTimestamptzLoader", (CTimestamptzLoader,), {"timezone": zone})


def use_c_loader(sender, connection, **kwargs) -> None:
    """connection_created: the C loader in place of Django's, for the same time zone."""
    if _CLoader is None or connection.vendor != "postgresql":
        return
    adapters = connection.connection.adapters
    current = adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)
    if current is None or issubclass(current, CTimestamptzLoader) or not hasattr(current, "timezone"):
        return
    adapters.register_loader(TIMESTAMPTZ_OID, loader_for(current.timezone))
