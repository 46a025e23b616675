"""Servers end to end on real Docker: registry, executor and a real agent, driven over the bus as a client would."""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import AsyncIterator

import aiodocker
import pytest

from tests.e2e.conftest import BusClient
from tests.e2e.helpers import IMAGE, _is, eventually, fetch, finished, remove_containers, start_agent

pytestmark = pytest.mark.docker


@pytest.fixture
async def container(docker_available: None) -> AsyncIterator[str]:
    """A running busybox container with a unique name, removed afterwards."""
    name = f"varanus-e2e-{uuid.uuid4().hex[:8]}"
    docker = aiodocker.Docker()
    try:
        created = await docker.containers.create_or_replace(
            name, {"Image": IMAGE, "Cmd": ["sh", "-c", "echo ready; sleep 3600"]}
        )
        await created.start()
        yield name
    finally:
        with contextlib.suppress(aiodocker.DockerError):
            await (await docker.containers.get(name)).delete(force=True)
        await docker.close()


async def state_of(client: BusClient, container: str) -> str:
    listed = await client.read("ListContainers", {"server": "dock"})
    return next((c["state"] for c in listed if c["name"] == container), "")


async def test_executions_run_on_the_host_and_state_follows(registry, executor, client, nats_url, container):
    server = await client.write("CreateServer", {"name": "dock", "config": {"enabled": True}})
    agent = start_agent(nats_url, server["_id"]["$oid"])
    await agent.start()
    try:
        assert await eventually(lambda: _is(state_of(client, container), "running"))

        stop = await client.ok(
            "execute", "StopContainer", {"server": "dock", "container": container, "time": 1}
        )
        done = await finished(client, stop)
        assert done["success"] is True, done["logs"]
        # Docker's event reaches the executor at once; the list shows it within a heartbeat.
        assert await eventually(lambda: _is(state_of(client, container), "exited"), seconds=3)

        start = await client.ok("execute", "StartContainer", {"server": "dock", "container": container})
        assert (await finished(client, start))["success"] is True
        assert await eventually(lambda: _is(state_of(client, container), "running"), seconds=3)

        log = await client.read("GetContainerLog", {"server": "dock", "container": container, "tail": 10})
        assert "ready" in log["stdout"]
        inspect = await client.read("InspectContainer", {"server": "dock", "container": container})
        assert inspect["Name"] == f"/{container}"

        missing = await client.ok(
            "execute", "RestartContainer", {"server": "dock", "container": "no-such-box"}
        )
        failed = await finished(client, missing)
        assert failed["success"] is False
        assert "no-such-box" in failed["logs"][-1]["stderr"]
        not_found = await client.send(
            "read", "InspectContainer", {"server": "dock", "container": "no-such-box"}
        )
        assert not_found.status == 404 and "no-such-box" in not_found.error
        summary = await client.read("GetServersSummary", {})
        assert summary["healthy"] == 1
    finally:
        await agent.stop()


async def test_a_killed_agent_makes_the_server_not_ok_until_it_is_back(registry, executor, client, nats_url):
    server = await client.write("CreateServer", {"name": "dock", "config": {"enabled": True}})
    server_id = server["_id"]["$oid"]

    async def state() -> str:
        return str((await client.read("GetServerState", {"server": "dock"}))["status"])

    agent = start_agent(nats_url, server_id)
    await agent.start()
    assert await eventually(lambda: _is(state(), "Ok"))
    await agent.stop()
    assert await eventually(lambda: _is(state(), "NotOk"), seconds=6)
    unreachable = await client.ok("execute", "PruneContainers", {"server": "dock"})
    failed = await finished(client, unreachable, seconds=15)
    assert failed["success"] is False and "not reachable" in failed["logs"][-1]["stderr"]
    again = start_agent(nats_url, server_id)
    await again.start()
    try:
        assert await eventually(lambda: _is(state(), "Ok"))
    finally:
        await again.stop()


