"""CloneRepo and PullRepo through the builder, on a real agent, from the test git server with token auth."""

from __future__ import annotations

import asyncio
import json
import subprocess
import uuid
from pathlib import Path
from typing import Any

import httpx

from contracts.service_users import GIT_WEBHOOK_USER_ID
from services.builder.app import Builder
from tests.e2e.conftest import CORE_SECRET, BusClient
from tests.e2e.helpers import eventually, finished, github, push, repo_agent, repo_config
from tests.git_server import GitServer, git_server  # noqa: F401


async def test_a_repo_is_cloned_then_pulled_with_info_and_no_token(
    registry: Any,
    builder: Builder,
    client: BusClient,
    nats_url: str,
    docker_available: Any,
    tmp_path: Path,
    git_server: GitServer,  # noqa: F811
) -> None:
    name = f"e2e-repo-{uuid.uuid4().hex[:6]}"
    (git_server.root / "team").mkdir(exist_ok=True)
    first = git_server.create_repo(f"team/{name}", {"README.md": "one\n"})
    server = await client.write("CreateServer", {"name": "dock", "config": {"enabled": True}})
    await client.write("CreateVariable", {"name": "GREETING", "value": "hello"})
    await client.write("CreateVariable", {"name": "DB_PASSWORD", "value": "s3cr3t-pw", "is_secret": True})
    config = await repo_config(client, git_server, f"team/{name}", git_server.token)
    await client.write("CreateRepo", {"name": name, "config": config})
    agent = repo_agent(nats_url, server["_id"]["$oid"], tmp_path)
    await agent.start()
    try:
        cloned = await finished(client, await client.ok("execute", "CloneRepo", {"repo": name}), 60)
        assert cloned["success"] is True, json.dumps(cloned["logs"], indent=1)
        assert cloned["operation"] == "CloneRepo"
        assert (tmp_path / "repos" / name / "README.md").read_text() == "one\n"
        assert "PASSWORD=s3cr3t-pw" in (tmp_path / "repos" / name / "cloned.txt").read_text()
        repo = await client.read("GetRepo", {"repo": name})
        assert repo["info"]["latest_hash"] == first[:8] or first.startswith(repo["info"]["latest_hash"])
        assert repo["info"]["last_pulled_at"] > 0

        second = git_server.push_commit(f"team/{name}", {"README.md": "two\n"}, "second commit")
        pulled = await finished(client, await client.ok("execute", "PullRepo", {"repo": name}), 60)
        assert pulled["success"] is True, json.dumps(pulled["logs"], indent=1)
        assert (tmp_path / "repos" / name / "README.md").read_text() == "two\n"
        repo = await client.read("GetRepo", {"repo": name})
        assert second.startswith(repo["info"]["latest_hash"])
        assert repo["info"]["latest_message"] == "second commit"
        for update in (cloned, pulled):
            text = json.dumps(update)
            assert git_server.token not in text
            assert "s3cr3t-pw" not in text
        # positive control: the secret was in the command, and shows redacted
        assert "echo pulled <redacted>" in json.dumps(pulled)
        state = await client.read("GetRepoActionState", {"repo": name})
        assert state == {"cloning": False, "pulling": False, "building": False, "renaming": False}
        listed = await client.read("ListRepos", {})
        assert [item["info"]["state"] for item in listed if item["name"] == name] == ["Ok"]
        assert (await client.read("GetReposSummary", {}))["ok"] >= 1
    finally:
        await agent.stop()


async def test_a_bad_token_fails_clearly_without_the_token(
    registry: Any,
    builder: Builder,
    client: BusClient,
    nats_url: str,
    docker_available: Any,
    tmp_path: Path,
    git_server: GitServer,  # noqa: F811
) -> None:
    name = f"e2e-badrepo-{uuid.uuid4().hex[:6]}"
    (git_server.root / "team").mkdir(exist_ok=True)
    git_server.create_repo(f"team/{name}", {"README.md": "one\n"})
    server = await client.write("CreateServer", {"name": "dock", "config": {"enabled": True}})
    bad_token = "wrong-token-" + uuid.uuid4().hex
    config = await repo_config(client, git_server, f"team/{name}", bad_token)
    config["environment"], config["on_pull"] = "", {}
    await client.write("CreateRepo", {"name": name, "config": config})
    agent = repo_agent(nats_url, server["_id"]["$oid"], tmp_path)
    await agent.start()
    try:
        cloned = await finished(client, await client.ok("execute", "CloneRepo", {"repo": name}), 60)
        assert cloned["success"] is False
        text = json.dumps(cloned)
        assert bad_token not in text
        failed = [log for log in cloned["logs"] if not log["success"]]
        assert failed, text
        assert any(
            word in (failed[-1]["stderr"] + failed[-1]["stdout"]).lower()
            for word in ("auth", "401", "denied")
        ), text
        assert await eventually(lambda: _idle(client, name)), "the lease of a finished clone must be released"
    finally:
        await agent.stop()


