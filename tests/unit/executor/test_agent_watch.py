"""AgentWatch without I/O: full statuses are typed off the subscription's callback, in order with the beats and
container changes after them, and servers' state changes are recorded in batches, each once."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from contracts.entities.agent import AgentBeat, AgentStatus, PollStatusResponse
from contracts.entities.server import ServerState
from contracts.events.base import Event
from services.agent.heartbeat import status_digest
from services.executor.servers import watch as watch_module
from services.executor.servers.cache import ServerCache
from services.executor.servers.watch import AgentWatch


@dataclass
class Message:
    subject: str
    data: bytes


class FakeBus:
    """Records what the watch records; the first `failures` records raise."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.batches: list[list[Event]] = []
        self.asked: list[str] = []
        self.nc = self

    async def record(self, *events: Event) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("mongo is down")
        self.batches.append(list(events))

    async def publish(self, subject: str, data: bytes) -> None:
        self.asked.append(subject)


def status(server_id: str, ts: int) -> Message:
    poll = PollStatusResponse()
    body = AgentStatus(
        server_id=server_id, ts=ts, interval_ms=60_000, status=poll, digest=status_digest(poll)
    )
    return Message(f"komodo.agent.{server_id}.status", body.model_dump_json(by_alias=True).encode())


def beat(held: Message, ts: int) -> Message:
    full = AgentStatus.model_validate_json(held.data)
    body = AgentBeat(server_id=full.server_id, ts=ts, interval_ms=60_000, digest=full.digest)
    return Message(f"komodo.agent.{full.server_id}.beat", body.model_dump_json(by_alias=True).encode())


def make_watch(bus: FakeBus) -> AgentWatch:
    return AgentWatch(bus, ServerCache(), stats=None)  # type: ignore[arg-type]


async def settle() -> None:
    """Let the tasks started run until they wait."""
    for _ in range(200):
        await asyncio.sleep(0)


async def test_a_status_waits_off_the_callback_and_a_beat_after_it_does_not_overtake_it() -> None:
    bus = FakeBus()
    watch = make_watch(bus)
    now = int(time.time() * 1000)
    first = status("s1", now)
    await watch._heartbeat(first)
    assert watch.cache.status("s1") is None  # filed, not typed in the callback
    await watch._beat(beat(first, now + 1000))
    held = watch.cache.status("s1")
    assert held is not None and held.ts == now + 1000  # the status was typed first, then the beat applied
    assert bus.asked == []  # the beat's digest matched the status that came before it


async def test_a_newer_status_replaces_the_waiting_one() -> None:
    watch = make_watch(FakeBus())
    now = int(time.time() * 1000)
    await watch._heartbeat(status("s1", now))
    await watch._heartbeat(status("s1", now + 5))
    assert watch.fleet_stats(reset=False).pending == 1
    task = asyncio.create_task(watch._statuses.run())
    try:
        await settle()
    finally:
        task.cancel()
    held = watch.cache.status("s1")
    assert held is not None and held.ts == now + 5
    assert watch.fleet_stats(reset=False).heartbeats == 1


async def test_state_changes_are_recorded_in_batches_each_once(monkeypatch: Any) -> None:
    monkeypatch.setattr(watch_module, "ANNOUNCE_BATCH", 40)
    bus = FakeBus()
    watch = make_watch(bus)
    now = int(time.time() * 1000)
    servers = [f"s{i}" for i in range(100)]
    for server_id in servers:
        watch._type_status(status(server_id, now))  # all go Ok before the announcer runs (a replica's start)
    task = asyncio.create_task(watch._announcer())
    try:
        await settle()
    finally:
        task.cancel()
    assert [len(batch) for batch in bus.batches] == [40, 40, 20]
    ids = [event.id for batch in bus.batches for event in batch]
    assert sorted(ids) == sorted(f"server-state-{s}-Ok-{now}" for s in servers)
    assert all(watch.announced[s] == ServerState.Ok for s in servers)


async def test_a_failed_write_leaves_the_servers_unannounced_and_the_retry_records_the_same_events() -> None:
    bus = FakeBus(failures=1)
    watch = make_watch(bus)
    now = int(time.time() * 1000)
    for server_id in ("s1", "s2"):
        watch._type_status(status(server_id, now))
    await watch._announce(["s1", "s2"])
    assert bus.batches == []
    # The state check sees them as not announced and queues them again.
    assert all(watch.cache.state(s) != watch.announced.get(s) for s in ("s1", "s2"))
    await watch._announce(["s1", "s2"])
    assert sorted(e.id for e in bus.batches[0]) == [f"server-state-s1-Ok-{now}", f"server-state-s2-Ok-{now}"]
    await watch._announce(["s1", "s2"])
    assert len(bus.batches) == 1  # nothing changed since: nothing recorded again
