"""RunBuild through the builder: a UI-defined Dockerfile built on the Server builder's agent, version bumped."""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path
from typing import Any

import httpx
import nats
from nats.js.api import ConsumerConfig, DeliverPolicy

from contracts.api.internal.update import is_progress_stage
from contracts.events.execution import BuildFinished
from contracts.service_users import GIT_WEBHOOK_USER_ID
from services.builder.app import Builder
from tests.conftest import DockerRegistry
from tests.e2e.conftest import CORE_SECRET, BusClient
from tests.e2e.helpers import IMAGE, eventually, finished, github, has_image, push, remove_images, repo_agent
from tests.git_server import GitServer, git_server  # noqa: F401


async def test_run_build_builds_a_ui_dockerfile_on_the_builder_server(
    registry: Any,
    executor: Any,
    builder: Builder,
    client: BusClient,
    nats_url: str,
    docker_available: Any,
    tmp_path: Path,
) -> None:
    image = f"e2e-build-{uuid.uuid4().hex[:6]}"
    server = await client.write("CreateServer", {"name": "build-host", "config": {"enabled": True}})
    await client.write(
        "CreateBuilder",
        {"name": "builders", "config": {"type": "Server", "params": {"server_ids": ["build-host"]}}},
    )
    dockerfile = f"FROM {IMAGE}\nARG VERSION\nRUN echo built-$VERSION > /version\n"
    config = {"builder_id": "builders", "dockerfile": dockerfile, "version": "1.4.2", "image_name": image}
    await client.write("CreateBuild", {"name": image, "config": config})
    agent = repo_agent(nats_url, server["_id"]["$oid"], tmp_path)
    await agent.start()
    tags = [f"{image}:latest", f"{image}:1.4.3", f"{image}:1.4", f"{image}:1"]
    try:

        async def server_ok() -> bool:
            servers = await client.read("ListServers", {})
            return any(s["name"] == "build-host" and s["info"]["state"] == "Ok" for s in servers)

        assert await eventually(server_ok, 20)
        nc = await nats.connect(nats_url)
        events = await nc.jetstream().subscribe(
            BuildFinished.SUBJECT,
            ordered_consumer=True,
            config=ConsumerConfig(deliver_policy=DeliverPolicy.NEW),
        )
        started = await client.ok("execute", "RunBuild", {"build": image})
        assert started["operation"] == "RunBuild"
        done = await finished(client, started, 240)
        assert done["success"] is True, json.dumps(done["logs"], indent=1)
        # What redeploy_on_build and the alerter follow: the run's end, delivered through the builder's outbox.
        event = json.loads((await events.next_msg(timeout=10)).data)
        await nc.close()
        assert (event["update_id"], event["success"]) == (started["_id"]["$oid"], True)
        assert event["build_version"] == {"major": 1, "minor": 4, "patch": 3}
        build_id = (await client.read("GetBuild", {"build": image}))["_id"]["$oid"]
        assert (event["resource"]["type"], event["resource"]["id"]) == ("Build", build_id)
        assert done["version"] == {"major": 1, "minor": 4, "patch": 3}
        assert all(has_image(tag) for tag in tags), tags
        version = subprocess.run(
            ["docker", "run", "--rm", f"{image}:1.4.3", "cat", "/version"],
            capture_output=True,
            text=True,
            check=True,
        )
        assert version.stdout.strip() == "built-1.4.3"
        stored = await client.read("GetBuild", {"build": image})
        assert stored["config"]["version"] == {"major": 1, "minor": 4, "patch": 3}
        assert stored["info"]["last_built_at"] > 0
        listed = await client.read("ListBuilds", {})
        assert [b["info"]["state"] for b in listed if b["name"] == image] == ["Ok"]
        versions = await client.read("ListBuildVersions", {"build": image})
        assert [v["version"] for v in versions] == [{"major": 1, "minor": 4, "patch": 3}]
        assert await client.read("ListBuildVersions", {"build": image, "minor": 5}) == []
        stats = await client.read("GetBuildMonthlyStats", {})
        assert stats["total_count"] == 1 and len(stats["days"]) == 30 and stats["days"][-1]["count"] == 1
    finally:
        await agent.stop()
        remove_images(*tags)


