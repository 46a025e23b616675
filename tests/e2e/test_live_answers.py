"""Deployment and server lists keep the executor's live answers, and still show each change at once.

Heartbeats, beats and container changes are published exactly as an agent publishes them (as in
test_executor_servers.py). The registry keeps the live state of a list page until an executor says it changed
(`komodo.executor.live.changed`); the positive control cuts that notice and sees the kept (old) state.
"""

from __future__ import annotations

import time
from typing import Any

from nats.aio.client import Client as NatsClient

from contracts.entities.agent import AgentBeat, ContainerStateChange
from contracts.entities.docker import ContainerStateStatusEnum
from contracts.subjects import (
    LIVE_CHANGED_SUBJECT,
    SERVER_LIVE_CHANGED_SUBJECT,
    agent_beat_subject,
    agent_container_subject,
)
from services.executor.app import Executor
from services.registry.app import Registry
from services.registry.read_cache import LIVE_READS, SERVER_LIVE_READS
from tests.e2e.conftest import BusClient
from tests.e2e.helpers import eventually, heartbeat
from tests.e2e.test_executor_servers import beat, make_server

READS = 10
"""Reads of the list after each change."""


async def listed(client: BusClient) -> dict[str, str]:
    """The state and status line ListDeployments shows of `app-1`."""
    info = (await client.read("ListDeployments", {"query": {"names": ["app-1"]}}))[0]["info"]
    return {"state": info["state"], "status": info.get("status") or ""}


async def running_app(client: BusClient, publisher: NatsClient, registry: Registry) -> str:
    """A server whose agent reports `app-1` running, a deployment `app-1` on it, listed (and kept) as running."""
    server_id = await make_server(client, "host-live")
    await beat(publisher, heartbeat(server_id))
    await client.write("CreateDeployment", {"name": "app-1", "config": {"server_id": server_id}})

    async def shown_running() -> bool:
        return (await listed(client))["state"] == "running"

    assert await eventually(shown_running)
    for _ in range(READS):
        await listed(client)
    assert registry.read_cache.held(LIVE_READS) > 0, "the live answer of the list page is not kept"
    return server_id


async def stop(publisher: NatsClient, server_id: str) -> None:
    change = ContainerStateChange(
        server_id=server_id,
        ts=int(time.time() * 1000),
        name="app-1",
        id=f"{1:064x}",
        action="die",
        state=ContainerStateStatusEnum.Exited,
    )
    await publisher.publish(agent_container_subject(server_id), change.model_dump_json().encode())
    await publisher.flush()


async def small_beat(executor: Executor, publisher: NatsClient, server_id: str, **fields: Any) -> None:
    """A small beat, as the agent sends between full heartbeats, for the lists the executor holds, with `fields`
    (new stats, status lines)."""
    held = executor.cache.status(server_id)
    assert held is not None
    body = AgentBeat(
        server_id=server_id,
        ts=int(time.time() * 1000),
        interval_ms=held.interval_ms,
        digest=held.digest,
        **fields,
    )
    await publisher.publish(agent_beat_subject(server_id), body.model_dump_json().encode())
    await publisher.flush()


async def deaf_to(registry: Registry, subject: str) -> None:
    """Make the registry stop hearing the executor's notices on `subject` (the positive controls)."""
    link = registry.read_cache._link
    for subscription in list(link._subscriptions):
        if subscription.subject == subject:
            await subscription.unsubscribe()
            link._subscriptions.remove(subscription)


async def test_a_kept_list_shows_a_container_change_and_a_new_status_line_at_once(
    executor: Executor, registry: Registry, client: BusClient, publisher: NatsClient
) -> None:
    server_id = await running_app(client, publisher, registry)
    sent = executor.live_changes.sent
    await stop(publisher, server_id)

    async def exited() -> bool:
        return (await listed(client))["state"] == "exited"

    assert await eventually(exited, seconds=1.0)
    assert {(await listed(client))["state"] for _ in range(READS)} == {"exited"}
    assert executor.live_changes.sent > sent

    # A beat carrying a new status line (they age without anything else changing).
    await small_beat(executor, publisher, server_id, container_status={"app-1": "Exited (0) 3 seconds ago"})

    async def new_line() -> bool:
        return (await listed(client))["status"] == "Exited (0) 3 seconds ago"

    assert await eventually(new_line, seconds=1.0)