async def deployment_state(client: BusClient, name: str) -> str:
    listed = await client.read("ListDeployments", {"query": {"names": [name]}})
    return str(listed[0]["info"]["state"]) if listed else ""


async def test_a_deployments_container_lifecycle_and_state(registry, executor, client, nats_url, container):
    server = await client.write("CreateServer", {"name": "dock", "config": {"enabled": True}})
    await client.write(
        "CreateDeployment", {"name": "web", "config": {"server_id": "dock", "custom_name": container}}
    )
    await client.write("CreateDeployment", {"name": "never-deployed", "config": {"server_id": "dock"}})
    agent = start_agent(nats_url, server["_id"]["$oid"])
    await agent.start()
    try:
        assert await eventually(lambda: _is(deployment_state(client, "web"), "running"))
        assert await deployment_state(client, "never-deployed") == "not_deployed"
        summary = await client.read("GetDeploymentsSummary", {})
        assert (summary["running"], summary["not_deployed"]) == (1, 1)
        found = await client.read("GetDeploymentContainer", {"deployment": "web"})
        assert found["state"] == "running" and found["container"]["name"] == container
        assert (await client.read("GetDeploymentContainer", {"deployment": "never-deployed"}))[
            "state"
        ] == "not_deployed"
        log = await client.read("GetDeploymentLog", {"deployment": "web", "tail": 5})
        assert "ready" in log["stdout"]
        searched = await client.read("SearchDeploymentLog", {"deployment": "web", "terms": ["ready"]})
        assert searched["stdout"].strip().endswith("ready")
        inspected = await client.read("InspectDeploymentContainer", {"deployment": "web"})
        assert inspected["Name"] == f"/{container}"
        stats = await client.read("GetDeploymentStats", {"deployment": "web"})
        assert stats["name"] == container and stats["mem_usage"]
        assert await client.read("GetDeploymentActionState", {"deployment": "web"}) == {
            "pulling": False,
            "deploying": False,
            "updating": False,
            "starting": False,
            "restarting": False,
            "pausing": False,
            "unpausing": False,
            "stopping": False,
            "destroying": False,
            "renaming": False,
        }

        stop = await client.ok("execute", "StopDeployment", {"deployment": "web", "time": 1})
        assert (await finished(client, stop))["success"] is True
        assert await eventually(lambda: _is(deployment_state(client, "web"), "exited"), seconds=3)
        start = await client.ok("execute", "StartDeployment", {"deployment": "web"})
        assert (await finished(client, start))["success"] is True
        assert await eventually(lambda: _is(deployment_state(client, "web"), "running"), seconds=3)

        missing = await client.ok("execute", "StartDeployment", {"deployment": "never-deployed"})
        failed = await finished(client, missing)
        assert failed["success"] is False and "never-deployed" in failed["logs"][-1]["stderr"]
        assert failed["target"]["type"] == "Deployment"

        destroy = await client.ok("execute", "DestroyDeployment", {"deployment": "web", "time": 1})
        assert (await finished(client, destroy))["success"] is True
        assert await eventually(lambda: _is(deployment_state(client, "web"), "not_deployed"), seconds=3)
    finally:
        await agent.stop()


async def test_deployment_executions_need_execute(registry, executor, client, nats_url):
    import nats

    await client.write("CreateServer", {"name": "dock", "config": {"enabled": True}})
    await client.write("CreateDeployment", {"name": "web", "config": {"server_id": "dock"}})
    await client.write("CreateDeployment", {"name": "nowhere"})
    user = await client.write("CreateLocalUser", {"username": "reader", "password": "reader-password"})
    await client.write(
        "UpdatePermissionOnTarget",
        {
            "user_target": {"type": "User", "id": "reader"},
            "resource_target": {"type": "Deployment", "id": "web"},
            "permission": "Read",
        },
    )
    nc = await nats.connect(nats_url)
    try:
        reader = BusClient(nc, {"Authorization": registry.signer.issue(user["_id"]["$oid"])})
        refused = await reader.send("execute", "RestartDeployment", {"deployment": "web"})
        assert refused.status == 403 and "Execute" in refused.error
    finally:
        await nc.close()
    no_server = await client.send("execute", "StartDeployment", {"deployment": "nowhere"})
    assert no_server.status == 400 and "no server" in no_server.error


