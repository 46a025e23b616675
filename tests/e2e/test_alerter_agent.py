"""The alerter with the real agent: disk alerts driven open and closed by the server's thresholds (the real
agent's numbers cannot be steered, so the thresholds move around them), and a container killed outside the
system (aiodocker, as `docker kill` does) raising a ContainerStateChange alert."""

from __future__ import annotations

import contextlib
import uuid
from typing import Any

import aiodocker
import pytest

from services.alerter.app import Alerter
from services.executor.app import Executor
from tests.e2e.conftest import BusClient
from tests.e2e.helpers import IMAGE, eventually, finished, start_agent

pytestmark = pytest.mark.docker


async def alerts(client: BusClient, query: dict[str, Any]) -> list[dict[str, Any]]:
    return list((await client.read("ListAlerts", {"query": query}))["alerts"])


async def test_real_agent_disk_alert_opens_at_a_low_threshold_and_resolves_at_a_high_one(
    alerter: Alerter, client: BusClient, nats_url: str, docker_available: None
) -> None:
    # Every used disk is over 0 %: warning at 0 opens an alert per mount after two heartbeats (1 s apart).
    low = {"enabled": True, "disk_warning": 0.0, "disk_critical": 100.0, "send_cpu_alerts": False}
    server = await client.write("CreateServer", {"name": "real", "config": low})
    server_id = server["_id"]["$oid"]
    agent = start_agent(nats_url, server_id)
    await agent.start()
    try:
        query = {"resolved": False, "data.type": "ServerDisk", "target.id": server_id}

        async def disk_alerts_open() -> list[dict[str, Any]]:
            return await alerts(client, query)

        opened = await eventually(disk_alerts_open, 20)
        assert opened, "no disk alert opened"
        root = next((a for a in opened if a["data"]["data"]["path"] == "/"), opened[0])
        assert root["level"] == "WARNING" and root["data"]["data"]["total_gb"] > 0
        # No mount has two open alerts (one per condition).
        paths = [a["data"]["data"]["path"] for a in opened]
        assert len(paths) == len(set(paths))

        # Thresholds far above the numbers: every disk alert resolves (value < 99 - 5).
        high = {"disk_warning": 99.0, "disk_critical": 100.0}
        await client.write("UpdateServer", {"id": server_id, "config": high})

        async def all_resolved() -> bool:
            return await alerts(client, query) == []

        assert await eventually(all_resolved, 20)
        resolved = await client.read("GetAlert", {"id": root["_id"]["$oid"]})
        assert resolved["resolved"] is True
    finally:
        await agent.stop()


async def test_a_container_killed_outside_raises_a_container_state_change_alert(
    executor: Executor, alerter: Alerter, client: BusClient, nats_url: str, docker_available: None
) -> None:
    name = f"varanus-e2e-alert-{uuid.uuid4().hex[:6]}"
    server = await client.write("CreateServer", {"name": "dock", "config": {"enabled": True}})
    agent = start_agent(nats_url, server["_id"]["$oid"])
    await agent.start()
    docker = aiodocker.Docker()
    try:
        config = {
            "server_id": "dock",
            "image": {"type": "Image", "params": {"image": IMAGE}},
            "command": "sleep 3600",
            "termination_timeout": 1,
        }
        created = await client.write("CreateDeployment", {"name": name, "config": config})
        deployment_id = created["_id"]["$oid"]

        # Deployed before the executor holds a heartbeat of the server, the state before would be `unknown`, and
        # a change from `unknown` is not alerted.
        async def server_ok() -> bool:
            return (await client.read("GetServerState", {"server": "dock"}))["status"] == "Ok"

        assert await eventually(server_ok, 20)
        deployed = await finished(client, await client.ok("execute", "Deploy", {"deployment": name}))
        assert deployed["success"] is True, deployed["logs"]

        # The executor derives states every few seconds: its first change (not_deployed to running) is an alert
        # too; only once it is seen is the running state the one the kill changes.
        started = {"data.type": "ContainerStateChange", "target.id": deployment_id, "data.data.to": "running"}

        async def running() -> list[dict[str, Any]]:
            return await alerts(client, started)

        assert await eventually(running, 30)
        await (await docker.containers.get(name)).kill()
        query = {"data.type": "ContainerStateChange", "target.id": deployment_id, "data.data.to": "exited"}

        async def alerted() -> list[dict[str, Any]]:
            return await alerts(client, query)

        found = await eventually(alerted, 30)
        assert len(found) == 1, found
        alert = found[0]
        assert alert["level"] == "WARNING" and alert["resolved"] is True  # one-off: stored resolved
        assert alert["data"]["data"]["from"] == "running" and alert["data"]["data"]["name"] == name
        assert alert["data"]["data"]["server_name"] == "dock"
    finally:
        await agent.stop()
        with contextlib.suppress(aiodocker.DockerError):
            await (await docker.containers.get(name)).delete(force=True)
        await docker.close()
