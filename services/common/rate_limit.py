"""Failed credential checks per client, in a sliding window: past the limit a client gets 429 until it passes.

One limiter serves the gateway's log-in, `/user`, `/ws/update` and `/read` `/write` `/execute` (the client is
the peer address, see `KOMODO_TRUSTED_PROXIES`), and each service's credential check on the bus (the client is
the API key presented or the subject a JWT names). It is kept in memory per process, so each replica counts its
own clients.
"""

from __future__ import annotations

import time
from collections import defaultdict, deque

from services.common.errors import TooManyRequests

RATE_LIMIT_ATTEMPTS = 5
"""Failed attempts a client may make within the window (Komodo's default)."""
RATE_LIMIT_WINDOW_SECONDS = 15.0
"""Length of the window (Komodo's default)."""
MAX_CLIENTS = 100_000
"""Clients remembered at most; past it, clients with no recent failure are forgotten."""


class FailedAttempts:
    """Failed credential checks per client, in a sliding window."""

    def __init__(
        self, attempts: int = RATE_LIMIT_ATTEMPTS, window: float = RATE_LIMIT_WINDOW_SECONDS
    ) -> None:
        self.attempts = attempts
        self.window = window
        self._seen: dict[str, deque[float]] = defaultdict(deque)

    def _recent(self, client: str) -> deque[float]:
        times = self._seen[client]
        cutoff = time.monotonic() - self.window
        while times and times[0] < cutoff:
            times.popleft()
        return times

    def check(self, client: str) -> None:
        """429 when `client` has used up its failed attempts, saying in how many seconds it may try again."""
        if client not in self._seen:
            return
        times = self._recent(client)
        if not times:
            del self._seen[client]
            return
        if len(times) >= self.attempts:
            wait = max(1, round(times[0] + self.window - time.monotonic()))
            raise TooManyRequests(f"too many failed attempts from {client}; try again in {wait} s")

    def failed(self, client: str) -> None:
        """Count a failed attempt."""
        if len(self._seen) >= MAX_CLIENTS:
            self._forget_idle()
        self._recent(client).append(time.monotonic())

    def _forget_idle(self) -> None:
        for client in list(self._seen):
            if not self._recent(client):
                del self._seen[client]
        if len(self._seen) >= MAX_CLIENTS:
            # Every client failed recently (a flood of made-up clients): forget the tenth seen first, so each
            # failure does not scan them all again.
            for client in list(self._seen)[: MAX_CLIENTS // 10]:
                del self._seen[client]