WEB = "mkdir -p /www && echo hello-$GREETING > /www/index.html && httpd -f -p 80 -h /www"


async def test_deploy_runs_the_container_and_a_failed_redeploy_loses_nothing(
    registry, executor, client, nats_url, docker_available
):
    from services.common.embedded import free_port

    port = free_port()
    name = f"varanus-e2e-deploy-{uuid.uuid4().hex[:6]}"
    server = await client.write("CreateServer", {"name": "dock", "config": {"enabled": True}})
    config = {
        "server_id": "dock",
        "image": {"type": "Image", "params": {"image": IMAGE}},
        "network": "bridge",
        "ports": f"{port}:80",
        "environment": "GREETING=one\n# a comment",
        "labels": "team=web",
        "command": f"sh -c '{WEB}'",
    }
    await client.write("CreateDeployment", {"name": name, "config": config})
    agent = start_agent(nats_url, server["_id"]["$oid"])
    await agent.start()
    docker = aiodocker.Docker()
    try:
        deployed = await finished(client, await client.ok("execute", "Deploy", {"deployment": name}))
        assert deployed["success"] is True, deployed["logs"]
        assert [log["stage"] for log in deployed["logs"]] == ["Run Container"]
        assert (
            "GREETING=..." in deployed["logs"][0]["command"] and "one" not in deployed["logs"][0]["command"]
        )
        assert await eventually(lambda: _is(fetch(port), "hello-one"))
        assert (await docker.containers.get(name))._container["Config"]["Labels"]["team"] == "web"

        # A redeploy whose image does not exist fails and leaves the running container as it was.
        await client.write(
            "UpdateDeployment",
            {"id": name, "config": {"image": {"type": "Image", "params": {"image": "local/missing:0"}}}},
        )
        failed = await finished(client, await client.ok("execute", "Deploy", {"deployment": name}))
        assert failed["success"] is False and failed["logs"][0]["stage"] == "Pull Image"
        assert await fetch(port) == "hello-one"

        # A redeploy that cannot start (its port is taken) puts the previous container back.
        taken = free_port()
        blocker = await docker.containers.create_or_replace(
            f"{name}-blocker",
            {
                "Image": IMAGE,
                "Cmd": ["sh", "-c", "sleep 3600"],
                "HostConfig": {"PortBindings": {"80/tcp": [{"HostPort": str(taken)}]}},
                "ExposedPorts": {"80/tcp": {}},
            },
        )
        await blocker.start()
        await client.write(
            "UpdateDeployment",
            {
                "id": name,
                "config": {
                    "image": {"type": "Image", "params": {"image": IMAGE}},
                    "ports": f"{taken}:80",
                    "environment": "GREETING=two",
                },
            },
        )
        clash = await finished(client, await client.ok("execute", "Deploy", {"deployment": name}))
        assert clash["success"] is False
        assert [log["stage"] for log in clash["logs"]] == [
            "Stop Previous",
            "Run Container",
            "Restore Previous",
        ]
        assert clash["logs"][-1]["success"] is True
        assert await eventually(lambda: _is(fetch(port), "hello-one"))
        await blocker.delete(force=True)

        # A good redeploy replaces it.
        again = await finished(client, await client.ok("execute", "Deploy", {"deployment": name}))
        assert again["success"] is True, again["logs"]
        assert [log["stage"] for log in again["logs"]] == [
            "Stop Previous",
            "Run Container",
            "Remove Previous",
        ]
        assert await eventually(lambda: _is(fetch(taken), "hello-two"))
        names = [c["Names"][0].lstrip("/") for c in await docker.containers.list(all=True)]
        assert name in names and f"{name}-previous" not in names

        bad = await client.send("write", "UpdateDeployment", {"id": name, "config": {"ports": "80:eighty"}})
        assert bad.status == 200
        refused = await client.send("execute", "Deploy", {"deployment": name})
        assert refused.status == 400 and "80:eighty" in refused.error
    finally:
        await agent.stop()
        await remove_containers(docker, name, f"{name}-previous", f"{name}-blocker")
        await docker.close()


