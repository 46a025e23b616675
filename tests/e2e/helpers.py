"""Helpers the end-to-end tests share: waiting for a condition or an Update, agents, images and stacks."""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import aiodocker
import httpx

from contracts.entities.agent import AgentContainer, AgentStatus, DockerLists, PollStatusResponse
from contracts.entities.docker import (
    ComposeProject,
    ContainerStateStatusEnum,
    NetworkListItem,
    VolumeListItem,
)
from contracts.entities.system import PeripheryInformation, SingleDiskUsage, SystemInformation, SystemStats
from services.agent.app import Agent
from services.agent.heartbeat import status_digest
from services.agent.settings import AgentConfig
from services.common.settings import Settings
from services.gateway.webhooks.verify import github_signature
from tests.conftest import DockerRegistry
from tests.e2e.conftest import BusClient
from tests.git_server import GitServer

IMAGE = "local/busybox:1"
"""The image every test container runs: built locally by `./run test-env` (nothing is pulled here)."""


def start_agent(
    nats_url: str, server_id: str, stack_dir: Path | None = None, interval: str = "1-sec"
) -> Agent:
    """An agent for `server_id` that reports every `interval` (not started); stacks under `stack_dir` if given."""
    settings = Settings(nats_url=nats_url, monitoring_interval=interval)
    if stack_dir is None:
        return Agent(AgentConfig(settings=settings, server_id=server_id))
    return Agent(AgentConfig(settings=settings, server_id=server_id, stack_dir=stack_dir))


async def eventually(check: Any, seconds: float = 10.0) -> Any:
    """Poll `check()` every 0.1 s until it is truthy or `seconds` pass; its last result."""
    deadline = time.monotonic() + seconds
    while True:
        result = await check()
        if result or time.monotonic() > deadline:
            return result
        await asyncio.sleep(0.1)


async def write_behind(registry: Any, collection: str, match: dict[str, Any], update: dict[str, Any]) -> None:
    """Change a registry document straight in MongoDB, as older data or a hand edit would, then drop the
    registry's kept reads of that collection (a restart does the same; otherwise they show it within 5 s)."""
    await registry.db[collection].update_one(match, update)
    registry.read_cache.drop(collection)


async def finished(client: BusClient, update: dict[str, Any], seconds: float = 30.0) -> dict[str, Any]:
    """Wait for `update` to be Complete and answer it (the test fails when it is not within `seconds`)."""

    async def done() -> dict[str, Any] | None:
        got = await client.read("GetUpdate", {"id": update["_id"]["$oid"]})
        return got if got["status"] == "Complete" else None

    result = await eventually(done, seconds)
    assert result is not None, f"{update['operation']} did not finish"
    return result


async def _is(value: Any, expected: str) -> bool:
    """Whether the awaitable `value` gives `expected` (for `eventually(lambda: _is(...))`)."""
    return await value == expected


async def fetch(port: int) -> str:
    """The body served on 127.0.0.1:`port`, or "" when nothing answers."""
    try:
        async with httpx.AsyncClient(timeout=2) as http:
            return (await http.get(f"http://127.0.0.1:{port}/")).text.strip()
    except httpx.HTTPError:
        return ""


async def remove_containers(docker: aiodocker.Docker, *names: str) -> None:
    """Remove the containers of these names that exist (a test's leftovers, whatever state it ended in)."""
    for name in names:
        with contextlib.suppress(aiodocker.DockerError):
            await (await docker.containers.get(name)).delete(force=True)


async def forget(docker: aiodocker.Docker, image: str) -> None:
    """Remove the test's tag, and the digest references its pushes left on the shared local image."""
    with contextlib.suppress(aiodocker.DockerError):
        await docker.images.delete(image, force=True)
    repository = image.rsplit(":", 1)[0]
    with contextlib.suppress(aiodocker.DockerError):
        for entry in (await docker.images.inspect(IMAGE)).get("RepoDigests") or []:
            if entry.startswith(f"{repository}@"):
                await docker.images.delete(entry)


async def push_changed(
    docker: aiodocker.Docker, docker_registry: DockerRegistry, repository: str, builder: str
) -> str:
    """Push another image (a file changed) to `repository:latest`; its id."""
    made = await docker.containers.create_or_replace(
        builder, {"Image": IMAGE, "Cmd": ["sh", "-c", f"echo {uuid.uuid4().hex} > /version"]}
    )
    await made.start()
    await made.wait()
    await made.commit(repository=repository, tag="latest")
    await docker.images.push(repository, tag="latest", auth=docker_registry.push_auth)
    return str((await docker.images.inspect(f"{repository}:latest"))["Id"])


def down(project: str) -> None:
    """`docker compose down` of a test's project, orphans and all."""
    subprocess.run(
        ["docker", "compose", "-p", project, "down", "--remove-orphans", "-t", "0"],
        capture_output=True,
        timeout=120,
        check=False,
    )


async def stack_state(client: BusClient, name: str) -> str:
    """The state ListStacks shows for stack `name` ("" when it is not listed)."""
    listed = await client.read("ListStacks", {})
    return next((s["info"]["state"] for s in listed if s["name"] == name), "")


