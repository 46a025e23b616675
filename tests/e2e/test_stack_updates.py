"""Stack image update detection end to end: a real agent, `docker compose`, and docker-registry with htpasswd auth.

A stack runs two services from the private registry (`app` and `side`, each its own repository, pulled with the
stack's registry account); a different image is then pushed to `app`'s tag only. The checks must see that
without pulling, per service, show it in ListStacks, and with auto_update redeploy only `app`.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from typing import Any

import aiodocker
import pytest

from contracts.subjects import event_subject
from tests.e2e.helpers import (
    IMAGE,
    _is,
    down,
    eventually,
    finished,
    forget,
    push_changed,
    stack_state,
    start_agent,
)

pytestmark = pytest.mark.docker


def compose_file(app: str, side: str) -> str:
    return (
        "services:\n"
        "  app:\n"
        f"    image: {app}\n"
        "    command: ['sleep', '3600']\n"
        "    stop_signal: SIGKILL\n"
        "  side:\n"
        f"    image: {side}\n"
        "    command: ['sleep', '3600']\n"
        "    stop_signal: SIGKILL\n"
    )


async def containers_of(docker: aiodocker.Docker, project: str) -> dict[str, dict[str, str]]:
    """Each service's container id and image id."""
    found = await docker.containers.list(
        all=True, filters=json.dumps({"label": [f"com.docker.compose.project={project}"]})
    )
    result: dict[str, dict[str, str]] = {}
    for container in found:
        details = await container.show()
        service = details["Config"]["Labels"]["com.docker.compose.service"]
        result[service] = {"id": details["Id"], "image": details["Image"]}
    return result


async def listed_services(client: Any, name: str) -> dict[str, bool]:
    listed = await client.read("ListStacks", {"query": {"names": [name]}})
    return {s["service"]: s.get("update_available", False) for s in listed[0]["info"]["services"]}


