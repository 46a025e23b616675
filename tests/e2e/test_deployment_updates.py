"""Image update detection end to end: a real agent and Docker, and docker-registry with htpasswd auth.

A deployment runs `<registry>/varanus/updates-…:latest`; a different image is then pushed to the same tag.
The checks must see that without pulling, show it in ListDeployments, and (with auto_update) redeploy.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from typing import Any

import aiodocker
import nats
import pytest

from contracts.entities.common import ResourceTarget, ResourceTargetVariant
from contracts.entities.update import Operation
from services.executor.updates.store import FollowUp
from tests.conftest import DockerRegistry
from tests.e2e.helpers import (
    IMAGE,
    _is,
    eventually,
    finished,
    forget,
    push_changed,
    remove_containers,
    start_agent,
)

pytestmark = pytest.mark.docker


async def listed_update(client: Any, name: str) -> bool:
    listed = await client.read("ListDeployments", {"query": {"names": [name]}})
    return bool(listed and listed[0]["info"]["update_available"])


async def running_image_id(docker: aiodocker.Docker, name: str) -> str:
    return str((await docker.containers.get(name))._container["Image"])


async def deploy_pushed(
    client: Any,
    docker: aiodocker.Docker,
    docker_registry: DockerRegistry,
    image: str,
    name: str,
    **extra: Any,
) -> str:
    """Push the local busybox as `image`, add the registry account, create a deployment of it pulled with that
    account (`sleep`, a short stop grace, `extra` config) and deploy it; the deployment's id."""
    repository, tag = image.rsplit(":", 1)
    await docker_registry.push(docker, IMAGE, repository, tag)
    await client.write("CreateImageRegistryAccount", docker_registry.account)
    config = {
        "server_id": "dock",
        "image": {"type": "Image", "params": {"image": image}},
        "image_registry_account": docker_registry.username,
        "command": "sleep 3600",
        # `sleep` ignores SIGTERM: a short grace keeps a redeploy within the client's 10 s wait.
        "termination_timeout": 1,
        **extra,
    }
    created = await client.write("CreateDeployment", {"name": name, "config": config})
    deployed = await finished(client, await client.ok("execute", "Deploy", {"deployment": name}))
    assert deployed["success"] is True, deployed["logs"]
    return str(created["_id"]["$oid"]), str(deployed["_id"]["$oid"])