async def test_a_private_image_is_pulled_with_the_registry_account(
    registry, executor, client, nats_url, docker_registry
):
    private = f"{docker_registry.address}/varanus/busybox-{uuid.uuid4().hex[:6]}:1"
    docker = aiodocker.Docker()
    name = f"varanus-e2e-private-{uuid.uuid4().hex[:6]}"
    server = await client.write("CreateServer", {"name": "dock", "config": {"enabled": True}})
    agent = start_agent(nats_url, server["_id"]["$oid"])
    await agent.start()
    try:
        repository, tag = private.rsplit(":", 1)
        await docker_registry.push(docker, IMAGE, repository, tag, keep=False)  # the deploy has to pull it
        await client.write("CreateImageRegistryAccount", docker_registry.account)
        config = {
            "server_id": "dock",
            "image": {"type": "Image", "params": {"image": private}},
            "image_registry_account": docker_registry.username,
            "command": "sleep 3600",
        }
        await client.write("CreateDeployment", {"name": name, "config": config})
        pulled = await finished(client, await client.ok("execute", "PullDeployment", {"deployment": name}))
        assert pulled["success"] is True and pulled["logs"][0]["stage"] == "Pull Image", pulled["logs"]
        await docker.images.inspect(private)
        done = await finished(client, await client.ok("execute", "Deploy", {"deployment": name}))
        assert done["success"] is True, done["logs"]
        assert [log["stage"] for log in done["logs"]] == ["Pull Image", "Run Container"]
        assert docker_registry.password not in json.dumps(done)
        assert await eventually(lambda: _is(deployment_state(client, name), "running"))

        # A wrong token fails the pull, says so, and leaves the running container alone.
        account = (await client.read("ListImageRegistryAccounts", {}))[0]
        await client.write(
            "UpdateImageRegistryAccount", {"id": account["_id"]["$oid"], "account": {"token": "wrong-token"}}
        )
        refused = await finished(client, await client.ok("execute", "Deploy", {"deployment": name}))
        assert refused["success"] is False and refused["logs"][0]["stage"] == "Pull Image"
        assert refused["logs"][0]["stderr"]
        assert await deployment_state(client, name) == "running"
    finally:
        await agent.stop()
        with contextlib.suppress(aiodocker.DockerError):
            await (await docker.containers.get(name)).delete(force=True)
        with contextlib.suppress(aiodocker.DockerError):
            await docker.images.delete(private, force=True)
        await docker.close()


