"""A Deployment of a Build's image, end to end over HTTP: gateway, registry, executor, a real agent and Docker,
and docker-registry with htpasswd auth on loopback.

The Build pushes to `<registry>/<organization>/<name>` (the local busybox is pushed there by the test, as a
builder would); the deployment names the Build and a version, and Deploy must pull `…:<version>` with the
Build's registry account and run it.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aiodocker
import httpx
import pytest

from tests.e2e.conftest import Answer, KomodoClient
from tests.e2e.helpers import (
    IMAGE,
    _is,
    eventually,
    finished,
    forget,
    remove_containers,
    start_agent,
    write_behind,
)

pytestmark = pytest.mark.docker

ORGANIZATION = "varanus-e2e"


class HttpClient(KomodoClient):
    """Komodo's HTTP API through the gateway, with the calls the bus tests' client has."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def send(self, kind: str, name: str, params: Any = None) -> Answer:
        reply = await self.http.post(f"/{kind}/{name}", json=params or {})
        return Answer(reply.status_code, reply.json() if reply.content else None)


@pytest.fixture
async def http(gateway_url: str, admin_headers: dict[str, str]) -> AsyncIterator[HttpClient]:
    async with httpx.AsyncClient(base_url=gateway_url, timeout=60, headers=admin_headers) as client:
        yield HttpClient(client)


async def running_image(docker: aiodocker.Docker, name: str) -> str:
    """The image reference the container was created from (`Config.Image`), "" when it is not running."""
    with contextlib.suppress(aiodocker.DockerError):
        container = (await docker.containers.get(name))._container
        if container["State"]["Running"]:
            return str(container["Config"]["Image"])
    return ""


async def deployment_state(http: HttpClient, name: str) -> str:
    listed = await http.read("ListDeployments", {"query": {"names": [name]}})
    return str(listed[0]["info"]["state"]) if listed else ""


async def test_a_deployment_runs_its_builds_image_pulled_with_the_builds_account(
    registry, executor, http, nats_url, docker_registry
):
    build_name = f"e2e-build-{uuid.uuid4().hex[:6]}"
    repository = f"{docker_registry.address}/{ORGANIZATION}/{build_name}"
    name = f"varanus-e2e-build-{uuid.uuid4().hex[:6]}"
    docker = aiodocker.Docker()
    server = await http.write("CreateServer", {"name": "dock", "config": {"enabled": True}})
    agent = start_agent(nats_url, server["_id"]["$oid"])
    await agent.start()
    try:
        # What a builder would push: two versions in the registry, neither left on the host.
        for version in ("1.2.3", "1.2.4"):
            await docker_registry.push(docker, IMAGE, repository, version, keep=False)
        await http.write("CreateImageRegistryAccount", docker_registry.account)
        build = await http.write(
            "CreateBuild",
            {
                "name": build_name,
                "config": {
                    "version": "1.2.3",
                    "image_registry": [
                        {
                            "domain": docker_registry.address,
                            "account": docker_registry.username,
                            "organization": ORGANIZATION,
                        }
                    ],
                },
            },
        )
        build_id = build["_id"]["$oid"]
        config = {
            "server_id": "dock",
            "image": {"type": "Build", "params": {"build": build_id, "version": "1.2.3"}},
            "command": "sleep 3600",
            "termination_timeout": 1,
        }
        await http.write("CreateDeployment", {"name": name, "config": config})
        listed = await http.read("ListDeployments", {"query": {"names": [name]}})
        assert listed[0]["info"]["build_id"] == build_id
        assert listed[0]["info"]["image"] == f"{build_name}:1.2.3"  # not deployed: the build and version

        # Pinned 1.2.3: pulled with the Build's account (the registry refuses anonymous pulls) and run.
        deployed = await finished(http, await http.ok("execute", "Deploy", {"deployment": name}), 60)
        assert deployed["success"] is True, deployed["logs"]
        assert deployed["version"] == {"major": 1, "minor": 2, "patch": 3}
        stages = [log["stage"] for log in deployed["logs"]]
        assert stages[:2] == ["Pull Image", "Run Container"], stages
        assert f"{repository}:1.2.3" in deployed["logs"][0]["command"]
        assert docker_registry.password not in str(deployed["logs"])
        assert await running_image(docker, name) == f"{repository}:1.2.3"
        assert await eventually(lambda: _is(deployment_state(http, name), "running"))

        # Version 0.0.0 follows the Build's current version.
        await http.write("UpdateBuild", {"id": build_id, "config": {"version": "1.2.4"}})
        await http.write(
            "UpdateDeployment",
            {
                "id": name,
                "config": {"image": {"type": "Build", "params": {"build": build_id, "version": "0.0.0"}}},
            },
        )
        redeployed = await finished(http, await http.ok("execute", "Deploy", {"deployment": name}), 60)
        assert redeployed["success"] is True, redeployed["logs"]
        assert redeployed["version"] == {"major": 1, "minor": 2, "patch": 4}
        assert await running_image(docker, name) == f"{repository}:1.2.4"

        pulled = await finished(http, await http.ok("execute", "PullDeployment", {"deployment": name}), 60)
        assert pulled["success"] is True and f"{repository}:1.2.4" in pulled["logs"][0]["command"]
    finally:
        await agent.stop()
        await remove_containers(docker, name, f"{name}-previous")
        for version in ("1.2.3", "1.2.4"):
            await forget(docker, f"{repository}:{version}")
        await docker.close()