async def test_a_moved_tag_is_found_shown_and_auto_deployed(
    registry, executor, client, nats_url, docker_registry
):
    repository = f"{docker_registry.address}/varanus/updates-{uuid.uuid4().hex[:6]}"
    image = f"{repository}:latest"
    name = f"varanus-e2e-updates-{uuid.uuid4().hex[:6]}"
    builder = f"{name}-builder"
    docker = aiodocker.Docker()
    events = await nats.connect(nats_url)
    seen: list[dict[str, Any]] = []

    async def on_event(msg: Any) -> None:
        seen.append({"subject": msg.subject, **json.loads(msg.data)})

    await events.subscribe("komodo.event.deployment.*", cb=on_event)
    server = await client.write("CreateServer", {"name": "dock", "config": {"enabled": True}})
    agent = start_agent(nats_url, server["_id"]["$oid"])
    await agent.start()
    try:
        # v1: the local busybox, pushed as :latest, deployed with the registry account.
        deployment_id, _ = await deploy_pushed(
            client, docker, docker_registry, image, name, poll_for_updates=True
        )
        assert await eventually(lambda: _is(_state(client, name), "running"))
        v1 = await running_image_id(docker, name)

        check = await client.write("CheckDeploymentForUpdate", {"deployment": name})
        assert check == {"deployment": deployment_id, "update_available": False}
        assert await listed_update(client, name) is False

        # v2: another image (a changed file) pushed to the same tag.
        v2 = await push_changed(docker, docker_registry, repository, builder)
        assert v2 != v1

        check = await client.write("CheckDeploymentForUpdate", {"deployment": name})
        assert check == {"deployment": deployment_id, "update_available": True}
        assert await running_image_id(docker, name) == v1, "a check must not redeploy without auto_update"
        assert await listed_update(client, name) is True
        assert await client.read(
            "ListDeployments", {"query": {"names": [name], "specific": {"update_available": True}}}
        )
        batch = await client.write("BatchCheckDeploymentForUpdate", {"pattern": f"{name}, nothing-*"})
        assert batch == [{"deployment": deployment_id, "update_available": True}]
        assert await eventually(
            lambda: _any(seen, "DeploymentImageUpdateAvailable", deployment_id), seconds=5
        )

        # GlobalAutoUpdate covers the polled deployment, and only checks when told to skip auto updates.
        sweep = await finished(
            client, await client.ok("execute", "GlobalAutoUpdate", {"skip_auto_update": True})
        )
        assert sweep["success"] is True, sweep["logs"]
        mine = next(log for log in sweep["logs"] if log["stage"] == f"Check {name}")
        assert mine["stdout"] == "update available"

        # A wrong token: a clear error that does not hold it.
        account = (await client.read("ListImageRegistryAccounts", {}))[0]
        account_id = account["_id"]["$oid"]
        await client.write(
            "UpdateImageRegistryAccount", {"id": account_id, "account": {"token": "wrong-token-123"}}
        )
        refused = await client.send("write", "CheckDeploymentForUpdate", {"deployment": name})
        assert refused.status == 400, refused.body
        assert "refused the credentials" in refused.error and docker_registry.username in refused.error
        assert "wrong-token-123" not in json.dumps(refused.body)
        await client.write(
            "UpdateImageRegistryAccount",
            {"id": account_id, "account": {"token": docker_registry.password}},
        )

        # auto_update: the check redeploys, and afterwards the container runs v2 and no update is shown.
        await client.write("UpdateDeployment", {"id": name, "config": {"auto_update": True}})
        skipped = await client.write(
            "CheckDeploymentForUpdate", {"deployment": name, "skip_auto_update": True}
        )
        assert skipped["update_available"] is True and await running_image_id(docker, name) == v1
        updated = await client.write(
            "CheckDeploymentForUpdate", {"deployment": name, "wait_for_auto_update": True}
        )
        assert updated == {"deployment": deployment_id, "update_available": False}
        assert await running_image_id(docker, name) == v2
        assert await eventually(lambda: _not(listed_update(client, name)), seconds=5)
        assert await eventually(lambda: _any(seen, "DeploymentAutoUpdated", deployment_id), seconds=5)
        auto = next(e for e in seen if e["subject"].endswith("DeploymentAutoUpdated"))
        assert auto["success"] is True and auto["image"] == image
        deploys = await client.read(
            "ListUpdates", {"query": {"operation": "Deploy", "target.id": deployment_id}}
        )
        assert len(deploys["updates"]) == 2
        again = await client.write("CheckDeploymentForUpdate", {"deployment": name})
        assert again["update_available"] is False
    finally:
        await agent.stop()
        await events.close()
        await remove_containers(docker, name, f"{name}-previous", builder)
        await forget(docker, image)
        await docker.close()


async def test_not_deployed_and_unreachable_registry(registry, executor, client, nats_url, docker_available):
    from services.common.embedded import free_port

    server = await client.write("CreateServer", {"name": "dock", "config": {"enabled": True}})
    missing = f"127.0.0.1:{free_port()}/varanus/nowhere:1"
    config = {
        "server_id": "dock",
        "image": {"type": "Image", "params": {"image": missing}},
        "command": "sleep 3600",
        "termination_timeout": 1,
    }
    created = await client.write("CreateDeployment", {"name": "never-deployed", "config": config})
    name = f"varanus-e2e-updates-{uuid.uuid4().hex[:6]}"
    await client.write(
        "CreateDeployment",
        {"name": name, "config": {**config, "image": {"type": "Image", "params": {"image": IMAGE}}}},
    )
    agent = start_agent(nats_url, server["_id"]["$oid"])
    await agent.start()
    docker = aiodocker.Docker()
    try:
        # No container: nothing to compare, no registry asked.
        check = await client.write("CheckDeploymentForUpdate", {"deployment": "never-deployed"})
        assert check == {"deployment": created["_id"]["$oid"], "update_available": False}

        # A running container whose registry is not there: a clear 503.
        assert (await finished(client, await client.ok("execute", "Deploy", {"deployment": name})))["success"]
        await client.write(
            "UpdateDeployment",
            {"id": name, "config": {"image": {"type": "Image", "params": {"image": missing}}}},
        )
        unreachable = await client.send("write", "CheckDeploymentForUpdate", {"deployment": name})
        assert unreachable.status == 503 and "not reachable" in unreachable.error, unreachable.body
    finally:
        await agent.stop()
        with contextlib.suppress(aiodocker.DockerError):
            await (await docker.containers.get(name)).delete(force=True)
        await docker.close()


async def _state(client: Any, name: str) -> str:
    listed = await client.read("ListDeployments", {"query": {"names": [name]}})
    return str(listed[0]["info"]["state"]) if listed else ""


