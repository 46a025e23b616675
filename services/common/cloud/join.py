"""Launch a machine and wait until its agent joined; terminate it on failure, timeout or cancel.

A launch creates a one-time onboarding key through the registry (expiring with the join timeout), boots the
machine with a script starting the agent with it (`user_data.py`), and polls the registry until a Server of the
machine's name is `Ok` (its agent heartbeats), writing a progress line every 15 s. The key is deleted as soon as
the agent joined or the launch failed. When anything fails, times out or is cancelled after the cloud accepted
the launch, the machine is terminated and the error says why. At most `max_launching` launches wait at once per
process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Final

from contracts.api.read.server import ListServers
from contracts.api.write.onboarding_key import CreateOnboardingKey, DeleteOnboardingKey
from contracts.api.write.server import DeleteServer
from contracts.entities.onboarding_key import CreateOnboardingKeyResponse
from contracts.entities.server import ServerListItem, ServerQuery
from services.common.bus import Bus
from services.common.cloud.machines import Cloud, CloudError, Machine, ours
from services.common.cloud.settings import CloudSettings
from services.common.cloud.user_data import agent_environment, boot_script
from services.common.settings import Settings

log = logging.getLogger(__name__)

Note = Callable[[str], Awaitable[None]]
"""Writes one progress line (in the Update of the launch)."""
Cancelled = Callable[[], Awaitable[bool]]
"""Whether the work the launch is for was cancelled."""
Stuck = Callable[[Machine, str], Awaitable[None]]
"""Told of a machine that could not be terminated (after retries), with the last error."""

PROGRESS_SECONDS: Final = 15.0
"""A progress line while waiting, this often."""
POLL_SECONDS: Final = 1.0
"""How often the registry is asked whether the agent joined."""
LAUNCH_WAIT_SECONDS: Final = 60.0
"""How long a cancelled launch waits for the cloud's answer, to terminate what it created."""
TERMINATE_ATTEMPTS: Final = 3
"""Tries of a termination before it is reported as failed."""


@dataclass(frozen=True)
class Joined:
    """A launched machine whose agent joined."""

    machine: Machine
    """The machine."""
    server_id: str
    """The Server its agent serves."""


async def _quiet(_: str) -> None:
    return None


async def _never() -> bool:
    return False


async def _say(note: Note, text: str) -> None:
    """A progress line that cannot stop what it reports on (a termination must go on if the Update cannot)."""
    try:
        await note(text)
    except Exception:  # the registry may be unreachable; the service log has it
        log.warning("%s (not recorded in the Update)", text)