async def test_a_missing_build_or_account_is_a_clear_error(
    registry, executor, http, nats_url, docker_registry
):
    from services.common.embedded import free_port

    server = await http.write("CreateServer", {"name": "dock", "config": {"enabled": True}})
    unknown = await http.send(
        "write",
        "CreateDeployment",
        {
            "name": "orphan",
            "config": {"server_id": "dock", "image": {"type": "Build", "params": {"build": "no-such-build"}}},
        },
    )
    assert unknown.status == 400 and "no-such-build" in unknown.error, unknown.body

    registry_config = {"domain": docker_registry.address, "account": "nobody", "organization": ORGANIZATION}
    build = await http.write(
        "CreateBuild", {"name": "api", "config": {"version": "1.0.0", "image_registry": [registry_config]}}
    )
    attached = {"type": "Build", "params": {"build": "api", "version": "1.0.0"}}
    for deployment in ("stale", "gone", "no-account"):
        await http.write(
            "CreateDeployment",
            {"name": deployment, "config": {"server_id": "dock", "image": attached, "command": "sleep 3600"}},
        )
    agent = start_agent(nats_url, server["_id"]["$oid"])
    await agent.start()
    docker = aiodocker.Docker()
    try:
        # The Build's account is not stored: a 400 naming it and the registry, before anything runs.
        no_account = await http.send("execute", "Deploy", {"deployment": "no-account"})
        assert no_account.status == 400, no_account.body
        assert "'nobody'" in no_account.error and docker_registry.address in no_account.error

        # A build id that names nothing (a stale reference): the deployment's build does not exist.
        stale_id = "0123456789abcdef01234567"
        await write_behind(
            registry, "Deployment", {"name": "stale"}, {"$set": {"config.image.params.build_id": stale_id}}
        )
        stale = await http.send("execute", "Deploy", {"deployment": "stale"})
        assert stale.status == 400, stale.body
        assert stale_id in stale.error and "does not exist" in stale.error and "'stale'" in stale.error
        pull = await http.send("execute", "PullDeployment", {"deployment": "stale"})
        assert pull.status == 400 and stale_id in pull.error

        # A deleted Build leaves the deployment naming none.
        await http.write("DeleteBuild", {"id": build["_id"]["$oid"]})
        gone = await http.send("execute", "Deploy", {"deployment": "gone"})
        assert gone.status == 400 and "names no build" in gone.error, gone.body
        updates = await http.read("ListUpdates", {"query": {"operation": "Deploy"}})
        assert updates["updates"] == []

        # A Build that pushes nowhere: its image is local to the host that built it, and the failed pull says so.
        local_image = f"127.0.0.1:{free_port()}/nothing/local-api"
        await http.write(
            "CreateBuild", {"name": "local-api", "config": {"version": "0.1.0", "image_name": local_image}}
        )
        await http.write(
            "CreateDeployment",
            {
                "name": "local",
                "config": {
                    "server_id": "dock",
                    "image": {"type": "Build", "params": {"build": "local-api"}},
                    "command": "sleep 3600",
                },
            },
        )
        failed = await finished(http, await http.ok("execute", "Deploy", {"deployment": "local"}), 60)
        assert failed["success"] is False
        pull_log = failed["logs"][0]
        assert pull_log["stage"] == "Pull Image" and f"{local_image}:0.1.0" in pull_log["command"]
        assert "pushes its image to no registry" in pull_log["stderr"], pull_log
        assert "exists only on the host where it was built" in pull_log["stderr"]
    finally:
        await agent.stop()
        with contextlib.suppress(aiodocker.DockerError):
            await (await docker.containers.get("local")).delete(force=True)
        await docker.close()
