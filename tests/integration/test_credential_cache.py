"""The cache of each service's credential check on a real nats-server: a `CredentialsChanged` event drops the
user it names, a NATS reconnect drops everything, and a lookup that raced an event is not kept."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path

import nats
import pytest
from nats.aio.client import Client as NatsClient

from contracts.events.credentials import CredentialsChanged
from services.common import embedded
from services.common.caller import CredentialCheck
from services.common.errors import Unauthorized


@dataclass(frozen=True)
class Info:
    """What the registry would answer about a user."""

    user_id: str
    username: str
    enabled: bool = True
    admin: bool = False


class Directory:
    """Stands in for the registry's user lookups: answers from a dict and counts the lookups."""

    def __init__(self) -> None:
        self.users = {"u1": Info("u1", "ada"), "u2": Info("u2", "bob")}
        self.lookups = 0
        self.hold: asyncio.Event | None = None

    async def resolve(self, user_id: str) -> Info:
        self.lookups += 1
        answer = self.users[user_id]
        if self.hold is not None:
            await self.hold.wait()
        return answer

    async def verify_api_key(self, key: str, secret: str) -> Info:
        raise Unauthorized("invalid API key or secret")


@dataclass
class Restartable:
    """A nats-server that can be stopped and started again on the same port."""

    port: int
    folder: Path
    proc: object = None

    def start(self) -> None:
        self.proc = embedded.start_nats(self.port, self.folder / "js", self.folder / "nats.log")

    def stop(self) -> None:
        embedded.stop(self.proc)  # type: ignore[arg-type]

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[Restartable]:
    nats_server = Restartable(embedded.free_port(), tmp_path)
    nats_server.start()
    try:
        yield nats_server
    finally:
        nats_server.stop()


async def connected(server: Restartable, reconnected: asyncio.Event | None = None) -> NatsClient:
    async def on_reconnect() -> None:
        if reconnected is not None:
            reconnected.set()

    return await nats.connect(
        server.url, reconnect_time_wait=0.1, max_reconnect_attempts=-1, reconnected_cb=on_reconnect
    )


def check_for(directory: Directory) -> CredentialCheck:
    return CredentialCheck(lambda token: token, directory.resolve, directory.verify_api_key)


@pytest.fixture
async def watching(server: Restartable) -> AsyncIterator[tuple[Directory, CredentialCheck]]:
    """A credential check following the events on a live connection, and the directory behind it."""
    directory = Directory()
    check = check_for(directory)
    nc = await connected(server)
    try:
        await check.watch(nc)
        yield directory, check
    finally:
        await nc.close()


async def announce(nc: NatsClient, user_id: str) -> None:
    await nc.publish(
        CredentialsChanged.SUBJECT, CredentialsChanged(user_id=user_id).model_dump_json().encode()
    )
    await nc.flush()


async def heard(check: CredentialCheck, user: str, directory: Directory, before: int) -> bool:
    """Whether the check looks the user up again within a few seconds (the event has to travel)."""
    for _ in range(100):
        await check({"Authorization": user})
        if directory.lookups > before:
            return True
        await asyncio.sleep(0.02)
    return False


async def test_an_event_drops_the_user_it_names_and_only_that_user(server: Restartable) -> None:
    directory = Directory()
    check = check_for(directory)
    nc, publisher = await connected(server), await connected(server)
    try:
        await check.watch(nc)
        await check({"Authorization": "u1"})
        await check({"Authorization": "u2"})
        await check({"Authorization": "u1"})
        assert directory.lookups == 2  # cached
        directory.users["u1"] = replace(directory.users["u1"], enabled=False)
        await announce(publisher, "u1")
        for _ in range(100):
            try:
                await check({"Authorization": "u1"})
            except Unauthorized as err:
                assert "not enabled" in err.message
                break
            await asyncio.sleep(0.02)
        else:
            pytest.fail("the disabled user was still let in")
        lookups = directory.lookups
        await check({"Authorization": "u2"})
        assert directory.lookups == lookups  # bob is still cached
        await announce(publisher, "")
        assert await heard(check, "u2", directory, lookups)
    finally:
        await nc.close()
        await publisher.close()


async def test_a_reconnect_drops_everything(server: Restartable) -> None:
    directory = Directory()
    check = check_for(directory)
    reconnected = asyncio.Event()
    nc = await connected(server, reconnected)
    try:
        await check.watch(nc)
        await check({"Authorization": "u1"})
        assert directory.lookups == 1
        # Disabled while the connection is down: the event announcing it is lost.
        server.stop()
        directory.users["u1"] = replace(directory.users["u1"], enabled=False)
        server.start()
        await asyncio.wait_for(reconnected.wait(), 30)
        with pytest.raises(Unauthorized, match="not enabled"):
            await check({"Authorization": "u1"})
    finally:
        await nc.close()


async def test_a_lookup_that_raced_an_event_is_not_kept(watching: tuple[Directory, CredentialCheck]) -> None:
    directory, check = watching
    directory.hold = asyncio.Event()
    lookup = asyncio.create_task(check({"Authorization": "u1"}))
    await asyncio.sleep(0.05)
    check.forget("u1")  # what the event does, while the lookup is out
    directory.hold.set()
    await lookup
    directory.hold = None
    await check({"Authorization": "u1"})
    assert directory.lookups == 2


async def test_a_crowd_shares_one_lookup_but_not_across_an_event(
    watching: tuple[Directory, CredentialCheck],
) -> None:
    directory, check = watching
    directory.hold = asyncio.Event()
    crowd = [asyncio.create_task(check({"Authorization": "u1"})) for _ in range(20)]
    await asyncio.sleep(0.05)
    check.forget("u1")  # what an event does: requests from now on must not share the earlier lookup
    directory.users["u1"] = replace(directory.users["u1"], enabled=False)
    late = asyncio.create_task(check({"Authorization": "u1"}))
    await asyncio.sleep(0.05)
    directory.hold.set()
    assert {caller.username for caller in await asyncio.gather(*crowd)} == {"ada"}
    with pytest.raises(Unauthorized, match="not enabled"):
        await late
    assert directory.lookups == 2  # one for the crowd, one after the event
