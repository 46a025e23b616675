"""Stacks end to end on real Docker and `docker compose`: registry, executor and a real agent, over the bus."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import pytest

from contracts.subjects import event_subject
from services.common.embedded import free_port
from tests.e2e.conftest import BusClient
from tests.e2e.helpers import (
    IMAGE,
    _is,
    down,
    eventually,
    fetch,
    finished,
    git_stack_config,
    stack_state,
    start_agent,
)
from tests.git_server import GitServer, git_server  # noqa: F401

pytestmark = pytest.mark.docker

SECRET = f"pw-{uuid.uuid4().hex}"


def compose_file(port: int) -> str:
    web = 'echo "$$GREETING-$$DB_PASSWORD" > /tmp/index.html; httpd -f -p 80 -h /tmp'
    return (
        "services:\n"
        "  web:\n"
        f"    image: {IMAGE}\n"
        "    pull_policy: never\n"
        f"    command: ['sh', '-c', '{web}']\n"
        f"    ports: ['127.0.0.1:{port}:80']\n"
        "    environment:\n"
        "      GREETING: ${GREETING}\n"
        "      DB_PASSWORD: ${DB_PASSWORD}\n"
        "  worker:\n"
        f"    image: {IMAGE}\n"
        "    pull_policy: never\n"
        "    command: ['sh', '-c', 'echo worker-[[MARK]] up; sleep 3600']\n"
        "    stop_signal: SIGKILL\n"
    )


async def test_a_ui_defined_stack_deploys_changes_and_goes_down(
    registry, executor, client, nats_url, docker_available, tmp_path
):
    port = free_port()
    name = f"e2e-stack-{uuid.uuid4().hex[:6]}"
    server = await client.write("CreateServer", {"name": "dock", "config": {"enabled": True}})
    await client.write("CreateVariable", {"name": "MARK", "value": "blue"})
    await client.write("CreateVariable", {"name": "DB_PASSWORD", "value": SECRET, "is_secret": True})
    config = {
        "server_id": "dock",
        "file_contents": compose_file(port),
        "environment": "GREETING=hello\nDB_PASSWORD=[[DB_PASSWORD]]",
        "auto_pull": False,
    }
    await client.write("CreateStack", {"name": name, "config": config})
    events: list[dict[str, Any]] = []

    async def collect(msg: Any) -> None:
        events.append(json.loads(msg.data))

    sub = await client.nc.subscribe(event_subject("stack", "StackStateChanged"), cb=collect)
    agent = start_agent(nats_url, server["_id"]["$oid"], tmp_path / "stacks")
    await agent.start()
    try:
        deployed = await finished(client, await client.ok("execute", "DeployStack", {"stack": name}), 120)
        assert deployed["success"] is True, json.dumps(deployed["logs"], indent=1)
        stages = [log["stage"] for log in deployed["logs"]]
        assert "Compose Up" in stages and "Interpolate Secrets" in stages
        assert SECRET not in json.dumps(deployed)
        assert await eventually(lambda: _is(fetch(port), f"hello-{SECRET}"), 30)
        assert await eventually(lambda: _is(stack_state(client, name), "running"), 20)

        stored = await client.read("GetStack", {"stack": name})
        assert SECRET not in json.dumps(stored["info"])
        assert sorted(s["service_name"] for s in stored["info"]["deployed_services"]) == ["web", "worker"]
        env_file = next(f for f in stored["info"]["deployed_contents"] if f["path"] == ".env")
        assert "DB_PASSWORD=<DB_PASSWORD>" in env_file["contents"]

        services = await client.read("ListStackServices", {"stack": name})
        assert {s["service"]: s["state"] for s in services} == {"web": "Running", "worker": "Running"}
        logs = await client.read("GetStackLog", {"stack": name, "services": ["worker"], "tail": 10})
        assert "worker-blue up" in logs["stdout"]

        # Nothing changed: DeployStackIfChanged runs nothing.
        same = await finished(client, await client.ok("execute", "DeployStackIfChanged", {"stack": name}), 60)
        assert same["success"] is True and [log["stage"] for log in same["logs"]] == ["Diff", "No Changes"]

        # The environment changed: it redeploys and shows the difference (secrets redacted).
        await client.write(
            "UpdateStack",
            {"id": name, "config": {"environment": "GREETING=bonjour\nDB_PASSWORD=[[DB_PASSWORD]]"}},
        )
        changed = await finished(
            client, await client.ok("execute", "DeployStackIfChanged", {"stack": name}), 120
        )
        assert changed["success"] is True, json.dumps(changed["logs"], indent=1)
        diff = next(log for log in changed["logs"] if log["stage"] == "Diff")["stdout"]
        assert "-GREETING=hello" in diff and "+GREETING=bonjour" in diff and SECRET not in json.dumps(changed)
        assert await eventually(lambda: _is(fetch(port), f"bonjour-{SECRET}"), 30)
        again = await finished(
            client, await client.ok("execute", "DeployStackIfChanged", {"stack": name}), 60
        )
        assert [log["stage"] for log in again["logs"]] == ["Diff", "No Changes"]

        stopped = await finished(client, await client.ok("execute", "StopStack", {"stack": name}), 60)
        assert stopped["success"] is True, stopped["logs"]
        assert await eventually(lambda: _is(stack_state(client, name), "stopped"), 20)
        # The stop passes through a moment where one service is down and the other not (unhealthy).
        assert await eventually(lambda: _has_event(events, "stopped"), 20), events

        started = await finished(
            client, await client.ok("execute", "StartStack", {"stack": name, "services": ["web"]}), 60
        )
        assert started["operation"] == "StartStackService" and started["success"] is True
        assert await eventually(lambda: _is(stack_state(client, name), "unhealthy"), 20)

        destroyed = await finished(
            client, await client.ok("execute", "DestroyStack", {"stack": name, "remove_orphans": True}), 60
        )
        assert destroyed["success"] is True, destroyed["logs"]
        assert await eventually(lambda: _is(stack_state(client, name), "down"), 20)
        summary = await client.read("GetStacksSummary", {})
        assert summary["total"] == 1 and summary["down"] == 1
    finally:
        await sub.unsubscribe()
        await agent.stop()
        down(name)


async def _has_event(events: list[dict[str, Any]], current: str) -> bool:
    return any(e["current"] == current and e["resource"]["type"] == "Stack" for e in events)


async def test_bad_stacks_fail_clearly_and_touch_nothing(
    registry, executor, client, nats_url, docker_available, tmp_path
):
    name = f"e2e-bad-{uuid.uuid4().hex[:6]}"
    server = await client.write("CreateServer", {"name": "dock", "config": {"enabled": True}})
    await client.write(
        "CreateStack",
        {
            "name": name,
            "config": {"server_id": "dock", "file_contents": "services: [oops", "auto_pull": False},
        },
    )
    agent = start_agent(nats_url, server["_id"]["$oid"], tmp_path / "stacks")
    await agent.start()
    try:
        invalid = await finished(client, await client.ok("execute", "DeployStack", {"stack": name}), 60)
        assert invalid["success"] is False
        config_log = next(log for log in invalid["logs"] if log["stage"] == "Compose Config")
        assert config_log["stderr"], "compose's own message is shown"

        await client.write("UpdateStack", {"id": name, "config": {"file_paths": ["../../etc/passwd"]}})
        hostile = await client.send("execute", "DeployStack", {"stack": name})
        assert hostile.status == 400 and "../../etc/passwd" in hostile.error
        assert not (tmp_path / "etc").exists()

        await client.write(
            "UpdateStack",
            {
                "id": name,
                "config": {"file_paths": [], "file_contents": "services: {}", "environment": "A=[[NOPE]]"},
            },
        )
        missing = await client.send("execute", "DeployStack", {"stack": name})
        assert missing.status == 400 and "[[NOPE]]" in missing.error
        await client.write("UpdateStack", {"id": name, "config": {"environment": ""}})

        refused = await client.send(
            "write", "WriteStackFileContents", {"stack": name, "file_path": "compose.yaml", "contents": "x"}
        )
        assert refused.status == 400 and "does not keep its files on the host" in refused.error

        await client.write(
            "UpdateStack",
            {"id": name, "config": {"files_on_host": True, "run_directory": "host-run"}},
        )
        escape = await client.send(
            "write", "WriteStackFileContents", {"stack": name, "file_path": "../escape.yaml", "contents": "x"}
        )
        assert escape.status == 400 and "../escape.yaml" in escape.error
        written = await finished(
            client,
            await client.write(
                "WriteStackFileContents",
                {"stack": name, "file_path": "compose.yaml", "contents": "services: {}\n"},
            ),
            30,
        )
        assert written["success"] is True, written["logs"]
        assert (tmp_path / "stacks" / "host-run" / "compose.yaml").read_text() == "services: {}\n"
        # The cache is refreshed after the write, as Komodo does.
        stored = await client.read("GetStack", {"stack": name})
        remote = {f["path"]: f["contents"] for f in stored["info"]["remote_contents"]}
        assert remote.get("compose.yaml") == "services: {}\n"
    finally:
        await agent.stop()
        await asyncio.sleep(0)


async def test_a_git_stack_clones_with_the_account_token_and_follows_new_commits(
    registry,
    executor,
    client,
    nats_url,
    docker_available,
    tmp_path,
    git_server: GitServer,  # noqa: F811
):
    name = f"e2e-git-{uuid.uuid4().hex[:6]}"
    repo = f"team/app-{uuid.uuid4().hex[:6]}"
    (git_server.root / "team").mkdir(exist_ok=True)
    worker = (
        "services:\n  worker:\n    image: "
        + IMAGE
        + "\n    pull_policy: never\n    command: ['sh', '-c', 'echo {v}; sleep 3600']\n    stop_signal: SIGKILL\n"
    )
    first = git_server.create_repo(repo, {"deploy/compose.yaml": worker.format(v="v1")})
    server = await client.write("CreateServer", {"name": "dock", "config": {"enabled": True}})
    config = await git_stack_config(client, git_server, repo)
    await client.write("CreateStack", {"name": name, "config": config})
    agent = start_agent(nats_url, server["_id"]["$oid"], tmp_path / "stacks")
    await agent.start()
    try:
        deployed = await finished(client, await client.ok("execute", "DeployStack", {"stack": name}), 120)
        assert deployed["success"] is True, json.dumps(deployed["logs"], indent=1)
        assert "Clone Repo" in [log["stage"] for log in deployed["logs"]]
        assert git_server.token not in json.dumps(deployed)
        git_config = (tmp_path / "stacks" / name / ".git" / "config").read_text()
        assert git_server.token not in git_config
        stored = await client.read("GetStack", {"stack": name})
        assert stored["info"]["deployed_hash"] == first

        second = git_server.push_commit(repo, {"deploy/compose.yaml": worker.format(v="v2")}, "v2")
        await client.write("RefreshStackCache", {"stack": name})
        refreshed = await client.read("GetStack", {"stack": name})
        assert refreshed["info"]["latest_hash"] == second
        changed = await finished(
            client, await client.ok("execute", "DeployStackIfChanged", {"stack": name}), 120
        )
        assert changed["success"] is True, json.dumps(changed["logs"], indent=1)
        diff = next(log for log in changed["logs"] if log["stage"] == "Diff")["stdout"]
        assert "-" in diff and "echo v2" in diff
        logs = await eventually(
            lambda: _log_has(client, name, "v2"),
            20,
        )
        assert logs
        again = await finished(
            client, await client.ok("execute", "DeployStackIfChanged", {"stack": name}), 60
        )
        assert [log["stage"] for log in again["logs"]] == ["Diff", "No Changes"]

        # A wrong token fails the deploy clearly, and the token is in no Update.
        await client.write(
            "UpdateGitProviderAccount",
            {"id": await _account_id(client), "account": {"token": "wrong-token-123456"}},
        )
        await client.write("UpdateStack", {"id": name, "config": {"reclone": True}})
        refused = await finished(client, await client.ok("execute", "DeployStack", {"stack": name}), 60)
        assert refused["success"] is False
        assert "wrong-token-123456" not in json.dumps(refused)
    finally:
        await agent.stop()
        down(name)


async def _log_has(client: BusClient, name: str, text: str) -> bool:
    log = await client.read("GetStackLog", {"stack": name, "services": [], "tail": 20})
    return text in log["stdout"]


async def _account_id(client: BusClient) -> str:
    accounts = await client.read("ListGitProviderAccounts", {})
    return str(accounts[0]["_id"]["$oid"])


async def test_the_compose_wrapper_gets_secrets_and_the_log_does_not(
    registry, executor, client, nats_url, docker_available, tmp_path
):
    name = f"e2e-wrap-{uuid.uuid4().hex[:6]}"
    server = await client.write("CreateServer", {"name": "dock", "config": {"enabled": True}})
    await client.write("CreateVariable", {"name": "WRAP_SECRET", "value": SECRET, "is_secret": True})
    compose = (
        "services:\n  app:\n"
        f"    image: {IMAGE}\n    pull_policy: never\n"
        "    command: ['sh', '-c', 'echo token=$$TOKEN; sleep 3600']\n"
        "    stop_signal: SIGKILL\n"
        "    environment:\n      TOKEN: ${FROM_WRAPPER:-none}\n"
    )
    config = {
        "server_id": "dock",
        "file_contents": compose,
        "auto_pull": False,
        "compose_cmd_wrapper": "env FROM_WRAPPER=[[WRAP_SECRET]] [[COMPOSE_COMMAND]]",
    }
    await client.write("CreateStack", {"name": name, "config": config})
    agent = start_agent(nats_url, server["_id"]["$oid"], tmp_path / "stacks")
    await agent.start()
    try:
        deployed = await finished(client, await client.ok("execute", "DeployStack", {"stack": name}), 120)
        assert deployed["success"] is True, json.dumps(deployed["logs"], indent=1)
        up = next(log for log in deployed["logs"] if log["stage"] == "Compose Up")
        assert up["command"].startswith("env FROM_WRAPPER=<WRAP_SECRET> docker compose ")
        assert SECRET not in json.dumps(deployed)
        assert await eventually(lambda: _log_has(client, name, f"token={SECRET}"), 20)

        await client.write("UpdateStack", {"id": name, "config": {"compose_cmd_wrapper": "op run --"}})
        refused = await client.send("execute", "DeployStack", {"stack": name})
        assert refused.status == 400 and "must contain [[COMPOSE_COMMAND]]" in refused.error
    finally:
        await agent.stop()
        down(name)