async def test_without_the_notice_a_kept_list_shows_the_old_state_until_its_bound(
    executor: Executor, registry: Registry, client: BusClient, publisher: NatsClient
) -> None:
    """The positive control of the test above: the same change, with the registry deaf to the executor's
    notice, leaves the kept (old) state in the list until the bound on a kept read ends it."""
    registry.read_cache.max_age = 1.5
    server_id = await running_app(client, publisher, registry)
    await deaf_to(registry, LIVE_CHANGED_SUBJECT)
    await stop(publisher, server_id)
    changed = executor.live_changes.sent

    async def told() -> bool:
        return executor.live_changes.sent > changed

    assert await eventually(told, seconds=1.0), "the executor did not tell of the change"
    assert {(await listed(client))["state"] for _ in range(READS)} == {"running"}

    async def exited() -> bool:
        return (await listed(client))["state"] == "exited"

    assert await eventually(exited, seconds=3.0)


async def servers_listed(client: BusClient) -> dict[str, object]:
    """The state and CPU figure ListServers shows of `host-stats`."""
    info = (await client.read("ListServers", {"query": {"names": ["host-stats"]}}))[0]["info"]
    return {"state": info["state"], "cpu": (info.get("stats") or {}).get("cpu_perc")}


async def kept_ok_server(client: BusClient, publisher: NatsClient, registry: Registry) -> str:
    """A server whose agent beats every 300 ms, listed (and its live answer kept) as Ok with 12.5 % CPU."""
    registry.read_cache.max_age = 60.0  # only the executor's notices can end a kept answer here
    server_id = await make_server(client, "host-stats")
    await beat(publisher, heartbeat(server_id, interval_ms=300))

    async def ok() -> bool:
        return (await servers_listed(client)) == {"state": "Ok", "cpu": 12.5}

    assert await eventually(ok)
    for _ in range(READS):
        await servers_listed(client)
    assert registry.read_cache.held(SERVER_LIVE_READS) > 0, "the live answer of the server list is not kept"
    return server_id


async def beat_with_cpu(executor: Executor, publisher: NatsClient, server_id: str, cpu: float) -> None:
    """A small beat with new system stats."""
    held = executor.cache.status(server_id)
    assert held is not None and held.status.system_stats is not None
    stats = held.status.system_stats.model_copy(update={"cpu_perc": cpu})
    await small_beat(executor, publisher, server_id, system_stats=stats)


async def test_a_kept_server_list_shows_new_stats_and_a_silent_agent_at_once(
    executor: Executor, registry: Registry, client: BusClient, publisher: NatsClient
) -> None:
    server_id = await kept_ok_server(client, publisher, registry)
    deployments_told = executor.live_changes.sent
    await beat_with_cpu(executor, publisher, server_id, 77.0)

    async def new_cpu() -> bool:
        return (await servers_listed(client))["cpu"] == 77.0

    assert await eventually(new_cpu, seconds=1.0)
    assert executor.live_changes.sent == deployments_told, "stats alone must not drop the deployment lists"

    # The agent falls silent: two missed beats and the grace later the list says NotOk, told by the executor.
    async def not_ok() -> bool:
        return (await servers_listed(client))["state"] == "NotOk"

    assert await eventually(not_ok, seconds=5.0)


async def test_without_the_server_notice_a_kept_server_list_shows_the_old_stats(
    executor: Executor, registry: Registry, client: BusClient, publisher: NatsClient
) -> None:
    """The positive control of the test above: the same beat, with the registry deaf to the executor's server
    notices, leaves the kept (old) figure in the list."""
    server_id = await kept_ok_server(client, publisher, registry)
    await deaf_to(registry, SERVER_LIVE_CHANGED_SUBJECT)
    told = executor.server_changes.sent
    await beat_with_cpu(executor, publisher, server_id, 77.0)

    async def sent() -> bool:
        return executor.server_changes.sent > told

    assert await eventually(sent, seconds=1.0), "the executor did not tell of the beat"
    assert {(await servers_listed(client))["cpu"] for _ in range(READS)} == {12.5}
