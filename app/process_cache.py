"""Rows that almost never change (a jurisdiction, its shapes, live api keys, the catalog),
kept per process so that a request does not spend a round trip to PostgreSQL on each.

One freshness rule for all of them (docs/reliability.md): an entry lives at most
`ttl_seconds`, and a flush in this process that writes one of the cache's `models` drops the
whole cache at once. A change made by another process or host (a catalog load there, a key
revoked in SQL) is therefore seen here within `ttl_seconds`; one made here is seen at once.
Misses (`load` returning None: an unknown key or jurisdiction) are never remembered, so
something new works at once everywhere."""

import time
from collections.abc import Callable, Hashable
from threading import Lock
from typing import Any, Generic, TypeVar

from sqlalchemy import event

Value = TypeVar("Value")

DEFAULT_TTL_SECONDS = 30.0

_every_cache: list["ProcessCache[Any]"] = []


class ProcessCache(Generic[Value]):
    """A bounded key -> value map with the freshness rule above."""

    def __init__(self, *models: type, ttl_seconds: float = DEFAULT_TTL_SECONDS,
                 max_entries: int = 10_000) -> None:
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self._entries: dict[Hashable, tuple[float, Value]] = {}
        self._lock = Lock()
        for model in models:
            for name in ("after_insert", "after_update", "after_delete"):
                event.listen(model, name, self.clear)
        _every_cache.append(self)

    def get(self, key: Hashable, load: Callable[[], Value | None]) -> Value | None:
        """The fresh value of `key`, or what `load` returns now (remembered unless None)."""
        now = time.monotonic()
        cached = self._entries.get(key)
        if cached is not None and now - cached[0] < self.ttl_seconds:
            return cached[1]
        value = load()
        with self._lock:
            if value is None:
                self._entries.pop(key, None)
            else:
                if len(self._entries) >= self.max_entries:
                    self._entries.clear()
                self._entries[key] = (now, value)
        return value

    def clear(self, *_: Any) -> None:
        """Forget every entry (also the mapper event handler: it is given the write's args)."""
        with self._lock:
            self._entries.clear()


def clear_every_cache() -> None:
    """Forget everything every cache holds: a test that rewrites tables in SQL calls it."""
    for cache in _every_cache:
        cache.clear()
