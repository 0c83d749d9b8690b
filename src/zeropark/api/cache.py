"""Result cache of the dashboard aggregates, keyed by the store's write generation.

The server is the store's only writer (DuckDB allows one writing process) and the
store bumps ``generation`` on every write, so a cached result is dropped as soon
as new data are derived; no time-based expiry is needed.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from zeropark.store.duckdb import DuckDBStore

T = TypeVar("T")


class ResultCache:
    """Least-recently-used cache of JSON-ready results (at most `size` entries)."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._data: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, store: DuckDBStore, key: Hashable, compute: Callable[[], T]) -> T:
        """The cached result for `key` at the store's current generation, else `compute()`."""
        full = (store.generation, key)
        with self._lock:
            if full in self._data:
                self._data.move_to_end(full)
                self.hits += 1
                value: T = self._data[full]
                return value
        result = compute()
        with self._lock:
            self.misses += 1
            self._data[full] = result
            while len(self._data) > self.size:
                self._data.popitem(last=False)
        return result