async def test_a_builder_whose_servers_are_down_fails_the_build_at_once(
    registry: Any, builder: Builder, client: BusClient
) -> None:
    await client.write("CreateServer", {"name": "down-host", "config": {"enabled": True}})
    await client.write(
        "CreateBuilder",
        {"name": "down-builders", "config": {"type": "Server", "params": {"server_ids": ["down-host"]}}},
    )
    config = {"builder_id": "down-builders", "dockerfile": f"FROM {IMAGE}\n"}
    await client.write("CreateBuild", {"name": "never-built", "config": config})

    done = await finished(client, await client.ok("execute", "RunBuild", {"build": "never-built"}), 20)

    assert done["success"] is False
    assert "none of its servers is Ok: down-host" in json.dumps(done["logs"]), done["logs"]
    stored = await client.read("GetBuild", {"build": "never-built"})
    assert stored["config"]["version"] == {"major": 0, "minor": 0, "patch": 0}
    assert (
        await client.read("ListBuildVersions", {"build": "never-built"}) == []
    )  # failed runs are no versions
    listed = await client.read("ListBuilds", {})
    assert [b["info"]["state"] for b in listed if b["name"] == "never-built"] == ["Failed"]


async def test_run_build_from_git_pushes_every_tag_to_the_registry(
    registry: Any,
    executor: Any,
    builder: Builder,
    client: BusClient,
    nats_url: str,
    docker_available: Any,
    docker_registry: DockerRegistry,
    tmp_path: Path,
    git_server: GitServer,  # noqa: F811
) -> None:
    name = f"e2e-gitbuild-{uuid.uuid4().hex[:6]}"
    (git_server.root / "team").mkdir(exist_ok=True)
    dockerfile = f"FROM {IMAGE}\nARG VERSION\nCOPY hello.txt /hello.txt\nCOPY made.txt /made.txt\n"
    commit = git_server.create_repo(f"team/{name}", {"app/Dockerfile": dockerfile, "app/hello.txt": "hi\n"})
    server = await client.write("CreateServer", {"name": "build-host", "config": {"enabled": True}})
    await client.write(
        "CreateBuilder",
        {"name": "builders", "config": {"type": "Server", "params": {"server_ids": ["build-host"]}}},
    )
    await client.write("CreateImageRegistryAccount", docker_registry.account)
    domain = git_server.base_url.removeprefix("http://")
    account = {"domain": domain, "https": False, "username": git_server.username, "token": git_server.token}
    await client.write("CreateGitProviderAccount", {"account": account})
    config = {
        "builder_id": "builders",
        "git_provider": domain,
        "git_https": False,
        "git_account": git_server.username,
        "repo": f"team/{name}",
        "build_path": "app",
        "version": "0.1.0",
        "image_tag": "amd64",
        "pre_build": {"path": "app", "command": "echo pre-build-ran > made.txt"},
        "image_registry": [
            {"domain": docker_registry.address, "account": docker_registry.username, "organization": "e2e"}
        ],
    }
    await client.write("CreateBuild", {"name": name, "config": config})
    agent = repo_agent(nats_url, server["_id"]["$oid"], tmp_path)
    await agent.start()
    short = commit[:7]
    wanted = {"latest-amd64", "0.1.1-amd64", "0.1-amd64", "0-amd64", f"{short}-amd64", "amd64"}
    repository = f"{docker_registry.address}/e2e/{name}"
    try:

        async def server_ok() -> bool:
            servers = await client.read("ListServers", {})
            return any(s["name"] == "build-host" and s["info"]["state"] == "Ok" for s in servers)

        assert await eventually(server_ok, 20)
        done = await finished(client, await client.ok("execute", "RunBuild", {"build": name}), 240)
        assert done["success"] is True, json.dumps(done["logs"], indent=1)
        text = json.dumps(done)
        assert git_server.token not in text and docker_registry.password not in text
        async with httpx.AsyncClient(auth=(docker_registry.username, docker_registry.password)) as http:
            listed = await http.get(f"http://{docker_registry.address}/v2/e2e/{name}/tags/list")
        assert set(listed.json()["tags"]) == wanted, listed.text
        remove_images(*(f"{repository}:{tag}" for tag in wanted))
        pulled = subprocess.run(
            ["docker", "run", "--rm", f"{repository}:0.1.1-amd64", "cat", "/made.txt"],
            capture_output=True,
            text=True,
            check=False,
        )
        # The registry needs a login to pull: a pull without one is refused (positive control for the push).
        assert pulled.returncode != 0
        docker_config = str(tmp_path / "docker-config")
        subprocess.run(
            [
                "docker",
                "--config",
                docker_config,
                "login",
                "-u",
                docker_registry.username,
                "--password-stdin",
                docker_registry.address,
            ],
            input=docker_registry.password,
            capture_output=True,
            text=True,
            check=True,
        )
        pulled = subprocess.run(
            [
                "docker",
                "--config",
                docker_config,
                "run",
                "--rm",
                f"{repository}:0.1.1-amd64",
                "cat",
                "/made.txt",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        assert pulled.stdout.strip() == "pre-build-ran", pulled.stderr
        stored = await client.read("GetBuild", {"build": name})
        assert stored["info"]["built_hash"] == short
        assert stored["config"]["version"] == {"major": 0, "minor": 1, "patch": 1}
    finally:
        await agent.stop()
        remove_images(*(f"{repository}:{tag}" for tag in wanted))


async def test_cancel_build_stops_a_running_build(
    registry: Any,
    executor: Any,
    builder: Builder,
    client: BusClient,
    nats_url: str,
    docker_available: Any,
    tmp_path: Path,
) -> None:
    image = f"e2e-cancel-{uuid.uuid4().hex[:6]}"
    server = await client.write("CreateServer", {"name": "build-host", "config": {"enabled": True}})
    await client.write(
        "CreateBuilder",
        {"name": "builders", "config": {"type": "Server", "params": {"server_ids": ["build-host"]}}},
    )
    dockerfile = f"FROM {IMAGE}\nRUN echo {image} && sleep 600\n"
    await client.write(
        "CreateBuild", {"name": image, "config": {"builder_id": "builders", "dockerfile": dockerfile}}
    )
    agent = repo_agent(nats_url, server["_id"]["$oid"], tmp_path)
    await agent.start()
    try:

        async def server_ok() -> bool:
            servers = await client.read("ListServers", {})
            return any(s["name"] == "build-host" and s["info"]["state"] == "Ok" for s in servers)

        assert await eventually(server_ok, 20)
        started = await client.ok("execute", "RunBuild", {"build": image})
        assert (await client.read("GetBuildActionState", {"build": image}))["building"] is True

        async def progress_shown() -> bool:
            update = await client.read("GetUpdate", {"id": started["_id"]["$oid"]})
            shown = [log for log in update["logs"] if log["stage"].startswith("Build (progress")]
            return update["status"] == "InProgress" and any(image in log["stdout"] for log in shown)

        assert await eventually(progress_shown, 60), "the build's output shows in the Update while it runs"

        async def cancelled() -> bool:
            # The agent knows the build only once it started it: cancel until a cancel finds it.
            done = await finished(client, await client.ok("execute", "CancelBuild", {"build": image}), 20)
            return "the running build was cancelled" in json.dumps(done["logs"])

        assert await eventually(cancelled, 60)
        run = await finished(client, started, 60)
        assert run["success"] is False
        # The progress logs shown while it ran gave way to the complete ones: the output is there once.
        assert not [log["stage"] for log in run["logs"] if is_progress_stage(log["stage"])]
        assert image in "".join(log["stdout"] for log in run["logs"] if log["stage"] == "Build"), run["logs"]
        assert not has_image(f"{image}:latest")
        assert (await client.read("GetBuildActionState", {"build": image}))["building"] is False
    finally:
        await agent.stop()


async def test_run_build_from_a_linked_repo(
    registry: Any,
    executor: Any,
    builder: Builder,
    client: BusClient,
    nats_url: str,
    docker_available: Any,
    tmp_path: Path,
    git_server: GitServer,  # noqa: F811
) -> None:
    name = f"e2e-linked-{uuid.uuid4().hex[:6]}"
    (git_server.root / "team").mkdir(exist_ok=True)
    dockerfile = f"FROM {IMAGE}\nCOPY hello.txt /hello.txt\n"
    commit = git_server.create_repo(f"team/{name}", {"Dockerfile": dockerfile, "hello.txt": "linked\n"})
    server = await client.write("CreateServer", {"name": "build-host", "config": {"enabled": True}})
    await client.write(
        "CreateBuilder",
        {"name": "builders", "config": {"type": "Server", "params": {"server_ids": ["build-host"]}}},
    )
    domain = git_server.base_url.removeprefix("http://")
    account = {"domain": domain, "https": False, "username": git_server.username, "token": git_server.token}
    await client.write("CreateGitProviderAccount", {"account": account})
    repo_config = {"git_provider": domain, "git_https": False, "git_account": git_server.username}
    await client.write(
        "CreateRepo", {"name": f"{name}-src", "config": {**repo_config, "repo": f"team/{name}"}}
    )
    config = {"builder_id": "builders", "linked_repo": f"{name}-src", "include_version_tags": False}
    await client.write("CreateBuild", {"name": name, "config": config})
    agent = repo_agent(nats_url, server["_id"]["$oid"], tmp_path)
    await agent.start()
    tags = [f"{name}:latest", f"{name}:{commit[:7]}"]
    try:

        async def server_ok() -> bool:
            servers = await client.read("ListServers", {})
            return any(s["name"] == "build-host" and s["info"]["state"] == "Ok" for s in servers)

        assert await eventually(server_ok, 20)
        done = await finished(client, await client.ok("execute", "RunBuild", {"build": name}), 240)
        assert done["success"] is True, json.dumps(done["logs"], indent=1)
        assert all(has_image(tag) for tag in tags), tags
        assert git_server.token not in json.dumps(done)
    finally:
        await agent.stop()
        remove_images(*tags)


async def test_a_second_push_cancels_the_running_build_and_builds_again(
    registry: Any,
    executor: Any,
    builder: Builder,
    client: BusClient,
    nats_url: str,
    docker_available: Any,
    tmp_path: Path,
    webhook_url: str,
) -> None:
    image = f"e2e-rebuild-{uuid.uuid4().hex[:6]}"
    server = await client.write("CreateServer", {"name": "build-host", "config": {"enabled": True}})
    await client.write(
        "CreateBuilder",
        {"name": "builders", "config": {"type": "Server", "params": {"server_ids": ["build-host"]}}},
    )
    dockerfile = f"FROM {IMAGE}\nARG VERSION\nRUN echo {image}-$VERSION && sleep 600\n"
    config = {"builder_id": "builders", "dockerfile": dockerfile, "version": "0.1.0"}
    await client.write("CreateBuild", {"name": image, "config": config})
    agent = repo_agent(nats_url, server["_id"]["$oid"], tmp_path)
    await agent.start()
    second_id = ""
    try:

        async def server_ok() -> bool:
            servers = await client.read("ListServers", {})
            return any(s["name"] == "build-host" and s["info"]["state"] == "Ok" for s in servers)

        assert await eventually(server_ok, 20)

        async def hook() -> dict[str, Any]:
            body = push("main")
            async with httpx.AsyncClient(base_url=webhook_url, timeout=30) as http:
                answer = await http.post(
                    f"/listener/github/build/{image}", content=body, headers=github(CORE_SECRET, body)
                )
            assert answer.status_code == 200, answer.text
            return dict(answer.json())

        first = await hook()
        assert first["update_id"], first

        async def shows(update_id: str, text: str) -> bool:
            update = await client.read("GetUpdate", {"id": update_id})
            shown = [log["stdout"] for log in update["logs"] if log["stage"].startswith("Build (progress")]
            return update["status"] == "InProgress" and any(text in out for out in shown)

        # positive control: the first build runs (its step sleeps for 10 minutes)
        assert await eventually(lambda: shows(first["update_id"], f"{image}-0.1.1"), 60)
        second = await hook()
        assert second["update_id"] is None and "cancelled" in second["message"], second

        done = await finished(client, {"_id": {"$oid": first["update_id"]}}, 60)
        assert done["success"] is False and done["operator"] == GIT_WEBHOOK_USER_ID

        async def rebuilt() -> str:
            updates = await client.read("ListUpdates", {"query": {"operation": "RunBuild"}})
            others = [u["id"] for u in updates["updates"] if u["id"] != first["update_id"]]
            return others[0] if others else ""

        second_id = await eventually(rebuilt, 60)
        assert second_id, "a second build was started"
        again = await client.read("GetUpdate", {"id": second_id})
        # Never two builds at once: the second started after the first had ended.
        assert again["start_ts"] >= done["end_ts"], (again["start_ts"], done["end_ts"])
        assert again["operator"] == GIT_WEBHOOK_USER_ID
        assert await eventually(lambda: shows(second_id, image), 60), "the second build runs"
        cancels = await client.read("ListUpdates", {"query": {"operation": "CancelBuild"}})
        assert len(cancels["updates"]) == 1, cancels
    finally:
        if second_id:

            async def cancelled() -> bool:
                done = await finished(client, await client.ok("execute", "CancelBuild", {"build": image}), 20)
                return "the running build was cancelled" in json.dumps(done["logs"])

            await eventually(cancelled, 30)
            await finished(client, {"_id": {"$oid": second_id}}, 60)
        await agent.stop()
