"""Registries filled at start-up (roles, scopes, payables, blind indexes, login hooks…).

Each app registers what it brings from its `AppConfig.ready()`. A name registered twice is
a programming error — two apps claiming one role, one scope registered by a copy-pasted
module — so it is refused with an error that names both sides, instead of the second
silently replacing the first (and the result depending on the order apps are imported).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from typing import Generic, TypeVar

from django.core.exceptions import ImproperlyConfigured

V = TypeVar("V")


class AlreadyRegistered(ImproperlyConfigured):
    """The same name was registered twice."""


class Registry(Generic[V]):
    """An ordered name → value map that refuses a second registration of a name."""

    def __init__(self, what: str):
        self.what = what
        self._items: dict[Hashable, V] = {}

    def register(self, key: Hashable, value: V) -> V:
        if key in self._items:
            raise AlreadyRegistered(
                f"{self.what} {key!r} is already registered ({_describe(self._items[key])}); "
                f"refusing a second registration ({_describe(value)})"
            )
        self._items[key] = value
        return value

    def unregister(self, key: Hashable) -> V:
        """Remove a registration (tests that register a temporary entry)."""
        return self._items.pop(key)

    pop = unregister

    def get(self, key: Hashable, default=None):
        return self._items.get(key, default)

    def __getitem__(self, key: Hashable) -> V:
        return self._items[key]

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __iter__(self) -> Iterator:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def keys(self):
        return self._items.keys()

    def values(self):
        return self._items.values()

    def items(self):
        return self._items.items()


def _describe(value) -> str:
    target = value if callable(value) or isinstance(value, type) else type(value)
    module = getattr(target, "__module__", "")
    name = getattr(target, "__qualname__", repr(target))
    return f"{module}.{name}" if module else name