async def _idle(client: BusClient, name: str) -> bool:
    state = await client.read("GetRepoActionState", {"repo": name})
    return state["cloning"] is False


async def test_refresh_repo_cache_reads_the_remote_head(
    registry: Any,
    builder: Builder,
    client: BusClient,
    git_server: GitServer,  # noqa: F811
) -> None:
    name = f"e2e-refresh-{uuid.uuid4().hex[:6]}"
    (git_server.root / "team").mkdir(exist_ok=True)
    git_server.create_repo(f"team/{name}", {"README.md": "one\n"})
    config = await repo_config(client, git_server, f"team/{name}", git_server.token)
    config["server_id"] = ""  # the builder reads the remote itself: no server needed
    await client.write("CreateRepo", {"name": name, "config": config})
    second = git_server.push_commit(f"team/{name}", {"README.md": "two\n"}, "the newest commit")

    assert await client.write("RefreshRepoCache", {"repo": name}) == {}

    info = (await client.read("GetRepo", {"repo": name}))["info"]
    assert (info["latest_hash"], info["latest_message"]) == (second, "the newest commit")
    await client.write(
        "UpdateGitProviderAccount", {"id": await _account_id(client), "account": {"token": "bad"}}
    )
    answer = await client.send("write", "RefreshRepoCache", {"repo": name})
    assert answer.status == 400, answer.body
    assert "could not read" in json.dumps(answer.body)
    assert "bad" not in json.dumps(answer.body).replace("bad request", "")


async def _account_id(client: BusClient) -> str:
    accounts = await client.read("ListGitProviderAccounts", {})
    return str(accounts[0]["_id"]["$oid"])


async def test_build_repo_clones_on_a_server_of_the_repos_builder(
    registry: Any,
    executor: Any,
    builder: Builder,
    client: BusClient,
    nats_url: str,
    docker_available: Any,
    tmp_path: Path,
    git_server: GitServer,  # noqa: F811
) -> None:
    name = f"e2e-buildrepo-{uuid.uuid4().hex[:6]}"
    (git_server.root / "team").mkdir(exist_ok=True)
    commit = git_server.create_repo(f"team/{name}", {"README.md": "one\n"})
    server = await client.write("CreateServer", {"name": "build-host", "config": {"enabled": True}})
    await client.write(
        "CreateBuilder",
        {"name": "builders", "config": {"type": "Server", "params": {"server_ids": ["build-host"]}}},
    )
    await client.write("CreateVariable", {"name": "GREETING", "value": "hello"})
    await client.write("CreateVariable", {"name": "DB_PASSWORD", "value": "s3cr3t-pw", "is_secret": True})
    config = await repo_config(client, git_server, f"team/{name}", git_server.token)
    config |= {"server_id": "", "builder_id": "builders"}
    await client.write("CreateRepo", {"name": name, "config": config})
    agent = repo_agent(nats_url, server["_id"]["$oid"], tmp_path)
    await agent.start()
    try:

        async def server_ok() -> bool:
            servers = await client.read("ListServers", {})
            return any(s["name"] == "build-host" and s["info"]["state"] == "Ok" for s in servers)

        assert await eventually(server_ok, 20)
        done = await finished(client, await client.ok("execute", "BuildRepo", {"repo": name}), 60)
        assert done["success"] is True, json.dumps(done["logs"], indent=1)
        assert "PASSWORD=s3cr3t-pw" in (tmp_path / "repos" / name / "cloned.txt").read_text()
        info = (await client.read("GetRepo", {"repo": name}))["info"]
        assert info["built_hash"] == commit and info["last_built_at"] > 0
        assert git_server.token not in json.dumps(done) and "s3cr3t-pw" not in json.dumps(done)
        batch = await client.ok("execute", "BatchBuildRepo", {"pattern": "e2e-buildrepo-*"})
        assert [item["status"] for item in batch] == ["Ok"], batch
        await finished(client, batch[0]["data"], 60)
    finally:
        await agent.stop()