class Launcher:
    """Launches machines for one service (the builder), at most `max_launching` at once."""

    def __init__(
        self, bus: Bus, headers: Callable[[], dict[str, str]], settings: Settings, cloud: CloudSettings
    ) -> None:
        self.bus = bus
        self.headers = headers
        self.settings = settings
        self.cloud = cloud
        self.slots = asyncio.Semaphore(max(1, cloud.max_launching))
        self.install = settings.db_prefix
        """The value of the `varanus-managed` tag: machines of another install are never touched."""

    async def launch_and_join(
        self,
        cloud: Cloud,
        *,
        name: str,
        purpose: str,
        owner: str,
        user_data: str = "",
        server_tags: list[str] | None = None,
        note: Note = _quiet,
        cancelled: Cancelled = _never,
        on_stuck: Stuck | None = None,
    ) -> Joined:
        """Launch `name` on `cloud` and wait until its agent joined as the Server `name`."""
        if self.slots.locked():
            await note(f"waiting for a launch slot ({self.cloud.max_launching} machines are launching)")
        async with self.slots:
            return await self._launch(
                cloud, name, purpose, owner, user_data, server_tags or [], note, cancelled, on_stuck
            )

    async def _launch(
        self,
        cloud: Cloud,
        name: str,
        purpose: str,
        owner: str,
        user_data: str,
        server_tags: list[str],
        note: Note,
        cancelled: Cancelled,
        on_stuck: Stuck | None,
    ) -> Joined:
        timeout = self.cloud.join_timeout_seconds
        expires = int((time.time() + timeout + 60) * 1000)
        key: CreateOnboardingKeyResponse = await self.bus.request(
            CreateOnboardingKey(
                name=f"launch {name} {secrets.token_hex(3)}",
                expires=expires,
                tags=server_tags,
                single_use=True,
            ),
            self.headers(),
        )
        nats_url = self.cloud.agent_nats_url or self.settings.nats_url
        script = boot_script(
            agent_environment(nats_url, key.private_key, name), self.cloud.agent_package, user_data
        )
        machine: Machine | None = None
        # Shielded: a cancel that arrives while the cloud creates the machine waits for its id, to terminate it.
        launching = asyncio.ensure_future(
            cloud.launch(name, script, ours(self.install, purpose, owner, name))
        )
        try:
            try:
                machine = await asyncio.shield(launching)
            except asyncio.CancelledError:
                with contextlib.suppress(BaseException):
                    machine = await asyncio.wait_for(launching, LAUNCH_WAIT_SECONDS)
                raise
            await note(
                f"launched {machine.describe()} as {name!r}; waiting up to {timeout:.0f} s for its agent"
            )
            server_id = await self._wait_joined(machine, name, timeout, note, cancelled)
            await note(f"the agent of {machine.describe()} joined as server {name!r} ({server_id})")
            return Joined(machine, server_id)
        except BaseException as err:
            if machine is not None:
                reason = "cancelled" if isinstance(err, asyncio.CancelledError) else str(err)
                await _say(note, f"the launch failed ({reason}): terminating {machine.describe()}")
                error = await self.terminate(cloud, machine, note)
                await self.forget_server(name)
                if error and on_stuck is not None:
                    await on_stuck(machine, error)
            raise
        finally:
            with contextlib.suppress(Exception):
                await self.bus.request(DeleteOnboardingKey(public_key=key.created.public_key), self.headers())

    async def _wait_joined(
        self, machine: Machine, name: str, timeout: float, note: Note, cancelled: Cancelled
    ) -> str:
        loop = asyncio.get_running_loop()
        started = loop.time()
        next_note = started + PROGRESS_SECONDS
        while True:
            items: list[ServerListItem] = await self.bus.request(
                ListServers(query=ServerQuery(names=[name]), limit=0), self.headers()
            )
            for item in items:
                if item.name == name and str(getattr(item.info.state, "value", item.info.state)) == "Ok":
                    return item.id
            if await cancelled():
                raise CloudError(f"the launch of {machine.describe()} was cancelled before its agent joined")
            now = loop.time()
            if now - started > timeout:
                raise CloudError(
                    f"the agent of {machine.describe()} did not join within {timeout:.0f} s "
                    f"(is the NATS address reachable from the machine, and can it install the agent?)"
                )
            if now >= next_note:
                await note(f"still waiting for the agent of {machine.describe()} ({now - started:.0f} s)")
                next_note = now + PROGRESS_SECONDS
            await asyncio.sleep(POLL_SECONDS)

    async def terminate(self, cloud: Cloud, machine: Machine, note: Note = _quiet) -> str:
        """Terminate `machine`, retrying; the empty string when it is done, else the last error."""
        error = ""
        for attempt in range(1, TERMINATE_ATTEMPTS + 1):
            try:
                await cloud.terminate(machine)
            except Exception as err:  # every cloud error is retried, then reported
                error = str(err)
                await _say(
                    note,
                    f"terminating {machine.describe()} failed (attempt {attempt}/{TERMINATE_ATTEMPTS}): {error}",
                )
                if attempt < TERMINATE_ATTEMPTS:
                    await asyncio.sleep(2.0 * attempt)
                continue
            await _say(note, f"terminated {machine.describe()}")
            return ""
        log.error("could not terminate %s: %s", machine.describe(), error)
        return error

    async def forget_server(self, name: str) -> None:
        """Delete the Server a machine's agent created (best effort: there may be none)."""
        with contextlib.suppress(Exception):
            items: list[ServerListItem] = await self.bus.request(
                ListServers(query=ServerQuery(names=[name]), limit=0), self.headers()
            )
            for item in items:
                if item.name == name:
                    await self.bus.request(DeleteServer(id=item.id), self.headers())
