"""Concurrent writes to one resource, one Update or one variable lose nothing.

Each test sends many writes to different parts of the same document at once; every write that was answered
with success must be visible afterwards. A read-then-replace-whole write loses some of them.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from contracts.api.internal.update import CreateUpdate, FinishUpdate
from contracts.entities.common import ResourceTarget, ResourceTargetVariant
from contracts.entities.update import Log, Operation, UpdateStatus
from contracts.service_users import SYSTEM_USER_ID
from services.registry.app import Registry
from tests.e2e.conftest import BusClient, running, service_settings

ROUNDS = 4
"""Times each test repeats its burst (a lost write shows up in any of them)."""


async def test_updates_of_different_fields_a_rename_and_tags_are_all_kept(client: BusClient):
    fields = {
        "restart": "always",
        "network": "backend",
        "command": "serve --port 80",
        "send_alerts": False,
        "termination_timeout": 33,
        "redeploy_on_build": True,
        "environment": "A=1\n",
        "labels": "team=web\n",
    }
    for round_ in range(ROUNDS):
        name = f"web-{round_}"
        await client.write("CreateDeployment", {"name": name, "config": {}})
        await client.write("CreateTag", {"name": f"tag-{round_}"})
        renamed = f"www-{round_}"
        target = (await client.read("GetDeployment", {"deployment": name}))["_id"]["$oid"]
        writes = [
            client.send("write", "UpdateDeployment", {"id": target, "config": {field: value}})
            for field, value in fields.items()
        ]
        writes.append(client.send("write", "RenameDeployment", {"id": target, "name": renamed}))
        writes.append(
            client.send(
                "write",
                "UpdateResourceMeta",
                {
                    "target": {"type": "Deployment", "id": target},
                    "tags": [f"tag-{round_}"],
                    "description": "the web",
                },
            )
        )
        answers = await asyncio.gather(*writes)
        assert all(a.status == 200 for a in answers), [a.body for a in answers if a.status != 200]
        stored = await client.read("GetDeployment", {"deployment": target})
        for field, value in fields.items():
            assert stored["config"][field] == value, (field, stored["config"][field])
        assert stored["name"] == renamed
        assert stored["description"] == "the web" and len(stored["tags"]) == 1


async def test_a_reference_cleared_by_a_delete_is_not_brought_back(client: BusClient):
    """A delete clears references to the deleted resource; an update racing with it must not restore one."""
    for round_ in range(ROUNDS):
        await client.write("CreateServer", {"name": f"srv-{round_}", "config": {}})
        made = await client.write(
            "CreateDeployment", {"name": f"app-{round_}", "config": {"server_id": f"srv-{round_}"}}
        )
        target = made["_id"]["$oid"]
        updates = [
            client.send("write", "UpdateDeployment", {"id": target, "config": {"command": f"run {i}"}})
            for i in range(6)
        ]
        await asyncio.gather(client.send("write", "DeleteServer", {"id": f"srv-{round_}"}), *updates)
        stored = await client.read("GetDeployment", {"deployment": target})
        assert stored["config"]["server_id"] == ""


async def test_logs_appended_while_an_update_finishes_are_kept(client: BusClient, service_client: BusClient):
    server = await client.write("CreateServer", {"name": "srv"})
    target = {"type": "Server", "id": server["_id"]["$oid"]}
    for _ in range(ROUNDS):
        update = await service_client.ok(
            "internal",
            "CreateUpdate",
            {"operation": "PruneImages", "target": target, "operator": "000000000000000000000000"},
        )
        uid = update["_id"]["$oid"]
        appends = [
            service_client.send("internal", "AppendUpdateLog", {"id": uid, "log": {"stage": f"step {i}"}})
            for i in range(8)
        ]
        finish = service_client.send("internal", "FinishUpdate", {"id": uid, "logs": [{"stage": "end"}]})
        answers = await asyncio.gather(*appends, finish)
        # An append after the finish is refused (409); every accepted one must be in the finished Update.
        accepted = {f"step {i}" for i, a in enumerate(answers[:-1]) if a.status == 200}
        assert all(a.status in (200, 409) for a in answers), [a.body for a in answers]
        assert answers[-1].status == 200
        finished = await client.read("GetUpdate", {"id": uid})
        stages = [entry["stage"] for entry in finished["logs"]]
        assert accepted <= set(stages), (accepted, stages)
        assert stages[-1] == "end" and finished["status"] == "Complete"


async def test_a_variable_value_and_its_secrecy_changed_at_once_are_both_kept(client: BusClient):
    for round_ in range(ROUNDS):
        name = f"VAR_{round_}"
        await client.write("CreateVariable", {"name": name, "value": "old"})
        await asyncio.gather(
            client.ok("write", "UpdateVariableValue", {"name": name, "value": "new"}),
            client.ok("write", "UpdateVariableIsSecret", {"name": name, "is_secret": True}),
            client.ok("write", "UpdateVariableDescription", {"name": name, "description": "d"}),
        )
        stored = await client.read("GetVariable", {"name": name})
        assert (stored["value"], stored["is_secret"], stored["description"]) == ("new", True, "d")


async def test_a_log_another_replica_appended_is_kept_when_the_creating_replica_finishes(
    registry: Registry, nats_url: str, mongo_url: str, db_prefix: str, tmp_path: Path
):
    """The replica that created an Update starts its first change from what it wrote, not from a read: a log
    another replica appended in between must still be in the finished Update."""
    target = ResourceTarget(type=ResourceTargetVariant.Server, id="000000000000000000000001")
    async with running(Registry(service_settings(nats_url, mongo_url, db_prefix, tmp_path))) as other:
        update = await registry.updates.create(
            CreateUpdate(operation=Operation.PruneImages, target=target, operator=SYSTEM_USER_ID)
        )
        assert update.id in registry.updates._created, "the creating replica should remember what it wrote"
        await other.updates.append_log(update.id, Log(stage="from the other replica", success=True))
        finished = await registry.updates.finish(
            FinishUpdate(id=update.id, logs=[Log(stage="end", success=True)])
        )
    assert [entry.stage for entry in finished.logs] == ["from the other replica", "end"]
    assert finished.status == UpdateStatus.Complete