async def test_cancel_repo_build_stops_the_running_on_clone_and_removes_the_folder(
    registry: Any,
    executor: Any,
    builder: Builder,
    client: BusClient,
    nats_url: str,
    docker_available: Any,
    tmp_path: Path,
    git_server: GitServer,  # noqa: F811
) -> None:
    name = f"e2e-cancelrepo-{uuid.uuid4().hex[:6]}"
    (git_server.root / "team").mkdir(exist_ok=True)
    git_server.create_repo(f"team/{name}", {"README.md": "one\n"})
    server = await client.write("CreateServer", {"name": "build-host", "config": {"enabled": True}})
    await client.write(
        "CreateBuilder",
        {"name": "builders", "config": {"type": "Server", "params": {"server_ids": ["build-host"]}}},
    )
    config = await repo_config(client, git_server, f"team/{name}", git_server.token)
    on_clone = {"path": ".", "command": "echo started > started.txt\nsleep 1193"}
    config |= {
        "server_id": "",
        "builder_id": "builders",
        "environment": "",
        "on_clone": on_clone,
        "on_pull": {},
    }
    await client.write("CreateRepo", {"name": name, "config": config})
    agent = repo_agent(nats_url, server["_id"]["$oid"], tmp_path)
    await agent.start()
    folder = tmp_path / "repos" / name
    try:

        async def server_ok() -> bool:
            servers = await client.read("ListServers", {})
            return any(s["name"] == "build-host" and s["info"]["state"] == "Ok" for s in servers)

        assert await eventually(server_ok, 20)
        idle = await finished(client, await client.ok("execute", "CancelRepoBuild", {"repo": name}))
        assert "no build of it was running" in json.dumps(idle["logs"]), idle["logs"]
        started = await client.ok("execute", "BuildRepo", {"repo": name})

        async def on_clone_runs() -> bool:
            return (folder / "started.txt").exists()

        assert await eventually(on_clone_runs, 30), "the on_clone command started"
        await asyncio.sleep(1)
        # positive control: without a cancel the build runs on
        running = await client.read("GetUpdate", {"id": started["_id"]["$oid"]})
        assert running["status"] == "InProgress"
        assert (await client.read("GetRepoActionState", {"repo": name}))["building"] is True

        cancel = await finished(client, await client.ok("execute", "CancelRepoBuild", {"repo": name}), 30)
        assert cancel["operation"] == "CancelRepoBuild" and cancel["success"] is True
        assert "the running repo build was cancelled" in json.dumps(cancel["logs"]), cancel["logs"]
        run = await finished(client, started, 20)
        assert run["success"] is False
        assert [log["stage"] for log in run["logs"]][-1] == "Cancel", run["logs"]
        assert "cancelled" in run["logs"][-1]["stderr"]
        assert not folder.exists(), "a cancelled clone leaves no folder"
        ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=True).stdout
        assert "sleep 1193" not in ps
        assert (await client.read("GetRepoActionState", {"repo": name}))["building"] is False
        info = (await client.read("GetRepo", {"repo": name}))["info"]
        assert not info.get("built_hash") and not info.get("last_built_at")
    finally:
        await agent.stop()


async def test_a_repo_webhook_pulls_through_the_builder_as_the_git_webhook_user(
    registry: Any,
    builder: Builder,
    client: BusClient,
    nats_url: str,
    docker_available: Any,
    tmp_path: Path,
    git_server: GitServer,  # noqa: F811
    webhook_url: str,
) -> None:
    name = f"e2e-hook-{uuid.uuid4().hex[:6]}"
    (git_server.root / "team").mkdir(exist_ok=True)
    git_server.create_repo(f"team/{name}", {"README.md": "one\n"})
    server = await client.write("CreateServer", {"name": "dock", "config": {"enabled": True}})
    config = await repo_config(client, git_server, f"team/{name}", git_server.token)
    config |= {"environment": "", "on_clone": {}, "on_pull": {}}
    await client.write("CreateRepo", {"name": name, "config": config})
    agent = repo_agent(nats_url, server["_id"]["$oid"], tmp_path)
    await agent.start()
    try:
        body = push("main")
        async with httpx.AsyncClient(base_url=webhook_url, timeout=30) as http:
            answer = await http.post(
                f"/listener/github/repo/{name}/pull", content=body, headers=github(CORE_SECRET, body)
            )
        assert answer.status_code == 200, answer.text

        async def pulled() -> dict[str, Any] | None:
            updates = await client.read("ListUpdates", {"query": {"operation": "PullRepo"}})
            found = [u for u in updates["updates"] if u["status"] == "Complete"]
            return found[0] if found else None

        update = await eventually(pulled, 60)
        assert update is not None
        full = await client.read("GetUpdate", {"id": update["id"]})
        assert full["success"] is True, json.dumps(full["logs"], indent=1)
        assert update["operator"] == GIT_WEBHOOK_USER_ID
    finally:
        await agent.stop()