async def git_stack_config(client: BusClient, git_server: GitServer, repo: str) -> dict[str, Any]:
    """Add the git server's account and answer the config of a stack on server `dock` from `repo` (files in
    `deploy/`, nothing pulled from a registry)."""
    domain = git_server.base_url.removeprefix("http://")
    account = {"domain": domain, "https": False, "username": git_server.username, "token": git_server.token}
    await client.write("CreateGitProviderAccount", {"account": account})
    return {
        "server_id": "dock",
        "git_provider": domain,
        "git_https": False,
        "git_account": git_server.username,
        "repo": repo,
        "run_directory": "deploy",
        "auto_pull": False,
    }


def push(branch: str = "main") -> bytes:
    """A push event as GitHub sends it (the fields Komodo reads, and some it does not)."""
    after = uuid.uuid4().hex + uuid.uuid4().hex[:8]
    body = {
        "ref": f"refs/heads/{branch}",
        "before": "0" * 40,
        "after": after,
        "repository": {"id": 1, "name": "app", "full_name": "acme/app", "default_branch": "main"},
        "pusher": {"name": "octocat", "email": "octocat@example.com"},
        "commits": [
            {"id": after, "message": "change", "added": [], "removed": [], "modified": ["compose.yaml"]}
        ],
        "head_commit": {"id": after, "message": "change"},
    }
    return json.dumps(body).encode()


def github(secret: str, body: bytes, event: str = "push") -> dict[str, str]:
    """The headers GitHub sends with `body` signed with `secret`."""
    return {
        "content-type": "application/json",
        "x-github-event": event,
        "x-github-delivery": str(uuid.uuid4()),
        "x-hub-signature-256": github_signature(secret, body),
    }


def repo_agent(
    nats_url: str, server_id: str, tmp_path: Path, host_directories: tuple[Path, ...] = ()
) -> Agent:
    """An agent for `server_id` whose repositories go under `tmp_path/repos` (and that allows the folders
    `host_directories` besides)."""
    settings = Settings(nats_url=nats_url, monitoring_interval="1-sec")
    config = AgentConfig(
        settings=settings, server_id=server_id, repo_dir=tmp_path / "repos", host_directories=host_directories
    )
    return Agent(config)


def has_image(reference: str) -> bool:
    """Whether the local Docker has an image of that reference."""
    found = subprocess.run(["docker", "image", "inspect", reference], capture_output=True, check=False)
    return found.returncode == 0


def remove_images(*references: str) -> None:
    """Remove those images from the local Docker (those missing are skipped)."""
    subprocess.run(["docker", "image", "rm", "-f", *references], capture_output=True, check=False)


async def repo_config(client: BusClient, server: GitServer, repo: str, token: str) -> dict[str, Any]:
    """Store the git server's account (with `token`) and answer the config of a repo on server `dock`."""
    domain = server.base_url.removeprefix("http://")
    account = {"domain": domain, "https": False, "username": server.username, "token": token}
    await client.write("CreateGitProviderAccount", {"account": account})
    return {
        "server_id": "dock",
        "git_provider": domain,
        "git_https": False,
        "git_account": server.username,
        "repo": repo,
        "environment": "GREETING=[[GREETING]]\nPASSWORD=[[DB_PASSWORD]]",
        "on_clone": {"path": ".", "command": "cat .env > cloned.txt"},
        "on_pull": {"path": ".", "command": "echo pulled [[DB_PASSWORD]]"},
    }


def heartbeat(
    server_id: str, containers: int = 3, interval_ms: int = 1000, ts: int | None = None
) -> AgentStatus:
    """A full agent status of `containers` containers, with its lists' digest, as an agent publishes it."""
    items = [
        AgentContainer(
            name=f"app-{i}",
            id=f"{i:064x}",
            image="local/busybox:1",
            state=ContainerStateStatusEnum.Running if i % 3 else ContainerStateStatusEnum.Exited,
            labels={"com.docker.compose.project": "shop"} if i == 1 else {},
        )
        for i in range(containers)
    ]
    poll = PollStatusResponse(
        periphery_info=PeripheryInformation(version="0.1.0", docker_connected=True),
        system_info=SystemInformation(name="Debian", core_count=2, logical_core_count=4, host_name="h1"),
        system_stats=SystemStats(
            cpu_perc=12.5,
            mem_used_gb=1.5,
            mem_total_gb=8.0,
            disks=[SingleDiskUsage(mount="/", used_gb=10.0, total_gb=100.0)],
        ),
        docker=DockerLists(
            containers=items,
            networks=[NetworkListItem(name="bridge")],
            volumes=[VolumeListItem(name="data")],
            projects=[ComposeProject(name="shop", status="running(1)")],
        ),
    )
    return AgentStatus(
        server_id=server_id,
        ts=int(time.time() * 1000) if ts is None else ts,
        interval_ms=interval_ms,
        status=poll,
        digest=status_digest(poll),
    )