async def test_a_moved_tag_is_found_per_service_and_only_that_service_redeployed(
    registry, executor, client, nats_url, docker_registry, tmp_path
):
    suffix = uuid.uuid4().hex[:6]
    app_repo = f"{docker_registry.address}/varanus/stack-app-{suffix}"
    side_repo = f"{docker_registry.address}/varanus/stack-side-{suffix}"
    name = f"e2e-stack-updates-{suffix}"
    builder = f"{name}-builder"
    docker = aiodocker.Docker()
    seen: list[dict[str, Any]] = []

    async def collect(msg: Any) -> None:
        seen.append({"subject": msg.subject, **json.loads(msg.data)})

    subs = [
        await client.nc.subscribe(event_subject("stack", event), cb=collect)
        for event in ("StackImageUpdateAvailable", "StackAutoUpdated")
    ]
    server = await client.write("CreateServer", {"name": "dock", "config": {"enabled": True}})
    agent = start_agent(nats_url, server["_id"]["$oid"], tmp_path / "stacks")
    await agent.start()
    try:
        for repository in (app_repo, side_repo):
            # Removed locally, so the stack's deploy really pulls with the account.
            await docker_registry.push(docker, IMAGE, repository, keep=False)
        await client.write("CreateImageRegistryAccount", docker_registry.account)
        config = {
            "server_id": "dock",
            "file_contents": compose_file(f"{app_repo}:latest", f"{side_repo}:latest"),
            "registry_provider": docker_registry.address,
            "registry_account": docker_registry.username,
            "poll_for_updates": True,
        }
        created = await client.write("CreateStack", {"name": name, "config": config})
        stack_id = created["_id"]["$oid"]
        deployed = await finished(client, await client.ok("execute", "DeployStack", {"stack": name}), 120)
        assert deployed["success"] is True, json.dumps(deployed["logs"], indent=1)
        assert docker_registry.password not in json.dumps(deployed)
        assert await eventually(lambda: _is(stack_state(client, name), "running"), 20)
        before = await containers_of(docker, name)

        check = await client.write("CheckStackForUpdate", {"stack": name})
        assert check["stack"] == stack_id
        assert {s["service"]: s["update_available"] for s in check["services"]} == {
            "app": False,
            "side": False,
        }

        # A new image under app's tag only.
        v2 = await push_changed(docker, docker_registry, app_repo, builder)
        assert v2 != before["app"]["image"]

        check = await client.write("CheckStackForUpdate", {"stack": name, "skip_cache_refresh": True})
        by_service = {s["service"]: s for s in check["services"]}
        assert by_service["app"]["update_available"] is True
        assert by_service["app"]["latest_image"].startswith(f"{app_repo}:latest@sha256:")
        assert by_service["side"]["update_available"] is False
        assert await containers_of(docker, name) == before, "a check must not redeploy without auto_update"
        assert await listed_services(client, name) == {"app": True, "side": False}
        flagged = await client.read(
            "ListStacks", {"query": {"names": [name], "specific": {"update_available": True}}}
        )
        assert [s["name"] for s in flagged] == [name]
        batch = await client.write("BatchCheckStackForUpdate", {"pattern": f"e2e-stack-updates-*, {name}"})
        assert [(b["stack"], [s["update_available"] for s in b["services"]]) for b in batch] == [
            (stack_id, [True, False])
        ]
        assert await eventually(lambda: _event(seen, "StackImageUpdateAvailable", stack_id), 5)
        alert = next(e for e in seen if e["subject"].endswith("StackImageUpdateAvailable"))
        assert alert["service"] == "app" and alert["image"] == f"{app_repo}:latest"

        # GlobalAutoUpdate covers the polled stack; told to skip auto updates, it only checks.
        sweep = await finished(
            client, await client.ok("execute", "GlobalAutoUpdate", {"skip_auto_update": True}), 60
        )
        assert sweep["success"] is True, sweep["logs"]
        mine = next(log for log in sweep["logs"] if log["stage"] == f"Check stack {name}")
        assert mine["stdout"] == f"update available: app ({app_repo}:latest)"

        # auto_update: the check redeploys app alone, which then runs v2; side keeps its container.
        await client.write("UpdateStack", {"id": name, "config": {"auto_update": True}})
        updated = await client.write("CheckStackForUpdate", {"stack": name, "wait_for_auto_update": True})
        assert [s["update_available"] for s in updated["services"]] == [False, False], updated
        after = await containers_of(docker, name)
        assert after["app"]["image"] == v2
        assert after["side"] == before["side"]
        assert await eventually(lambda: _event(seen, "StackAutoUpdated", stack_id), 5)
        auto = next(e for e in seen if e["subject"].endswith("StackAutoUpdated"))
        assert auto["success"] is True and auto["services"] == ["app"]
        deploys = await client.read(
            "ListUpdates", {"query": {"operation": "DeployStackService", "target.id": stack_id}}
        )
        assert len(deploys["updates"]) == 1
        assert await eventually(lambda: _none_flagged(client, name), 10)
    finally:
        for sub in subs:
            await sub.unsubscribe()
        await agent.stop()
        down(name)
        with contextlib.suppress(aiodocker.DockerError):
            await (await docker.containers.get(builder)).delete(force=True)
        for repository in (app_repo, side_repo):
            await forget(docker, f"{repository}:latest")
        await docker.close()


async def test_a_stack_that_is_not_running_has_nothing_to_compare(
    registry, executor, client, nats_url, docker_available, tmp_path
):
    server = await client.write("CreateServer", {"name": "dock", "config": {"enabled": True}})
    created = await client.write(
        "CreateStack",
        {"name": "idle", "config": {"server_id": "dock", "file_contents": compose_file(IMAGE, IMAGE)}},
    )
    agent = start_agent(nats_url, server["_id"]["$oid"], tmp_path / "stacks")
    await agent.start()
    try:
        # The cache refresh reads the declared services; no container runs, so no registry is asked.
        check = await client.write("CheckStackForUpdate", {"stack": "idle"})
        assert check == {
            "stack": created["_id"]["$oid"],
            "services": [
                {"service": "app", "image": IMAGE, "latest_image": None, "update_available": False},
                {"service": "side", "image": IMAGE, "latest_image": None, "update_available": False},
            ],
        }
        unknown = await client.send("write", "CheckStackForUpdate", {"stack": "nowhere"})
        assert unknown.status == 404 and "nowhere" in unknown.error
    finally:
        await agent.stop()


async def _event(seen: list[dict[str, Any]], event: str, stack_id: str) -> bool:
    return any(
        e["subject"].endswith(f".{event}") and (e.get("resource") or {}).get("id") == stack_id for e in seen
    )


async def _none_flagged(client: Any, name: str) -> bool:
    return not any((await listed_services(client, name)).values())
