"""Reads the registry answers from memory never outlive a write, a delete or a revoked permission, even with two
registry replicas behind the bus (each request goes to either one)."""

from __future__ import annotations

import asyncio

from services.registry.app import Registry
from tests.e2e.conftest import BusClient, grant

READS = 40
"""Reads after each change: with two replicas in one queue group, both answer some of them."""


async def descriptions(client: BusClient, name: str) -> set[str]:
    """What READS GetDeployment answers say the deployment's description is."""
    answers = [await client.read("GetDeployment", {"deployment": name}) for _ in range(READS)]
    return {answer["description"] for answer in answers}


async def warm(client: BusClient, registry: Registry, second: Registry, name: str) -> None:
    """Read until both replicas hold the deployment in memory."""
    for _ in range(READS):
        await client.read("GetDeployment", {"deployment": name})
    assert registry.read_cache.hits > 0 and second.read_cache.hits > 0, (
        "a replica answered no read from memory"
    )


async def test_a_change_through_one_replica_is_read_at_once_through_both(
    client: BusClient, registry: Registry, second_registry: Registry
) -> None:
    await client.write("CreateDeployment", {"name": "web", "config": {}})
    await warm(client, registry, second_registry, "web")
    for round_ in range(5):
        await client.write(
            "UpdateResourceMeta", {"target": {"type": "Deployment", "id": "web"}, "description": f"v{round_}"}
        )
        assert await descriptions(client, "web") == {f"v{round_}"}


async def test_without_the_notices_the_other_replica_answers_what_it_held_until_its_bound(
    client: BusClient, registry: Registry, second_registry: Registry
) -> None:
    """The positive control of the test above: the same reads, with one replica deaf to the other's notices,
    see the old description, and the bound on a kept read still ends it."""
    await client.write("CreateDeployment", {"name": "web", "config": {}})
    for replica in (registry, second_registry):
        replica.read_cache.max_age = 1.0
    await warm(client, registry, second_registry, "web")
    for replica in (registry, second_registry):
        subscriptions = replica.read_cache._link._subscriptions
        assert subscriptions
        for subscription in subscriptions:
            await subscription.unsubscribe()
    await client.write(
        "UpdateResourceMeta", {"target": {"type": "Deployment", "id": "web"}, "description": "new"}
    )
    assert await descriptions(client, "web") == {"", "new"}, "one replica should still answer the old one"
    await asyncio.sleep(1.1)
    assert await descriptions(client, "web") == {"new"}


async def test_a_delete_through_one_replica_is_a_404_at_once_through_both(
    client: BusClient, registry: Registry, second_registry: Registry
) -> None:
    await client.write("CreateDeployment", {"name": "web", "config": {}})
    await client.write("CreateDeployment", {"name": "db", "config": {}})
    await warm(client, registry, second_registry, "web")
    assert [d["name"] for d in await client.read("ListDeployments", {})] == ["db", "web"]
    await client.write("DeleteDeployment", {"id": "web"})
    for _ in range(READS):
        answer = await client.send("read", "GetDeployment", {"deployment": "web"})
        assert answer.status == 404, answer.body
        assert [d["name"] for d in await client.read("ListDeployments", {})] == ["db"]


async def test_a_revoked_permission_ends_reads_at_once(
    client: BusClient, registry: Registry, second_registry: Registry, alice: tuple[BusClient, str]
) -> None:
    alice_client, _ = alice
    await client.write("CreateDeployment", {"name": "web", "config": {}})
    await grant(client, "Read", "web")
    for _ in range(READS):
        assert (await alice_client.read("GetDeployment", {"deployment": "web"}))["name"] == "web"
        assert [d["name"] for d in await alice_client.read("ListDeployments", {})] == ["web"]
    await grant(client, "None", "web")
    for _ in range(READS):
        answer = await alice_client.send("read", "GetDeployment", {"deployment": "web"})
        assert answer.status in (403, 404), answer.body
        assert await alice_client.read("ListDeployments", {}) == []


