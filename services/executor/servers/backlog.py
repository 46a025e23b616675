"""Messages taken off a NATS connection at once and handled by a task of their own, a slice at a time.

nats-py runs a subscription's callback for every message it has queued without giving the event loop a turn,
and its read loop takes data off the socket only between turns. A callback that does real work (typing an 11 kB
agent status: 100-250 µs, plus the garbage collector's passes over what it allocates) therefore makes the
process read no faster than it works: in a burst, the rest piles up in nats-server, which cuts the whole
connection as a slow consumer once 64 MB wait for it. With a `Backlog`, the callback only files the message;
`run` handles the filed ones and gives the event loop a turn every `slice_seconds`, so the socket is read at
the rate messages arrive and a burst waits here instead.

Only the newest message per key is kept (a newer agent status supersedes an older one of the same server), so
a backlog holds at most one message per server however long the burst.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Final

from nats.aio.msg import Msg

log = logging.getLogger(__name__)

SLICE_SECONDS: Final = 0.0002
"""The longest `run` handles messages before the event loop gets a turn (one or two agent statuses). Each turn
lets the NATS read loop take one socket read (at most 256 kB, about 20 statuses) off the connection, so reading
stays ahead of handling even when the process gets little CPU (with 1 ms slices, an executor short of CPU, load
average 10 on 2 cores, was still cut during the benchmark's burst of 44 MB/s). A turn costs about 4 µs."""


class Backlog:
    """Messages waiting to be handled, the newest per key, oldest key first."""

    def __init__(self, handle: Callable[[Msg], None], slice_seconds: float = SLICE_SECONDS) -> None:
        self._handle = handle
        self._slice = slice_seconds
        self._waiting: dict[str, Msg] = {}
        self._wake = asyncio.Event()

    def __len__(self) -> int:
        return len(self._waiting)

    def put(self, key: str, msg: Msg) -> None:
        """File `msg`, replacing the one of `key` still waiting (which keeps its place in the line)."""
        self._waiting[key] = msg
        self._wake.set()

    def take(self, key: str) -> None:
        """Handle the waiting message of `key` now, if there is one (what comes after it must not overtake it)."""
        msg = self._waiting.pop(key, None)
        if msg is not None:
            self._handle(msg)

    async def run(self) -> None:
        """Handle filed messages as they come, oldest key first, giving the event loop a turn every slice."""
        while True:
            await self._wake.wait()
            self._wake.clear()
            until = time.perf_counter() + self._slice
            while self._waiting:
                try:
                    self.take(next(iter(self._waiting)))
                except Exception:
                    log.exception("could not handle a message")
                if time.perf_counter() >= until:
                    await asyncio.sleep(0)
                    until = time.perf_counter() + self._slice