async def _not(value: Any) -> bool:
    return not await value


async def _any(seen: list[dict[str, Any]], event: str, deployment_id: str) -> bool:
    return any(
        e["subject"].endswith(f".{event}") and (e.get("resource") or {}).get("id") == deployment_id
        for e in seen
    )


async def test_the_poll_redeploys_auto_update_deployments_on_one_replica(
    registry, executor, client, nats_url, docker_registry
):
    from services.executor.updates.poller import UpdatePoller

    repository = f"{docker_registry.address}/varanus/polled-{uuid.uuid4().hex[:6]}"
    image = f"{repository}:latest"
    name = f"varanus-e2e-polled-{uuid.uuid4().hex[:6]}"
    builder = f"{name}-builder"
    docker = aiodocker.Docker()
    server = await client.write("CreateServer", {"name": "dock", "config": {"enabled": True}})
    agent = start_agent(nats_url, server["_id"]["$oid"])
    await agent.start()
    try:
        await deploy_pushed(client, docker, docker_registry, image, name, auto_update=True)
        assert await eventually(lambda: _is(_state(client, name), "running"))
        v1 = await running_image_id(docker, name)

        v2 = await push_changed(docker, docker_registry, repository, builder)

        # One sweep per interval, whichever replica claims it.
        other = UpdatePoller(executor.image_updates, executor.db["ImageUpdatePoll"], interval=300)
        assert await executor.update_poller.run_once() is True
        assert await other.run_once() is False
        assert await executor.update_poller.run_once() is False

        async def redeployed() -> bool:
            with contextlib.suppress(aiodocker.DockerError):
                return await running_image_id(docker, name) == v2
            return False

        assert await eventually(redeployed, seconds=20)
        assert v1 != v2
        assert await eventually(lambda: _not(listed_update(client, name)), seconds=10)
    finally:
        await agent.stop()
        await remove_containers(docker, name, f"{name}-previous", builder)
        await forget(docker, image)
        await docker.close()


async def test_a_redeploy_whose_follower_died_is_announced_by_the_next_poll(
    registry, executor, client, nats_url, docker_registry
):
    repository = f"{docker_registry.address}/varanus/followed-{uuid.uuid4().hex[:6]}"
    image = f"{repository}:latest"
    name = f"varanus-e2e-followed-{uuid.uuid4().hex[:6]}"
    docker = aiodocker.Docker()
    events = await nats.connect(nats_url)
    seen: list[dict[str, Any]] = []

    async def on_event(msg: Any) -> None:
        seen.append({"subject": msg.subject, **json.loads(msg.data)})

    await events.subscribe("komodo.event.deployment.DeploymentAutoUpdated", cb=on_event)
    server = await client.write("CreateServer", {"name": "dock", "config": {"enabled": True}})
    agent = start_agent(nats_url, server["_id"]["$oid"])
    await agent.start()
    try:
        # The auto update's Deploy ran, but the replica that followed it died before announcing it.
        deployment_id, update_id = await deploy_pushed(
            client, docker, docker_registry, image, name, auto_update=True
        )
        store = executor.image_updates.store
        await store.add_follow_up(FollowUp(update_id=update_id, kind="Deployment", resource_id=deployment_id))
        # One still running is left for later; one of a deleted deployment is dropped.
        running = await executor.registry.create_update(
            Operation.Deploy, ResourceTarget(type=ResourceTargetVariant.Deployment, id=deployment_id), "x"
        )
        await store.add_follow_up(
            FollowUp(update_id=running.id, kind="Deployment", resource_id=deployment_id)
        )
        await store.add_follow_up(
            FollowUp(update_id=running.id + "0", kind="Deployment", resource_id="6b0000000000000000000000")
        )

        assert await executor.image_updates.resume_follow_ups() == 1
        assert await eventually(lambda: _any(seen, "DeploymentAutoUpdated", deployment_id), seconds=5)
        announced = next(e for e in seen if e["subject"].endswith("DeploymentAutoUpdated"))
        assert announced["id"] == f"auto-updated-{update_id}" and announced["success"] is True
        assert [f.update_id for f in await store.pending_follow_ups()] == [running.id]
        # Checked again after it: the container runs the registry's image.
        check = await store.get(deployment_id)
        assert check is not None and check.update_available is False
    finally:
        await agent.stop()
        await events.close()
        with contextlib.suppress(aiodocker.DockerError):
            await (await docker.containers.get(name)).delete(force=True)
        await forget(docker, image)
        await docker.close()
