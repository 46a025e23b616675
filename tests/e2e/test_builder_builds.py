"""RunBuild through the builder: a UI-defined Dockerfile built on the Server builder's agent, version bumped."""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path
from typing import Any

from services.builder.app import Builder
from tests.e2e.conftest import BusClient
from tests.e2e.helpers import IMAGE, eventually, finished
from tests.e2e.test_builder_repos import repo_agent


def has_image(reference: str) -> bool:
    """Whether the local Docker has an image of that reference."""
    found = subprocess.run(["docker", "image", "inspect", reference], capture_output=True, check=False)
    return found.returncode == 0


def remove_images(*references: str) -> None:
    subprocess.run(["docker", "image", "rm", "-f", *references], capture_output=True, check=False)


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
        started = await client.ok("execute", "RunBuild", {"build": image})
        assert started["operation"] == "RunBuild"
        done = await finished(client, started, 240)
        assert done["success"] is True, json.dumps(done["logs"], indent=1)
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
