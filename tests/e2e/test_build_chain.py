"""Build to deploy as an event chain: a signed push builds the image, and its `BuildFinished` makes the executor
redeploy the deployments with `redeploy_on_build` as `Auto Redeploy`, with the new version; a failed build
redeploys nothing and publishes `BuildFailed`."""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path
from typing import Any

import httpx
import nats
from nats.js.api import ConsumerConfig, DeliverPolicy

from contracts.entities.common import ResourceTarget, ResourceTargetVariant, Version
from contracts.events.execution import BuildFailed, BuildFinished
from contracts.service_users import AUTO_REDEPLOY_USER_ID, GIT_WEBHOOK_USER_ID
from services.builder.app import Builder
from services.executor.redeploy_on_build import redeploy
from tests.e2e.conftest import CORE_SECRET, BusClient
from tests.e2e.helpers import IMAGE, eventually, finished, github, push, repo_agent
from tests.git_server import GitServer, git_server  # noqa: F401

DOCKERFILE = f"FROM {IMAGE}\nARG VERSION\nRUN echo $VERSION > /version\n"


def version_in(container: str) -> str:
    """The /version file of a running container ("" when it does not run)."""
    found = subprocess.run(
        ["docker", "exec", container, "cat", "/version"], capture_output=True, text=True, check=False
    )
    return found.stdout.strip()


def remove(*containers: str) -> None:
    subprocess.run(["docker", "rm", "-f", *containers], capture_output=True, check=False)


async def updates_of(client: BusClient, kind: str, resource_id: str) -> list[dict[str, Any]]:
    """The Updates of a resource, oldest first, each read whole."""
    listed = await client.read("ListUpdates", {"query": {"target.type": kind, "target.id": resource_id}})
    return [await client.read("GetUpdate", {"id": u["id"]}) for u in reversed(listed["updates"])]


