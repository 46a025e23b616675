"""Telling the registry replicas that live state they may keep changed.

The registry keeps the live answers of its deployment and stack lists (`GetLiveInfo`) until this replica, or
another, says on `komodo.executor.live.changed` that something those answers are made of changed: a server's
full status (its container lists), a container's state change, a beat carrying new status lines, or an image
update check kept or cleared. A large fleet changes such things many times a second, so notices are
coalesced: the first change is told at once, and changes within `NOTICE_SECONDS` of the last notice share one
notice at the end of that window. A registry may therefore show live state at most `NOTICE_SECONDS` older than
this replica's (its heartbeats are seconds old anyway).

Server lists are told apart, on `komodo.executor.live.servers.changed`: their answers (state, stats, agent
version) change at every heartbeat and beat, and when a server goes Ok or NotOk, which would otherwise drop the
deployment and stack answers many times a second on a large fleet.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from nats.aio.client import Client as NatsClient

from contracts.subjects import LIVE_CHANGED_SUBJECT

log = logging.getLogger(__name__)

NOTICE_SECONDS = 0.1
"""Shortest time between two notices of one replica; changes meanwhile wait for the end of it. Under
`bench/load.py` (20 clients redeploying without pause) 20 ms made nearly every list rebuild its page, and
ListDeployments kept requests over 1 s; 100 ms left none, and is still below what a person notices."""


class LiveChanges:
    """Coalesces this replica's live-state changes into notices on one subject."""

    def __init__(
        self,
        connection: Callable[[], NatsClient | None],
        window: float = NOTICE_SECONDS,
        subject: str = LIVE_CHANGED_SUBJECT,
    ) -> None:
        self.connection = connection
        """The replica's NATS connection when it has one (None before the bus connects)."""
        self.window = window
        self.subject = subject
        """Where the notices go (`LIVE_CHANGED_SUBJECT`, or `SERVER_LIVE_CHANGED_SUBJECT` for server lists)."""
        self.sent = 0
        """Notices published (for tests and benchmarks)."""
        self._last = float("-inf")
        self._due: asyncio.TimerHandle | None = None
        self._sending: set[asyncio.Task[None]] = set()

    def changed(self) -> None:
        """Something shown as live state changed: tell the registries now, or at the end of the current window
        (a notice already due covers this change too, since it goes out after it)."""
        if self._due is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # outside the service's loop (a test holding a cache alone): nobody to tell
            return
        delay = max(0.0, self._last + self.window - time.monotonic())
        self._due = loop.call_later(delay, self._send)

    def _send(self) -> None:
        self._due = None
        self._last = time.monotonic()
        nc = self.connection()
        if nc is None or not nc.is_connected:
            # Registries keep nothing while they are cut off either, and drop all they kept on reconnecting.
            return
        task = asyncio.create_task(self._publish(nc))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _publish(self, nc: NatsClient) -> None:
        try:
            await nc.publish(self.subject, b"")
            self.sent += 1
        except Exception as err:
            log.warning("could not tell the registries that live state changed: %s", err)

    def stop(self) -> None:
        """Send no more notices."""
        if self._due is not None:
            self._due.cancel()
            self._due = None
