"""Loads shared by the requests that ask the same thing while it is being loaded.

A cache that drops its entries (a write, an expiry, an invalidating event) is followed by a crowd of requests
that all miss at once; without sharing, each asks the database or the registry the same question. A load is
shared only within its generation: a request that comes after the cache's generation moved on (something
changed since the load started) starts its own, so nobody gets an answer older than the change they follow.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from functools import partial
from typing import Generic, TypeVar

V = TypeVar("V")


class SharedLoads(Generic[V]):
    """The loads under way, by key, each with the generation it started in."""

    def __init__(self) -> None:
        self._under_way: dict[Hashable, tuple[int, asyncio.Future[V]]] = {}
        self.joined = 0
        """Requests that shared a load already under way (for tests and benchmarks)."""

    async def load(self, key: Hashable, generation: int, load: Callable[[], Awaitable[V]]) -> V:
        """What `load` answers for `key`: the answer (or failure) of the same load under way in `generation`,
        else of a new one. A caller cancelled while waiting does not cancel the load for the others."""
        under_way = self._under_way.get(key)
        if under_way is not None and under_way[0] == generation:
            self.joined += 1
            return await asyncio.shield(under_way[1])
        task: asyncio.Future[V] = asyncio.ensure_future(load())
        self._under_way[key] = (generation, task)
        task.add_done_callback(partial(self._done, key))
        return await asyncio.shield(task)

    def _done(self, key: Hashable, task: asyncio.Future[V]) -> None:
        if not task.cancelled():
            task.exception()  # seen, even when every waiter has gone
        if key in self._under_way and self._under_way[key][1] is task:
            del self._under_way[key]