async def test_pushes_build_and_redeploy_the_deployments_that_ask_for_it(
    registry: Any,
    executor: Any,
    builder: Builder,
    client: BusClient,
    nats_url: str,
    webhook_url: str,
    docker_available: Any,
    tmp_path: Path,
    git_server: GitServer,  # noqa: F811
) -> None:
    name = f"e2e-chain-{uuid.uuid4().hex[:6]}"
    follows, stays = f"{name}-follows", f"{name}-stays"
    (git_server.root / "team").mkdir(exist_ok=True)
    git_server.create_repo(f"team/{name}", {"Dockerfile": DOCKERFILE})
    server = await client.write("CreateServer", {"name": "chain-host", "config": {"enabled": True}})
    await client.write(
        "CreateBuilder",
        {"name": "chain-builders", "config": {"type": "Server", "params": {"server_ids": ["chain-host"]}}},
    )
    domain = git_server.base_url.removeprefix("http://")
    account = {"domain": domain, "https": False, "username": git_server.username, "token": git_server.token}
    await client.write("CreateGitProviderAccount", {"account": account})
    build_config = {
        "builder_id": "chain-builders",
        "git_provider": domain,
        "git_https": False,
        "git_account": git_server.username,
        "repo": f"team/{name}",
        "version": "1.0.0",
        "auto_increment_version": True,
    }
    build = await client.write("CreateBuild", {"name": name, "config": build_config})
    build_id = build["_id"]["$oid"]
    agent = repo_agent(nats_url, server["_id"]["$oid"], tmp_path)
    await agent.start()
    nc = await nats.connect(nats_url)
    failures = await nc.jetstream().subscribe(
        BuildFailed.SUBJECT, ordered_consumer=True, config=ConsumerConfig(deliver_policy=DeliverPolicy.NEW)
    )
    try:

        async def server_ok() -> bool:
            servers = await client.read("ListServers", {})
            return any(s["name"] == "chain-host" and s["info"]["state"] == "Ok" for s in servers)

        assert await eventually(server_ok, 20)
        first = await finished(client, await client.ok("execute", "RunBuild", {"build": name}), 240)
        assert first["success"] is True, json.dumps(first["logs"], indent=1)
        for deployment, follow in ((follows, True), (stays, False)):
            config = {
                "server_id": "chain-host",
                "image": {"type": "Build", "params": {"build_id": name}},
                "command": "sleep 3600",
                "redeploy_on_build": follow,
            }
            await client.write("CreateDeployment", {"name": deployment, "config": config})
            deployed = await finished(
                client, await client.ok("execute", "Deploy", {"deployment": deployment}), 60
            )
            assert deployed["success"] is True, json.dumps(deployed["logs"], indent=1)
            assert version_in(deployment) == "1.0.1"
        follows_id = (await client.read("GetDeployment", {"deployment": follows}))["_id"]["$oid"]

        async def running(deployment: str) -> bool:
            listed = await client.read("ListDeployments", {"query": {"names": [deployment]}})
            return bool(listed) and listed[0]["info"]["state"] == "running"

        assert await eventually(lambda: running(follows), 20) and await eventually(lambda: running(stays), 20)

        async with httpx.AsyncClient(base_url=webhook_url, timeout=30) as http:
            # GitHub signs the body with the webhook secret.
            git_server.push_commit(f"team/{name}", {"README": "one\n"}, "docs")
            body = push("main")
            hook = await http.post(
                f"/listener/github/build/{name}", content=body, headers=github(CORE_SECRET, body)
            )
            assert hook.status_code == 200 and hook.json()["execution"] == "RunBuild", hook.text
            built = await finished(
                client, {"_id": {"$oid": hook.json()["update_id"]}, "operation": "RunBuild"}, 240
            )
            assert built["success"] is True and built["operator"] == GIT_WEBHOOK_USER_ID
            assert built["version"] == {"major": 1, "minor": 0, "patch": 2}

            async def redeployed_to(version: str) -> bool:
                return version_in(follows) == version

            assert await eventually(lambda: redeployed_to("1.0.2"), 60), "the deployment was not redeployed"
            redeploys = [
                u for u in await updates_of(client, "Deployment", follows_id) if u["operation"] == "Deploy"
            ]
            chained = redeploys[-1]
            assert chained["operator"] == AUTO_REDEPLOY_USER_ID and chained["version"]["patch"] == 2
            # Linked to the build run that caused it.
            assert (
                chained["logs"][0]["stage"] == "Cause"
                and hook.json()["update_id"] in chained["logs"][0]["stdout"]
            )
            assert version_in(stays) == "1.0.1"  # no redeploy_on_build: left as it was

            # GitLab sends the secret itself.
            git_server.push_commit(f"team/{name}", {"README": "two\n"}, "more docs")
            lab = await http.post(
                f"/listener/gitlab/build/{name}",
                content=body,
                headers={
                    "content-type": "application/json",
                    "x-gitlab-event": "Push Hook",
                    "x-gitlab-token": CORE_SECRET,
                },
            )
            assert lab.status_code == 200 and lab.json()["execution"] == "RunBuild", lab.text
            assert await eventually(lambda: redeployed_to("1.0.3"), 300), "the GitLab push did not redeploy"
            deploys_before = len(
                [u for u in await updates_of(client, "Deployment", follows_id) if u["operation"] == "Deploy"]
            )

            # A build that fails redeploys nothing and says so with BuildFailed.
            git_server.push_commit(f"team/{name}", {"Dockerfile": f"FROM {IMAGE}\nRUN exit 3\n"}, "break it")
            broken = await http.post(
                f"/listener/github/build/{name}", content=body, headers=github(CORE_SECRET, body)
            )
            failed = await finished(
                client, {"_id": {"$oid": broken.json()["update_id"]}, "operation": "RunBuild"}, 240
            )
            assert failed["success"] is False
            event = json.loads((await failures.next_msg(timeout=20)).data)
            assert event["update_id"] == broken.json()["update_id"] and event["name"] == name
            assert event["resource"]["id"] == build_id
        deploys_after = [
            u for u in await updates_of(client, "Deployment", follows_id) if u["operation"] == "Deploy"
        ]
        assert len(deploys_after) == deploys_before and version_in(follows) == "1.0.3"

        # The same event delivered twice (a replica died before acking it) starts one Deploy.
        again = BuildFinished(
            update_id=first["_id"]["$oid"],
            success=True,
            build_version=Version(major=1, minor=0, patch=3),
            resource=ResourceTarget(type=ResourceTargetVariant.Build, id=build_id),
        )
        started = await redeploy(executor, again)
        assert len(started) == 1 and await redeploy(executor, again) == started
        await finished(client, {"_id": {"$oid": started[0]}, "operation": "Deploy"}, 60)
        assert await redeploy(executor, again) == started
        deploys = [
            u for u in await updates_of(client, "Deployment", follows_id) if u["operation"] == "Deploy"
        ]
        assert len(deploys) == deploys_before + 1
    finally:
        await nc.close()
        await agent.stop()
        remove(follows, stays)
