"""The executor's servers half as a client meets it: state, lists and stats from agents' heartbeats.

Heartbeats here are published on the bus exactly as an agent publishes them (the fleet benchmark does the same
at scale); the agent itself, with real Docker, is exercised in tests/integration/test_agent.py and
tests/e2e/test_agent_executions.py.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import nats
from nats.aio.client import Client as NatsClient

from contracts.entities.agent import AgentStatus
from contracts.subjects import agent_status_subject
from tests.e2e.conftest import BusClient
from tests.e2e.helpers import eventually, heartbeat


async def beat(nc: NatsClient, status: AgentStatus, subject: str | None = None) -> None:
    await nc.publish(
        subject or agent_status_subject(status.server_id), status.model_dump_json(by_alias=True).encode()
    )
    await nc.flush()


async def make_server(client: BusClient, name: str) -> str:
    # Komodo's servers start disabled; these are enabled, as an onboarded server is.
    return (await client.write("CreateServer", {"name": name, "config": {"enabled": True}}))["_id"]["$oid"]


async def test_heartbeats_make_a_server_ok_with_its_lists_and_stats(executor, client, publisher):
    server_id = await make_server(client, "host-a")
    assert (await client.read("GetServerState", {"server": "host-a"}))["status"] == "NotOk"
    await beat(publisher, heartbeat(server_id))

    async def ok() -> bool:
        return (await client.read("GetServerState", {"server": "host-a"}))["status"] == "Ok"

    assert await eventually(ok)
    listed = (await client.read("ListServers", {}))[0]["info"]
    assert listed["state"] == "Ok" and listed["version"] == "0.1.0" and listed["core_count"] == 2
    assert listed["stats"]["cpu_perc"] == 12.5 and listed["stats"]["disk_total_gb"] == 100.0
    assert (await client.read("GetServersSummary", {}))["healthy"] == 1
    assert (await client.read("GetSystemInformation", {"server": "host-a"}))["host_name"] == "h1"
    assert (await client.read("GetSystemStats", {"server": "host-a"}))["mem_total_gb"] == 8.0
    assert (await client.read("GetPeripheryInformation", {"server": "host-a"}))["docker_connected"] is True
    names = [c["name"] for c in await client.read("ListContainers", {"server": "host-a"})]
    assert names == ["app-0", "app-1", "app-2"]
    assert [n["name"] for n in await client.read("ListNetworks", {"server": "host-a"})] == ["bridge"]
    assert [v["name"] for v in await client.read("ListVolumes", {"server": "host-a"})] == ["data"]
    assert [p["name"] for p in await client.read("ListComposeProjects", {"server": "host-a"})] == ["shop"]

    # The stats history is written in batches, once a second.
    async def history() -> list[float]:
        found = await client.read("GetHistoricalServerStats", {"server": "host-a", "granularity": "15-sec"})
        return [s["cpu_perc"] for s in found["stats"]]

    assert await eventually(history) == [12.5]


async def test_missed_heartbeats_make_it_not_ok_and_state_events_follow(
    executor, client, publisher, nats_url
):
    server_id = await make_server(client, "host-b")
    events: list[dict[str, Any]] = []
    listener = await nats.connect(nats_url)

    async def collect(msg: Any) -> None:
        events.append(json.loads(msg.data))

    await listener.subscribe("komodo.event.server.ServerStateChanged", cb=collect)
    try:
        await beat(publisher, heartbeat(server_id, interval_ms=1000))

        async def state() -> str:
            return str((await client.read("GetServerState", {"server": "host-b"}))["status"])

        assert await eventually(lambda: _is(state, "Ok"))
        # Two missed heartbeats (2 x 1 s) and the grace second: NotOk, announced by an event.
        assert await eventually(lambda: _is(state, "NotOk"), seconds=6)

        async def announced() -> bool:
            return any(e["current"] == "NotOk" for e in events)

        assert await eventually(announced)
        await beat(publisher, heartbeat(server_id, interval_ms=1000))
        assert await eventually(lambda: _is(state, "Ok"))
        await asyncio.sleep(0.2)
        seen = [(e["previous"], e["current"]) for e in events if e["resource"]["id"] == server_id]
        assert seen == [("NotOk", "Ok"), ("Ok", "NotOk"), ("NotOk", "Ok")]
    finally:
        await listener.close()


async def _is(read: Any, expected: str) -> bool:
    return await read() == expected


async def test_all_containers_are_filtered_sorted_and_paged_server_side(executor, client, publisher):
    first = await make_server(client, "alpha")
    second = await make_server(client, "beta")
    await beat(publisher, heartbeat(first, containers=5))
    await beat(publisher, heartbeat(second, containers=4))

    async def total() -> int:
        return int((await client.read("GetContainersSummary", {}))["total"])

    assert await eventually(lambda: _equals(total, 9))
    summary = await client.read("GetContainersSummary", {})
    assert (summary["running"], summary["stopped"]) == (5, 4)
    everything = await client.read("ListAllContainers", {"limit": 0})
    assert len(everything) == 9 and {c["server_name"] for c in everything} == {"alpha", "beta"}
    only_beta = await client.read("ListAllContainers", {"servers": ["beta"], "limit": 0})
    assert {c["server_id"] for c in only_beta} == {second}
    exited = await client.read("ListAllContainers", {"state": ["exited"], "limit": 0})
    assert {c["name"] for c in exited} == {"app-0", "app-3"}
    named = await client.read("ListAllContainers", {"terms": ["APP-4"], "limit": 0})
    assert [(c["name"], c["server_name"]) for c in named] == [("app-4", "alpha")]
    by_server = await client.read(
        "ListAllContainers", {"sort_by": "Server", "sort_desc": True, "limit": 3, "page": 0}
    )
    assert [c["server_name"] for c in by_server] == ["beta", "beta", "beta"]
    second_page = await client.read("ListAllContainers", {"limit": 4, "page": 2})
    assert len(second_page) == 1
    assert "labels" not in everything[0]


async def _equals(read: Any, expected: int) -> bool:
    return await read() == expected


async def test_a_user_sees_containers_only_of_servers_it_may_read(
    executor, client, publisher, registry, nats_url
):
    server_id = await make_server(client, "secret-host")
    await beat(publisher, heartbeat(server_id))
    user = await client.write("CreateLocalUser", {"username": "viewer", "password": "viewer-password"})
    nc = await nats.connect(nats_url)
    try:
        viewer = BusClient(nc, {"Authorization": registry.signer.issue(user["_id"]["$oid"])})
        assert await viewer.read("ListAllContainers", {"limit": 0}) == []
        denied = await viewer.send("read", "GetServerState", {"server": "secret-host"})
        assert denied.status == 403
        await client.write(
            "UpdatePermissionOnTarget",
            {
                "user_target": {"type": "User", "id": "viewer"},
                "resource_target": {"type": "Server", "id": "secret-host"},
                "permission": "Read",
            },
        )
        assert len(await viewer.read("ListAllContainers", {"limit": 0})) == 3
        refused = await viewer.send(
            "execute", "StartContainer", {"server": "secret-host", "container": "app-0"}
        )
        assert refused.status == 403 and "Execute" in refused.error
        no_logs = await viewer.send(
            "read", "GetContainerLog", {"server": "secret-host", "container": "app-0"}
        )
        assert no_logs.status == 403 and "Logs" in no_logs.error
    finally:
        await nc.close()


async def test_a_heartbeat_for_another_server_is_ignored(executor, client, publisher):
    victim = await make_server(client, "victim")
    await make_server(client, "intruder")
    intruder_id = (await client.read("GetServer", {"server": "intruder"}))["_id"]["$oid"]
    # Sent on the intruder's subject but claiming to be the victim.
    await beat(publisher, heartbeat(victim), subject=agent_status_subject(intruder_id))
    await asyncio.sleep(0.3)
    assert (await client.read("GetServerState", {"server": "victim"}))["status"] == "NotOk"


async def test_an_execution_on_a_server_without_agent_fails_fast_and_says_so(executor, client):
    await make_server(client, "lonely")
    started = time.monotonic()
    update = await client.ok("execute", "StartContainer", {"server": "lonely", "container": "web"})
    assert update["status"] == "InProgress"

    async def finished() -> dict[str, Any] | None:
        got = await client.read("GetUpdate", {"id": update["_id"]["$oid"]})
        return got if got["status"] == "Complete" else None

    done = await eventually(finished, seconds=12)
    assert done is not None and done["success"] is False
    assert time.monotonic() - started < 11
    assert "not reachable" in done["logs"][-1]["stderr"]
    unknown = await client.send("execute", "StartContainer", {"server": "no-such", "container": "web"})
    assert unknown.status == 404 and "no-such" in unknown.error


async def test_container_lists_show_a_renamed_or_deleted_server_at_once(executor, client, publisher):
    """The executor keeps server names between lists; a rename or delete shows in the very next list."""
    kept = await make_server(client, "keep-host")
    gone = await make_server(client, "gone-host")
    await beat(publisher, heartbeat(kept, containers=2))
    await beat(publisher, heartbeat(gone, containers=2))

    async def listed() -> list[tuple[str, str]]:
        found = await client.read("ListAllContainers", {"limit": 0})
        return sorted({(c["server_id"], c["server_name"]) for c in found})

    assert await eventually(lambda: _equals_list(listed, sorted([(kept, "keep-host"), (gone, "gone-host")])))
    await client.write("RenameServer", {"id": kept, "name": "renamed-host"})
    assert await listed() == sorted([(kept, "renamed-host"), (gone, "gone-host")])
    await client.write("DeleteServer", {"id": gone})
    assert await listed() == [(kept, "renamed-host")]


async def _equals_list(read: Any, expected: list[tuple[str, str]]) -> bool:
    return await read() == expected


async def test_many_servers_going_ok_at_once_are_each_announced_once(executor, publisher, nats_url):
    # As when a replica starts among thousands of agents: the announcements are recorded in batches.
    servers = [f"burst-{time.monotonic_ns()}-{i}" for i in range(60)]
    events: list[dict[str, Any]] = []
    listener = await nats.connect(nats_url)

    async def collect(msg: Any) -> None:
        events.append(json.loads(msg.data))

    await listener.subscribe("komodo.event.server.ServerStateChanged", cb=collect)
    try:
        for server_id in servers:
            await beat(publisher, heartbeat(server_id, interval_ms=60_000))

        async def all_announced() -> bool:
            return {e["resource"]["id"] for e in events} >= set(servers)

        assert await eventually(all_announced)
        await asyncio.sleep(0.5)
        seen = [
            (e["resource"]["id"], e["previous"], e["current"])
            for e in events
            if e["resource"]["id"] in servers
        ]
        assert sorted(seen) == sorted((s, "NotOk", "Ok") for s in servers)
    finally:
        await listener.close()