async def test_batch_deploy_and_destroy_by_pattern(registry, executor, client, nats_url, docker_available):
    prefix = f"varanus-batch-{uuid.uuid4().hex[:6]}"
    server = await client.write("CreateServer", {"name": "dock", "config": {"enabled": True}})
    image = {"type": "Image", "params": {"image": IMAGE}}
    for suffix in ("a", "b"):
        await client.write(
            "CreateDeployment",
            {
                "name": f"{prefix}-{suffix}",
                "config": {"server_id": "dock", "image": image, "command": "sleep 3600"},
            },
        )
    await client.write("CreateDeployment", {"name": f"{prefix}-noserver", "config": {"image": image}})
    await client.write(
        "CreateDeployment", {"name": "unrelated", "config": {"server_id": "dock", "image": image}}
    )
    agent = start_agent(nats_url, server["_id"]["$oid"])
    await agent.start()
    docker = aiodocker.Docker()
    try:
        answer = await client.ok("execute", "BatchDeploy", {"pattern": f"{prefix}-*"})
        by_status = {item["status"] for item in answer}
        assert by_status == {"Ok", "Err"} and len(answer) == 3
        failed = next(item for item in answer if item["status"] == "Err")
        assert (
            failed["data"]["name"] == f"{prefix}-noserver" and "no server" in failed["data"]["error"]["error"]
        )
        for item in answer:
            if item["status"] == "Ok":
                assert (await finished(client, item["data"]))["success"] is True
        for suffix in ("a", "b"):
            assert await eventually(
                lambda s=suffix: _is(deployment_state(client, f"{prefix}-{s}"), "running")
            )
        assert await deployment_state(client, "unrelated") == "not_deployed"

        destroyed = await client.ok("execute", "BatchDestroyDeployment", {"pattern": f"\\^{prefix}-[ab]$\\"})
        assert len(destroyed) == 2
        for item in destroyed:
            assert (await finished(client, item["data"]))["success"] is True
        for suffix in ("a", "b"):
            assert await eventually(
                lambda s=suffix: _is(deployment_state(client, f"{prefix}-{s}"), "not_deployed")
            )
        empty = await client.send("execute", "BatchDeploy", {"pattern": " , "})
        assert empty.status == 400
    finally:
        await agent.stop()
        for suffix in ("a", "b"):
            with contextlib.suppress(aiodocker.DockerError):
                await (await docker.containers.get(f"{prefix}-{suffix}")).delete(force=True)
        await docker.close()


async def test_a_redeploy_shows_the_new_container_before_the_next_heartbeat(
    registry, executor, client, nats_url
):
    """Between two heartbeats only Docker's events tell the executor what a redeploy did: the previous container
    renamed aside, stopped and removed, the new one created and started under the name. The agent here reports
    every minute, so no heartbeat comes during the test to correct a wrong reading of those events."""
    server = await client.write("CreateServer", {"name": "dock", "config": {"enabled": True}})
    name = f"varanus-e2e-redeploy-{uuid.uuid4().hex[:6]}"
    command = "sh -c 'trap \"exit 0\" TERM; sleep 3600 & wait'"
    config = {"server_id": "dock", "image": {"type": "Image", "params": {"image": IMAGE}}, "command": command}
    await client.write("CreateDeployment", {"name": name, "config": config})
    agent = start_agent(nats_url, server["_id"]["$oid"], interval="1-min")
    await agent.start()
    docker = aiodocker.Docker()

    async def shows(container_id: str) -> bool:
        found = await client.read("GetDeploymentContainer", {"deployment": name})
        return found["state"] == "running" and (found["container"] or {}).get("id") == container_id

    try:
        assert await eventually(lambda: _is(server_state(client), "Ok"))
        first = await finished(client, await client.ok("execute", "Deploy", {"deployment": name}))
        assert first["success"] is True, first["logs"]
        first_id = (await docker.containers.get(name)).id
        assert await eventually(lambda: shows(first_id), seconds=3)
        again = await finished(client, await client.ok("execute", "Deploy", {"deployment": name}))
        assert [log["stage"] for log in again["logs"]] == [
            "Stop Previous",
            "Run Container",
            "Remove Previous",
        ]
        new_id = (await docker.containers.get(name)).id
        assert await eventually(lambda: shows(new_id), seconds=3), "the list lost the redeployed container"
        assert await eventually(lambda: _is(deployment_state(client, name), "running"), seconds=3)
    finally:
        await agent.stop()
        await remove_containers(docker, name, f"{name}-previous")
        await docker.close()


async def server_state(client: BusClient) -> str:
    return str((await client.read("GetServerState", {"server": "dock"}))["status"])
