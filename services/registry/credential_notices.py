"""Telling every Varanus process at once that a user's credentials or rights changed (`CredentialsChanged`).

The registry publishes the event after it changed a user, an API key, a user group or a permission, before it
answers the request; every process that caches users (each service's credential check, the gateway's
`/ws/update` sockets) drops what it holds of that user. The event goes straight to NATS, not through an outbox:
a failed publish is tried again a few times, then sent as a plain core-NATS message (the cache holders listen
with plain subscriptions, so they still get it); if that fails too, the caches' own lifetime bounds how long a
stale entry can be used (`services.common.caller.CACHE_SECONDS`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

import nats.errors

from contracts.events.credentials import CredentialsChanged
from contracts.subjects import EVENTS_STREAM
from services.common.bus import Bus
from services.common.caller import CredentialCheck
from services.registry.key_connections import KeyConnections

log = logging.getLogger(__name__)

PUBLISH_ATTEMPTS = 3
"""JetStream publishes tried before falling back to a core-NATS message."""
RETRY_DELAY_SECONDS = 0.2
"""Pause between two attempts."""
EVERYONE = ""
"""The `user_id` of an event about every user (a user group changed)."""


class CredentialNotices:
    """Publishes `CredentialsChanged`, drops the registry's own cached users first, and closes the NATS
    connections made with API keys that no longer admit their client."""

    def __init__(self, bus: Bus, local: CredentialCheck | None, connections: KeyConnections) -> None:
        self.bus = bus
        self.local = local
        self.connections = connections

    async def changed(self, user_id: str, reason: str, closed_keys: Iterable[str] = ()) -> None:
        """Say that `user_id`'s credentials or rights changed (`EVERYONE`: those of every user); `closed_keys`
        are API keys that no longer admit anyone (deleted, or their user disabled or deleted)."""
        if self.local is not None:
            self.local.forget(user_id)
        self.connections.close(closed_keys)
        event = CredentialsChanged(user_id=user_id, reason=reason)
        data = event.model_dump_json(by_alias=True).encode()
        for attempt in range(1, PUBLISH_ATTEMPTS + 1):
            try:
                await self.bus.js.publish(
                    event.SUBJECT, data, headers={"Nats-Msg-Id": event.id}, stream=EVENTS_STREAM
                )
                return
            except (nats.errors.Error, TimeoutError, RuntimeError) as err:
                log.warning("publishing CredentialsChanged failed (attempt %d): %s", attempt, err)
                await asyncio.sleep(RETRY_DELAY_SECONDS)
        try:
            await self.bus.nc.publish(event.SUBJECT, data)
            await self.bus.nc.flush()
        except (nats.errors.Error, TimeoutError, RuntimeError) as err:
            log.error(
                "could not announce that the credentials of %s changed (%s): caches keep it up to their lifetime",
                user_id or "every user",
                err,
            )
