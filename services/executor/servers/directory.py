"""Every server's name, as the registry stores it, kept by each executor replica for fleet-wide container lists.

A fleet-wide list needs the name of every server a caller may read (they are in each item, and they order
containers of the same name). Reading 10,000 server documents for each request costs about a second on
nx-27017, so the names are kept here, and each request first asks the registry for a stamp of the servers
(how many there are and their latest `updated_at`, which every create, rename and config change sets: one
aggregation nx-27017 runs in SQL) together with which of them the caller may Read, evaluated at that moment. A stamp that differs from the one the names were read with reloads them before
the request is answered: a created, renamed or deleted server shows in the next list, and permissions are
never cached.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from contracts.api.internal.servers import GetServerDirectory, ListServerNames, ServerNames
from services.common.bus import Bus
from services.common.caller import Caller
from services.common.registry_client import RegistryClient


class ServerDirectory:
    """Server names by id, as of the registry's stamp they were read with."""

    def __init__(self, bus: Bus, registry: RegistryClient) -> None:
        self.bus = bus
        self.registry = registry
        self.names: dict[str, str] = {}
        """Server name by id."""
        self.revision = 0
        """Counts the reloads (the container index re-reads the names when it changes)."""
        self._stamp: tuple[int, int] | None = None
        self._lock = asyncio.Lock()

    async def readable(self, caller: Caller) -> tuple[Mapping[str, str], set[str] | None]:
        """The names of every server, current as of now, and the ids of those the caller may Read (None: all)."""
        answer = await self.bus.request(
            GetServerDirectory(user_id=caller.user_id, admin=caller.admin), self.registry.system_headers()
        )
        stamp = (answer.count, answer.latest)
        if stamp != self._stamp:
            async with self._lock:
                if stamp != self._stamp:
                    found: ServerNames = await self.bus.request(
                        ListServerNames(), self.registry.system_headers(), timeout=60
                    )
                    self.names, self._stamp = found.names, stamp
                    self.revision += 1
        return self.names, None if answer.readable is None else set(answer.readable)
