"""The link between a process's cache and the notices that invalidate it.

A cache that other processes invalidate by publishing on core NATS (credentials, the registry's kept reads) may
be used only while those notices can arrive: not while the connection is down, and not with anything kept from
before a reconnect, since notices sent meanwhile are lost.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Sequence

from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription


class NoticeLink:
    """Plain subscriptions (no queue group: every replica hears every notice) and the rule for the cache's use."""

    def __init__(self, forget_all: Callable[[], None]) -> None:
        self.forget_all = forget_all
        self.nc: NatsClient | None = None
        """The connection the notices come on, once subscribed (None before and after)."""
        self._reconnects = 0
        self._subscriptions: list[Subscription] = []

    async def start(
        self, nc: NatsClient, subjects: str | Sequence[str], on_notice: Callable[[Msg], Awaitable[None]]
    ) -> None:
        """Subscribe to `subjects` on `nc`; the cache may be used from the moment the server knows of them."""
        self._reconnects = nc.stats["reconnects"]
        for subject in (subjects,) if isinstance(subjects, str) else subjects:
            self._subscriptions.append(await nc.subscribe(subject, cb=on_notice))
        await nc.flush()
        self.nc = nc

    async def stop(self) -> None:
        """Stop hearing notices; the cache may no longer be used."""
        self.nc = None
        for subscription in self._subscriptions:
            with contextlib.suppress(Exception):  # the connection may already be closed
                await subscription.unsubscribe()
        self._subscriptions.clear()

    def usable(self) -> bool:
        """Whether the cache may be used now: only while connected, and after forgetting everything once per
        reconnect."""
        nc = self.nc
        if nc is None or not nc.is_connected:
            return False
        reconnects = nc.stats["reconnects"]
        if reconnects != self._reconnects:
            self._reconnects = reconnects
            self.forget_all()
        return True