async def test_changes_other_than_resource_writes_are_read_at_once(
    client: BusClient, registry: Registry, second_registry: Registry
) -> None:
    """A server's rename shows in the deployments' lists (names are kept too), a deleted tag leaves them."""
    await client.write("CreateServer", {"name": "box", "config": {}})
    await client.write("CreateTag", {"name": "prod"})
    await client.write("CreateDeployment", {"name": "web", "config": {"server_id": "box"}})
    await client.write(
        "UpdateResourceMeta", {"target": {"type": "Deployment", "id": "web"}, "tags": ["prod"]}
    )
    for _ in range(READS):
        [item] = await client.read("ListDeployments", {})
        assert item["info"]["server_name"] == "box" and len(item["tags"]) == 1
    await client.write("RenameServer", {"id": "box", "name": "crate"})
    await client.write("DeleteTag", {"id": "prod"})
    for _ in range(READS):
        [item] = await client.read("ListDeployments", {})
        assert item["info"]["server_name"] == "crate" and item["tags"] == []
        assert (await client.read("GetDeployment", {"deployment": "web"}))["tags"] == []


async def test_a_running_update_is_read_afresh_and_a_complete_one_is_kept(
    client: BusClient, service_client: BusClient, registry: Registry, second_registry: Registry
) -> None:
    """Each log appended to a running Update shows in the next read through either replica; once complete (it
    never changes again) it is answered from memory."""
    target = {"type": "System", "id": ""}
    params = {"operation": "PruneImages", "target": target, "operator": "x"}
    update_id = (await service_client.ok("internal", "CreateUpdate", params))["_id"]["$oid"]
    for stage in ("pull", "run"):
        log = {"stage": stage, "command": "", "stdout": stage, "stderr": "", "success": True}
        await service_client.ok("internal", "AppendUpdateLog", {"id": update_id, "log": log})
        for _ in range(READS):
            read = await client.read("GetUpdate", {"id": update_id})
            assert read["status"] == "InProgress" and read["logs"][-1]["stage"] == stage
    # The positive control of what follows: nothing running was kept.
    assert registry.read_cache.held("Updates") == second_registry.read_cache.held("Updates") == 0
    await service_client.ok("internal", "FinishUpdate", {"id": update_id})
    hits = registry.read_cache.hits + second_registry.read_cache.hits
    for _ in range(READS):
        read = await client.read("GetUpdate", {"id": update_id})
        assert read["status"] == "Complete" and [entry["stage"] for entry in read["logs"]] == ["pull", "run"]
    assert registry.read_cache.held("Updates") == second_registry.read_cache.held("Updates") == 1
    assert registry.read_cache.hits + second_registry.read_cache.hits >= hits + READS - 2


async def test_variables_and_names_as_permission_targets_are_read_at_once_through_both(
    client: BusClient, registry: Registry, second_registry: Registry
) -> None:
    """Executions list the variables and check permissions by name on every run: both are kept, and both show
    a change through either replica in the next read."""
    await client.write("CreateVariable", {"name": "GREETING", "value": "hello"})
    await client.write("CreateDeployment", {"name": "web", "config": {}})
    target = {"type": "Deployment", "id": "web"}
    for _ in range(READS):
        assert [v["value"] for v in await client.read("ListVariables", {})] == ["hello"]
        assert (await client.read("GetPermission", {"target": target}))["level"] == "Write"
    await client.write("UpdateVariableValue", {"name": "GREETING", "value": "bye"})
    await client.write("RenameDeployment", {"id": "web", "name": "site"})
    for _ in range(READS):
        assert [v["value"] for v in await client.read("ListVariables", {})] == ["bye"]
        assert (await client.send("read", "GetPermission", {"target": target})).status == 404
        renamed = {"type": "Deployment", "id": "site"}
        assert (await client.read("GetPermission", {"target": renamed}))["level"] == "Write"
    await client.write("DeleteVariable", {"name": "GREETING"})
    for _ in range(READS):
        assert await client.read("ListVariables", {}) == []
