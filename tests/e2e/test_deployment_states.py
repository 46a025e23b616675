"""Deployment state changes as events, from the first deploy of a deployment created a moment before."""

from __future__ import annotations

import contextlib
import json
import uuid
from typing import Any

import aiodocker
import pytest

from contracts.entities.common import ResourceTarget, ResourceTargetVariant
from contracts.entities.update import Operation
from contracts.subjects import event_subject
from tests.e2e.helpers import IMAGE, eventually, finished, remove_containers, start_agent

pytestmark = pytest.mark.docker


async def test_a_new_deployment_s_first_changes_are_events(
    registry, executor, client, nats_url, docker_available
):
    name = f"varanus-e2e-states-{uuid.uuid4().hex[:6]}"
    seen: list[dict[str, Any]] = []

    async def collect(msg: Any) -> None:
        seen.append(json.loads(msg.data))

    sub = await client.nc.subscribe(event_subject("deployment", "DeploymentStateChanged"), cb=collect)
    server = await client.write("CreateServer", {"name": "dock", "config": {"enabled": True}})
    agent = start_agent(nats_url, server["_id"]["$oid"])
    await agent.start()
    try:
        # The agent's first heartbeat makes the server known, so a deployment's state can be derived.
        assert await eventually(lambda: _server_ok(client), 10)
        config = {
            "server_id": "dock",
            "image": {"type": "Image", "params": {"image": IMAGE}},
            "command": "sleep 3600",
            "termination_timeout": 1,
        }
        created = await client.write("CreateDeployment", {"name": name, "config": config})
        deployment_id = created["_id"]["$oid"]
        # Deployed at once, before the executor rereads the deployments: its first change is still an event.
        deployed = await finished(client, await client.ok("execute", "Deploy", {"deployment": name}))
        assert deployed["success"] is True, deployed["logs"]
        assert await eventually(lambda: _changed(seen, deployment_id, "not_deployed", "running"), 20), seen

        stopped = await finished(client, await client.ok("execute", "StopDeployment", {"deployment": name}))
        assert stopped["success"] is True, stopped["logs"]
        assert await eventually(lambda: _changed(seen, deployment_id, "running", "exited"), 20), seen
    finally:
        await sub.unsubscribe()
        await agent.stop()
        docker = aiodocker.Docker()
        with contextlib.suppress(aiodocker.DockerError):
            await (await docker.containers.get(name)).delete(force=True)
        await docker.close()


async def _server_ok(client: Any) -> bool:
    listed = await client.read("ListServers", {})
    return bool(listed) and listed[0]["info"]["state"] == "Ok"


async def _changed(seen: list[dict[str, Any]], resource_id: str, previous: str, current: str) -> bool:
    return any(
        e["resource"]["id"] == resource_id and e["previous"] == previous and e["current"] == current
        for e in seen
    )


async def test_a_busy_deployment_refuses_a_second_execution_until_its_lease_ends(
    registry, executor, client, nats_url, docker_available
):
    from services.common.runs import ABANDONED_REASON, now_ms

    name = f"varanus-e2e-busy-{uuid.uuid4().hex[:6]}"
    server = await client.write("CreateServer", {"name": "dock", "config": {"enabled": True}})
    agent = start_agent(nats_url, server["_id"]["$oid"])
    await agent.start()
    try:
        config = {
            "server_id": "dock",
            "image": {"type": "Image", "params": {"image": IMAGE}},
            # `sleep` ignores SIGTERM: replacing it waits the whole termination timeout.
            "command": "sleep 3600",
            "termination_timeout": 4,
        }
        created = await client.write("CreateDeployment", {"name": name, "config": config})
        first = await finished(client, await client.ok("execute", "Deploy", {"deployment": name}))
        assert first["success"] is True, first["logs"]

        redeploy = await client.ok("execute", "Deploy", {"deployment": name})
        refused = await client.send("execute", "DestroyDeployment", {"deployment": name})
        assert refused.status == 409, refused.body
        assert refused.error == f"Deployment {name!r} is busy: Deploy is already running on it"
        state = await client.read("GetDeploymentActionState", {"deployment": name})
        assert state["deploying"] is True and state["destroying"] is False
        assert (await finished(client, redeploy, 60))["success"] is True

        # A lease its replica stopped renewing (it died) expires: the next execution takes it, and the dead
        # execution's Update is closed as failed.
        deployment_id = created["_id"]["$oid"]
        ghost = await executor.registry.create_update(
            Operation.Deploy, ResourceTarget(type=ResourceTargetVariant.Deployment, id=deployment_id), "x"
        )
        await executor.db["Lease"].insert_one(
            {
                "_id": f"Deployment:{deployment_id}:*",
                "target": f"Deployment:{deployment_id}",
                "action": "Deploy",
                "until": now_ms() - 1,
                "owner": "dead-replica",
                "update_id": ghost.id,
            }
        )
        await executor.runner.close_abandoned()  # or the executor's own sweep did it first
        closed = await client.read("GetUpdate", {"id": ghost.id})
        assert closed["status"] == "Complete" and closed["success"] is False
        assert closed["logs"][-1]["stderr"] == ABANDONED_REASON
        destroyed = await finished(
            client, await client.ok("execute", "DestroyDeployment", {"deployment": name})
        )
        assert destroyed["success"] is True, destroyed["logs"]
    finally:
        await agent.stop()
        docker = aiodocker.Docker()
        await remove_containers(docker, name, f"{name}-previous")
        await docker.close()
