"""ResourceSync through the bus: refresh shows creates, RunSync applies, a second refresh shows nothing; exports
round-trip; empty files and mass deletes are refused; bad files name the file, resource and field."""

from __future__ import annotations

import asyncio
import subprocess
import tomllib
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import BusClient
from tests.e2e.helpers import finished
from tests.git_server import git_server  # noqa: F401

FILE = '''
[[variable]]
name = "OTLP_ENDPOINT"
value = "http://localhost:4317"

[[server]]
name = "server-01"
tags = ["test"]
[server.config]
address = "https://10.0.0.1:8120"

[[builder]]
name = "builder-01"
config.type = "Server"
config.params.server = "server-01"

[[build]]
name = "test_logger"
[build.config]
builder = "builder-01"
repo = "mbecker20/test_logger"

[[deployment]]
name = "test-logger-01"
description = "test logger deployment 1"
tags = ["test"]
[deployment.config]
server = "server-01"
image.type = "Build"
image.params.build = "test_logger"
volumes = """
# Supports comments
/data/logs = /etc/logs
"""
environment = """
OTLP_ENDPOINT = [[OTLP_ENDPOINT]] # interpolate variables into the envs.
VARIABLE_1 = value_1
"""
labels = "deployment.type = logger"

[[stack]]
name = "test-stack"
[stack.config]
server = "server-01"
file_contents = """
services:
  app:
    image: local/busybox:1
"""

[[procedure]]
name = "deploy-all"
[[procedure.config.stage]]
name = "Deploy"
executions = [
  { execution.type = "Deploy", execution.params.deployment = "test-logger-01", enabled = true },
  { execution.type = "DeployStack", execution.params.stack = "test-stack", enabled = true },
]
'''


async def make_sync(client: BusClient, contents: str, **config: Any) -> dict[str, Any]:
    """A new sync with these file contents (and config fields)."""
    name = f"sync-{uuid.uuid4().hex[:6]}"
    created: dict[str, Any] = await client.write(
        "CreateResourceSync", {"name": name, "config": {"file_contents": contents, **config}}
    )
    return created


async def pending(client: BusClient, sync: str) -> dict[str, Any]:
    """The sync's info after a refresh."""
    refreshed = await client.write("RefreshResourceSyncPending", {"sync": sync})
    info: dict[str, Any] = refreshed["info"]
    return info


def changes(info: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(type, name, Create/Update/Delete) of every pending resource change."""
    return sorted(
        (d["target"]["type"], d["target"]["id"], d["data"]["type"]) for d in info["resource_updates"]
    )


async def run(client: BusClient, sync: str, **extra: Any) -> dict[str, Any]:
    """RunSync to the end; the finished Update."""
    update = await client.ok("execute", "RunSync", {"sync": sync, **extra})
    return await finished(client, update, 60)


async def test_refresh_run_refresh_gives_an_empty_diff(
    registry: Any, sync_service: Any, client: BusClient
) -> None:
    sync = await make_sync(client, FILE, include_variables=True)
    info = await pending(client, sync["name"])
    assert info["pending_error"] is None
    assert changes(info) == [
        ("Build", "test_logger", "Create"),
        ("Builder", "builder-01", "Create"),
        ("Deployment", "test-logger-01", "Create"),
        ("Procedure", "deploy-all", "Create"),
        ("Server", "server-01", "Create"),
        ("Stack", "test-stack", "Create"),
    ]
    assert [v["type"] for v in info["variable_updates"]] == ["Create"]
    created = next(d for d in info["resource_updates"] if d["target"]["id"] == "test-logger-01")
    assert 'server = "server-01"' in created["data"]["data"]["proposed"]

    done = await run(client, sync["name"])
    assert done["success"] is True, done["logs"]
    assert "created deployment 'test-logger-01'" in done["logs"][0]["stdout"]
    deployment = await client.read("GetDeployment", {"deployment": "test-logger-01"})
    server = await client.read("GetServer", {"server": "server-01"})
    assert deployment["config"]["server_id"] == server["_id"]["$oid"]
    assert deployment["description"] == "test logger deployment 1"
    variable = await client.read("GetVariable", {"name": "OTLP_ENDPOINT"})
    assert variable["value"] == "http://localhost:4317"

    info = await pending(client, sync["name"])
    assert info["resource_updates"] == [] and info["variable_updates"] == [], info

    # A change in the file is one Update of one resource, and applying it leaves no diff again.
    await client.write(
        "UpdateResourceSync",
        {"id": sync["name"], "config": {"file_contents": FILE.replace("value_1", "value_2")}},
    )
    info = await pending(client, sync["name"])
    assert changes(info) == [("Deployment", "test-logger-01", "Update")]
    done = await run(client, sync["name"])
    assert "environment" in done["logs"][0]["stdout"]
    assert (await pending(client, sync["name"]))["resource_updates"] == []


async def test_export_round_trips_into_an_empty_diff(
    registry: Any, sync_service: Any, client: BusClient
) -> None:
    first = await make_sync(client, FILE, include_variables=True)
    assert (await run(client, first["name"]))["success"] is True
    exported = (await client.read("ExportAllResourcesToToml", {"include_variables": True}))["toml"]
    assert "[[deployment]]" in exported or "deployment = [" in exported
    second = await make_sync(client, exported, include_variables=True, delete=True)
    info = await pending(client, second["name"])
    assert info["pending_error"] is None, info["pending_error"]
    assert info["resource_updates"] == [] and info["variable_updates"] == [], info


async def test_secret_variables_export_without_their_value(
    registry: Any, sync_service: Any, client: BusClient
) -> None:
    await client.write("CreateVariable", {"name": "DB_PASSWORD", "value": "s3cr3t-pw", "is_secret": True})
    exported = (await client.read("ExportAllResourcesToToml", {"include_variables": True}))["toml"]
    assert "DB_PASSWORD" in exported and "s3cr3t-pw" not in exported
    sync = await make_sync(client, exported, include_variables=True)
    assert (await pending(client, sync["name"]))["variable_updates"] == []


async def test_empty_file_never_deletes(registry: Any, sync_service: Any, client: BusClient) -> None:
    await client.write("CreateServer", {"name": "keep-me"})
    sync = await make_sync(client, "# nothing declared here\n", delete=True)
    info = await pending(client, sync["name"])
    assert "declares nothing" in info["pending_error"]
    answer = await client.send("execute", "RunSync", {"sync": sync["name"], "confirm_deletes": True})
    assert answer.status == 400 and "nothing changed" in answer.error
    assert (await client.read("GetServer", {"server": "keep-me"}))["name"] == "keep-me"
    # Positive control: a file that declares something else deletes the undeclared server.
    await client.write(
        "UpdateResourceSync",
        {"id": sync["name"], "config": {"file_contents": '[[server]]\nname = "other"\n'}},
    )
    info = await pending(client, sync["name"])
    assert ("Server", "keep-me", "Delete") in changes(info)


async def test_mass_delete_needs_confirmation(registry: Any, sync_service: Any, client: BusClient) -> None:
    for n in range(3):
        await client.write("CreateServer", {"name": f"old-{n}"})
    sync = await make_sync(client, '[[server]]\nname = "old-0"\n', delete=True)
    answer = await client.send("execute", "RunSync", {"sync": sync["name"]})
    assert answer.status == 400, answer.body
    assert "would delete 2 of the 3" in answer.error and "confirm_deletes" in answer.error
    assert len(await client.read("ListServers", {})) == 3
    done = await run(client, sync["name"], confirm_deletes=True)
    assert done["success"] is True, done["logs"]
    assert [s["name"] for s in await client.read("ListServers", {})] == ["old-0"]


async def test_bad_files_name_file_resource_and_field(
    registry: Any, sync_service: Any, client: BusClient
) -> None:
    cases = {
        '[[server]]\nname = "a"\nconfig.adress = "x"\n': "file_contents: server 'a': unknown field 'config.adress'",
        '[[deployment]]\nname = "d"\nconfig.server = "nowhere"\n': "deployment 'd': field 'config.server': no Server named 'nowhere'",
        '[[server]]\nname = "a"\n[[server]]\nname = "a"\n': "server 'a' is declared twice",
        '[[servers]]\nname = "a"\n[[wat]]\nname = "b"\n': "unknown table [[wat]]",
        '[[server]]\nname = "a"\nconfig = [\n': "file_contents: TOML syntax error",
        (
            '[[deployment]]\nname = "x"\ndeploy = true\nafter = ["y"]\n'
            '[[deployment]]\nname = "y"\ndeploy = true\nafter = ["x"]\n'
        ): "field 'after': a cycle",
    }
    for contents, expected in cases.items():
        sync = await make_sync(client, contents, delete=True)
        info = await pending(client, sync["name"])
        assert expected in (info["pending_error"] or ""), (contents, info["pending_error"])
        answer = await client.send("execute", "RunSync", {"sync": sync["name"]})
        assert answer.status == 400 and expected in answer.error


async def test_files_on_host_are_read_below_the_root_only(
    registry: Any, sync_service: Any, client: BusClient, tmp_path: Path
) -> None:
    root = tmp_path / "syncs"
    (root / "project" / "nested").mkdir(parents=True)
    (root / "project" / "servers.toml").write_text('[[server]]\nname = "host-a"\n')
    (root / "project" / "nested" / "more.toml").write_text('[[server]]\nname = "host-b"\n')
    (root / "project" / "notes.txt").write_text("not toml")
    sync = await make_sync(client, "", files_on_host=True, resource_path=["project"])
    info = await pending(client, sync["name"])
    assert changes(info) == [("Server", "host-a", "Create"), ("Server", "host-b", "Create")]
    outside = await make_sync(client, "", files_on_host=True, resource_path=["../data"])
    assert "leads outside the sync directory" in (await pending(client, outside["name"]))["pending_error"]


async def test_non_admins_cannot_run_a_sync(
    registry: Any, sync_service: Any, client: BusClient, alice: tuple[BusClient, str]
) -> None:
    sync = await make_sync(client, '[[server]]\nname = "s"\n')
    user, _ = alice
    await client.write(
        "UpdatePermissionOnTarget",
        {
            "user_target": {"type": "User", "id": "alice"},
            "resource_target": {"type": "ResourceSync", "id": sync["name"]},
            "permission": "Execute",
        },
    )
    answer = await user.send("execute", "RunSync", {"sync": sync["name"]})
    assert answer.status == 403 and "only admins" in answer.error
    # Positive control: the refresh (Execute) works for her.
    assert changes(await pending(user, sync["name"])) == [("Server", "s", "Create")]


async def test_list_state_follows_the_refresh(registry: Any, sync_service: Any, client: BusClient) -> None:
    sync = await make_sync(client, '[[server]]\nname = "listed"\n')
    broken = await make_sync(client, "[[server]]\nname = \n")

    async def states() -> dict[str, str]:
        items = await client.read("ListResourceSyncs", {})
        return {i["name"]: i["info"]["state"] for i in items}

    await pending(client, sync["name"])
    await pending(client, broken["name"])
    assert await states() == {sync["name"]: "Pending", broken["name"]: "Failed"}
    summary = await client.read("GetResourceSyncsSummary", {})
    assert (summary["pending"], summary["failed"]) == (1, 1)
    await run(client, sync["name"])
    assert (await states())[sync["name"]] == "Ok"


async def test_deploys_run_in_rounds_that_honour_after(
    registry: Any, executor: Any, sync_service: Any, client: BusClient, nats_url: str, docker_available: Any
) -> None:
    from tests.e2e.helpers import IMAGE, eventually, start_agent

    tag = uuid.uuid4().hex[:6]
    first, second = f"varanus-e2e-sync-a-{tag}", f"varanus-e2e-sync-b-{tag}"
    server = await client.write("CreateServer", {"name": "dock", "config": {"enabled": True}})
    agent = start_agent(nats_url, server["_id"]["$oid"])
    await agent.start()

    def deployment(name: str, after: str) -> str:
        return (
            f'[[deployment]]\nname = "{name}"\ndeploy = true\n{after}\n[deployment.config]\nserver = "dock"\n'
            f'image.type = "Image"\nimage.params.image = "{IMAGE}"\ncommand = "sleep 3600"\ntermination_timeout = 1\n'
        )

    contents = deployment(second, f'after = ["{first}"]') + deployment(first, "")
    try:
        sync = await make_sync(client, contents)
        info = await pending(client, sync["name"])
        deploys = {d["target"]["id"]: [a["id"] for a in d["after"]] for d in info["pending_deploys"]}
        assert deploys == {first: [], second: [first]}
        done = await run(client, sync["name"])
        assert done["success"] is True, done["logs"]
        deploy_log = next(log for log in done["logs"] if log["stage"] == "Deploy")["stdout"]
        assert deploy_log.index(first) < deploy_log.index(second), deploy_log

        async def both_running() -> bool:
            items = await client.read("ListDeployments", {})
            return all(i["info"]["state"] == "running" for i in items if i["name"] in (first, second))

        assert await eventually(both_running, 30)

        async def nothing_pending() -> bool:
            info = await pending(client, sync["name"])
            return not info["pending_deploys"] and not info["resource_updates"]

        assert await eventually(nothing_pending, 20)
    finally:
        await agent.stop()
        for name in (first, second):
            subprocess.run(["docker", "rm", "-f", name], capture_output=True, check=False)


async def test_a_git_sync_reads_the_branch_head_or_a_pinned_commit(
    registry: Any,
    sync_service: Any,
    client: BusClient,
    git_server: Any,  # noqa: F811
) -> None:
    name = f"sync-repo-{uuid.uuid4().hex[:6]}"
    (git_server.root / "team").mkdir(exist_ok=True)
    first = git_server.create_repo(
        f"team/{name}",
        {
            "syncs/servers.toml": '[[server]]\nname = "git-a"\n',
            "syncs/more/b.toml": '[[server]]\nname = "git-b"\n',
            "README.md": "x",
        },
    )
    domain = git_server.base_url.removeprefix("http://")
    account = {"domain": domain, "https": False, "username": git_server.username, "token": git_server.token}
    await client.write("CreateGitProviderAccount", {"account": account})
    config = {
        "git_provider": domain,
        "git_https": False,
        "git_account": git_server.username,
        "repo": f"team/{name}",
        "resource_path": ["syncs"],
    }
    sync = await make_sync(client, "", **config)
    info = await pending(client, sync["name"])
    assert info["pending_error"] is None, info["pending_error"]
    assert changes(info) == [("Server", "git-a", "Create"), ("Server", "git-b", "Create")]
    assert info["pending_hash"] == first
    assert sorted(f["path"] for f in info["remote_contents"]) == ["syncs/more/b.toml", "syncs/servers.toml"]
    second = git_server.push_commit(
        f"team/{name}", {"syncs/more/b.toml": '[[server]]\nname = "git-c"\n'}, "rename b"
    )
    info = await pending(client, sync["name"])
    assert info["pending_hash"] == second
    assert changes(info) == [("Server", "git-a", "Create"), ("Server", "git-c", "Create")]
    done = await run(client, sync["name"])
    assert done["success"] is True, done["logs"]
    listed = await client.read("GetResourceSync", {"sync": sync["name"]})
    assert listed["info"]["last_sync_hash"] == second
    # Pinned to the first commit, the sync reads that commit's files.
    await client.write("UpdateResourceSync", {"id": sync["name"], "config": {"commit": first}})
    info = await pending(client, sync["name"])
    assert info["pending_hash"] == first and changes(info) == [("Server", "git-b", "Create")]
    # A path out of the repository, and a repository read without the account, are errors.
    await client.write(
        "UpdateResourceSync", {"id": sync["name"], "config": {"commit": "", "resource_path": ["../x"]}}
    )
    assert "leads outside the repository" in (await pending(client, sync["name"]))["pending_error"]
    other = await make_sync(client, "", **{**config, "git_account": "", "repo": f"team/{name}"})
    error = (await pending(client, other["name"]))["pending_error"]
    assert error and "could not read" in error and git_server.token not in error


async def test_syncs_refresh_themselves_after_changes(
    registry: Any, sync_service: Any, client: BusClient
) -> None:
    from tests.e2e.helpers import eventually

    sync = await make_sync(client, '[[server]]\nname = "auto"\ndescription = "made by hand"\n')

    async def info() -> dict[str, Any]:
        found: dict[str, Any] = (await client.read("GetResourceSync", {"sync": sync["name"]}))["info"]
        return found

    async def creates_auto() -> bool:
        return changes(await info()) == [("Server", "auto", "Create")]

    assert await eventually(creates_auto, 15)  # refreshed after the sync was created, without a request
    await client.write("CreateServer", {"name": "auto", "config": {}})
    await client.write(
        "UpdateResourceMeta", {"target": {"type": "Server", "id": "auto"}, "description": "made by hand"}
    )

    async def in_sync() -> bool:
        return (await info())["resource_updates"] == []

    assert await eventually(in_sync, 15)  # and again after the server was made by hand


async def test_over_http_as_a_komodo_client(
    registry: Any, sync_service: Any, gateway_url: str, admin_headers: dict[str, str]
) -> None:
    import httpx

    from tests.e2e.helpers import eventually

    async with httpx.AsyncClient(base_url=gateway_url, timeout=30, headers=admin_headers) as http:

        async def call(kind: str, name: str, params: dict[str, Any]) -> Any:
            answer = await http.post(f"/{kind}", json={"type": name, "params": params})
            assert answer.status_code == 200, answer.text
            return answer.json()

        contents = (
            '[[server]]\nname = "over-http"\ntags = ["web"]\n[server.config]\naddress = "https://h:8120"\n'
        )
        await call("write", "CreateResourceSync", {"name": "web-sync", "config": {"file_contents": contents}})
        info = (await call("write", "RefreshResourceSyncPending", {"sync": "web-sync"}))["info"]
        assert changes(info) == [("Server", "over-http", "Create")]
        update = await call("execute", "RunSync", {"sync": "web-sync"})
        assert update["operation"] == "RunSync"

        async def complete() -> Any:
            found = await call("read", "GetUpdate", {"id": update["_id"]["$oid"]})
            return found if found["status"] == "Complete" else None

        done = await eventually(complete, 30)
        assert done and done["success"] is True, done
        assert (await call("write", "RefreshResourceSyncPending", {"sync": "web-sync"}))["info"][
            "resource_updates"
        ] == []
        exported = (
            await call("read", "ExportResourcesToToml", {"targets": [{"type": "Server", "id": "over-http"}]})
        )["toml"]
        assert tomllib.loads(exported)["server"] == [
            {"name": "over-http", "tags": ["web"], "config": {"address": "https://h:8120"}}
        ]


async def test_user_groups_and_a_partial_run(registry: Any, sync_service: Any, client: BusClient) -> None:
    await client.write("CreateLocalUser", {"username": "mbecker20", "password": "pw-mbecker20"})
    contents = """
[[server]]
name = "part-a"

[[repo]]
name = "part-repo"

[[user_group]]
name = "groupo"
users = ["mbecker20"]
all.Build = "Execute"
all.Stack = { level = "Read", specific = ["Logs"] }
permissions = [
  { target.type = "Repo", target.id = "part-repo", level = "Execute" },
  { target.type = "Server", target.id = "\\\\^part-\\\\", level = "Read" },
]
"""
    sync = await make_sync(client, contents, include_user_groups=True)
    info = await pending(client, sync["name"])
    assert [g["type"] for g in info["user_group_updates"]] == ["Create"]
    # Only the server: the repo and the group stay pending.
    done = await run(client, sync["name"], resource_type="Server", resources=["part-a"])
    assert done["success"] is True, done["logs"]
    info = await pending(client, sync["name"])
    assert changes(info) == [("Repo", "part-repo", "Create")]
    assert len(info["user_group_updates"]) == 1
    done = await run(client, sync["name"])
    assert done["success"] is True, done["logs"]
    group = await client.read("GetUserGroup", {"user_group": "groupo"})
    assert group["all"]["Build"]["level"] == "Execute"
    assert group["all"]["Stack"] == {"level": "Read", "specific": ["Logs"]}
    info = await pending(client, sync["name"])
    assert info["user_group_updates"] == [] and info["resource_updates"] == []
    granted = await client.read(
        "ListUserTargetPermissions", {"user_target": {"type": "UserGroup", "id": group["_id"]["$oid"]}}
    )
    assert sorted((p["resource_target"]["type"], p["level"]) for p in granted) == [
        ("Repo", "Execute"),
        ("Server", "Read"),
    ]
    # A permission taken out of the file is taken back; nothing else changes.
    fewer = contents.replace('  { target.type = "Repo", target.id = "part-repo", level = "Execute" },\n', "")
    await client.write("UpdateResourceSync", {"id": sync["name"], "config": {"file_contents": fewer}})
    info = await pending(client, sync["name"])
    assert [g["type"] for g in info["user_group_updates"]] == ["Update"]
    done = await run(client, sync["name"])
    assert "None on Repo 'part-repo'" in done["logs"][0]["stdout"], done["logs"]
    granted = await client.read(
        "ListUserTargetPermissions", {"user_target": {"type": "UserGroup", "id": group["_id"]["$oid"]}}
    )
    assert [(p["resource_target"]["type"], p["level"]) for p in granted if p["level"] != "None"] == [
        ("Server", "Read")
    ]
    assert (await pending(client, sync["name"]))["user_group_updates"] == []


async def test_git_webhooks_refresh_and_run_a_sync(
    registry: Any, executor: Any, sync_service: Any, client: BusClient, webhook_url: str
) -> None:
    import httpx

    from tests.e2e.helpers import eventually, github, push

    secret = "sync-hook-secret"
    sync = await make_sync(client, '[[server]]\nname = "hooked"\n', webhook_secret=secret)
    body, dev = push("main"), push("dev")
    async with httpx.AsyncClient(base_url=webhook_url, timeout=30) as http:
        bad = await http.post(
            f"/listener/github/sync/{sync['name']}/refresh", content=body, headers=github("nope", body)
        )
        assert bad.status_code == 401
        other = await http.post(
            f"/listener/github/sync/{sync['name']}/sync",
            content=dev,
            headers=github(secret, dev),
        )
        assert other.status_code == 200 and "ignored" in other.json()["message"]
        refreshed = await http.post(
            f"/listener/github/sync/{sync['name']}/refresh", content=body, headers=github(secret, body)
        )
        assert refreshed.status_code == 200, refreshed.text
        info = (await client.read("GetResourceSync", {"sync": sync["name"]}))["info"]
        assert changes(info) == [("Server", "hooked", "Create")]
        assert (await client.send("read", "GetServer", {"server": "hooked"})).status == 404
        ran = await http.post(
            f"/listener/gitlab/sync/{sync['_id']['$oid']}/sync",
            content=body,
            headers={
                "content-type": "application/json",
                "x-gitlab-token": secret,
                "x-gitlab-event": "Push Hook",
            },
        )
        assert ran.status_code == 200, ran.text
        assert ran.json()["execution"] == "RunSync"

        async def created() -> bool:
            return (await client.send("read", "GetServer", {"server": "hooked"})).status == 200

        assert await eventually(created, 15)


async def test_commit_sync_writes_what_exists_and_then_shows_no_diff(
    registry: Any,
    sync_service: Any,
    client: BusClient,
    tmp_path: Path,
    git_server: Any,  # noqa: F811
) -> None:
    await client.write("CreateServer", {"name": "by-hand", "config": {"address": "https://x:8120"}})
    await client.write("CreateDeployment", {"name": "dep-by-hand", "config": {"server_id": "by-hand"}})
    await client.write("CreateVariable", {"name": "SECRET_PW", "value": "pw-123456", "is_secret": True})

    # Not managed: refused (positive control below).
    plain = await make_sync(client, '[[server]]\nname = "by-hand"\n')
    refused = await client.send("write", "CommitSync", {"sync": plain["name"]})
    assert refused.status == 400 and "not managed" in refused.error

    # file_contents
    ui = await make_sync(client, "", managed=True, include_variables=True)
    done = await finished(client, await client.write("CommitSync", {"sync": ui["name"]}))
    assert done["success"] is True, done["logs"]
    stored = (await client.read("GetResourceSync", {"sync": ui["name"]}))["config"]["file_contents"]
    assert "dep-by-hand" in stored and "SECRET_PW" in stored and "pw-123456" not in stored
    assert ui["name"] not in stored  # a sync never exports itself into its own file
    info = await pending(client, ui["name"])
    assert info["pending_error"] is None and info["resource_updates"] == [] and info["variable_updates"] == []

    # files on host
    host = await make_sync(client, "", managed=True, files_on_host=True, resource_path=["team/managed.toml"])
    done = await finished(client, await client.write("CommitSync", {"sync": host["name"]}))
    assert done["success"] is True, done["logs"]
    assert "dep-by-hand" in (tmp_path / "syncs" / "team" / "managed.toml").read_text()
    assert (await pending(client, host["name"]))["resource_updates"] == []

    # git: committed and pushed, then read back from the branch
    name = f"managed-{uuid.uuid4().hex[:6]}"
    (git_server.root / "team").mkdir(exist_ok=True)
    git_server.create_repo(f"team/{name}", {"README.md": "x"})
    domain = git_server.base_url.removeprefix("http://")
    account = {"domain": domain, "https": False, "username": git_server.username, "token": git_server.token}
    await client.write("CreateGitProviderAccount", {"account": account})
    config = {
        "git_provider": domain,
        "git_https": False,
        "git_account": git_server.username,
        "repo": f"team/{name}",
        "resource_path": ["resources.toml"],
        "managed": True,
    }
    in_git = await make_sync(client, "", **config)
    done = await finished(client, await client.write("CommitSync", {"sync": in_git["name"]}), 60)
    assert done["success"] is True, done["logs"]
    assert [log["stage"] for log in done["logs"]] == ["Clone Repo", "Write Sync File", "Commit", "Push"]
    assert all(git_server.token not in log["stdout"] + log["stderr"] for log in done["logs"])
    info = await pending(client, in_git["name"])
    assert info["pending_error"] is None, info["pending_error"]
    assert info["resource_updates"] == []
    assert [f["path"] for f in info["remote_contents"]] == ["resources.toml"]

    # WriteSyncFileContents on the host sync, then the refresh sees the new file.
    written = await client.write(
        "WriteSyncFileContents",
        {
            "sync": host["name"],
            "resource_path": "team/managed.toml",
            "file_path": "",
            "contents": '[[server]]\nname = "fresh"\n',
        },
    )
    assert (await finished(client, written))["success"] is True
    assert ("Server", "fresh", "Create") in changes(await pending(client, host["name"]))


async def test_action_state_says_syncing_while_a_run_deploys(
    registry: Any, sync_service: Any, client: BusClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from services.sync import apply

    sync = await make_sync(
        client,
        '[[server]]\nname = "slow"\n[[deployment]]\nname = "slow-dep"\ndeploy = true\nconfig.server = "slow"\n',
    )
    state = await client.read("GetResourceSyncActionState", {"sync": sync["name"]})
    assert state == {"syncing": False}
    gate = asyncio.Event()

    async def held(self: Any, targets: Any, timeout: float) -> None:
        await gate.wait()
        self.failed.append("held by the test")

    monkeypatch.setattr(apply.Applier, "deploy", held)
    update = await client.ok("execute", "RunSync", {"sync": sync["name"]})
    assert (await client.read("GetResourceSyncActionState", {"sync": sync["name"]})) == {"syncing": True}
    listed = {i["name"]: i["info"]["state"] for i in await client.read("ListResourceSyncs", {})}
    assert listed[sync["name"]] == "Syncing"
    assert (await client.read("GetResourceSyncsSummary", {}))["syncing"] == 1
    again = await client.send("execute", "RunSync", {"sync": sync["name"]})
    assert again.status == 409, again.body
    gate.set()
    await finished(client, update)
    assert (await client.read("GetResourceSyncActionState", {"sync": sync["name"]})) == {"syncing": False}


async def test_swarms_are_stored_as_data(registry: Any, sync_service: Any, client: BusClient) -> None:
    from tests.unit.sync.komodo_examples import SYNC_SWARM

    sync = await make_sync(client, SYNC_SWARM + '\n[[server]]\nname = "manager-01"\n')
    done = await run(client, sync["name"])
    assert "stored swarm 'production-swarm'" in done["logs"][0]["stdout"], done["logs"]
    stored = await sync_service.swarms.find_one({"_id": "production-swarm"})
    assert stored["config"]["servers"] == ["manager-01", "manager-02", "manager-03"]


async def test_a_procedure_runs_a_sync(
    registry: Any, executor: Any, sync_service: Any, client: BusClient
) -> None:
    sync = await make_sync(client, '[[server]]\nname = "from-procedure"\n')
    stage = {
        "name": "sync",
        "executions": [{"execution": {"type": "RunSync", "params": {"sync": sync["name"]}}}],
    }
    await client.write("CreateProcedure", {"name": "sync-it", "config": {"stages": [stage]}})
    done = await finished(client, await client.ok("execute", "RunProcedure", {"procedure": "sync-it"}), 60)
    assert done["success"] is True, done["logs"]
    assert (await client.read("GetServer", {"server": "from-procedure"}))["name"] == "from-procedure"


async def test_secret_fields_left_out_of_a_file_keep_their_value(
    registry: Any, sync_service: Any, client: BusClient
) -> None:
    await client.write("CreateServer", {"name": "keyed", "config": {"passkey": "pk-secret-1"}})
    sync = await make_sync(client, '[[server]]\nname = "keyed"\n')
    assert (await pending(client, sync["name"]))["resource_updates"] == []
    exported = (await client.read("ExportAllResourcesToToml", {}))["toml"]
    assert "keyed" in exported and "pk-secret-1" not in exported
    # Positive control: a passkey written in the file is a change (and its value is not shown in the diff).
    await client.write(
        "UpdateResourceSync",
        {
            "id": sync["name"],
            "config": {"file_contents": '[[server]]\nname = "keyed"\nconfig.passkey = "pk-2"\n'},
        },
    )
    info = await pending(client, sync["name"])
    assert changes(info) == [("Server", "keyed", "Update")]
    proposed = info["resource_updates"][0]["data"]["data"]["proposed"]
    assert 'passkey = "<secret value changed>"' in proposed
    assert "pk-2" not in str(info["resource_updates"]) and "pk-secret-1" not in str(info)


async def test_a_flip_of_pending_is_one_event(registry: Any, sync_service: Any, client: BusClient) -> None:
    import json

    from contracts.events.resource_sync import ResourceSyncPendingChanged
    from tests.e2e.helpers import eventually

    seen: list[dict[str, Any]] = []

    async def collect(msg: Any) -> None:
        seen.append(json.loads(msg.data))

    sub = await client.nc.subscribe(ResourceSyncPendingChanged.SUBJECT, cb=collect)
    try:
        sync = await make_sync(client, '[[server]]\nname = "flip"\n')
        mine = lambda: [e["pending"] for e in seen if e["name"] == sync["name"]]  # noqa: E731
        await pending(client, sync["name"])
        await pending(client, sync["name"])
        assert await eventually(lambda: _is_list(mine(), [True]), 10)
        await run(client, sync["name"])
        assert await eventually(lambda: _is_list(mine(), [True, False]), 10)
        await pending(client, sync["name"])
        await asyncio.sleep(
            0.5
        )  # a refresh that changes nothing announces nothing (checked against the list)
        assert mine() == [True, False]
        assert seen[0]["resource"] == {"type": "ResourceSync", "id": sync["_id"]["$oid"]}
        assert seen[0]["pending_alert"] is True
    finally:
        await sub.unsubscribe()


async def _is_list(found: list[Any], expected: list[Any]) -> bool:
    return found == expected


async def test_commit_keeps_deploy_and_after_of_the_file(
    registry: Any, sync_service: Any, client: BusClient
) -> None:
    contents = (
        '[[server]]\nname = "keep-srv"\n'
        '[[deployment]]\nname = "keep-a"\ndeploy = true\nconfig.server = "keep-srv"\n'
        '[[deployment]]\nname = "keep-b"\ndeploy = true\nafter = "keep-a"\nconfig.server = "keep-srv"\n'
    )
    sync = await make_sync(client, contents, managed=True)
    await client.write("CreateServer", {"name": "keep-srv"})
    await client.write("CreateDeployment", {"name": "keep-a", "config": {"server_id": "keep-srv"}})
    await client.write("CreateDeployment", {"name": "keep-b", "config": {"server_id": "keep-srv"}})
    done = await finished(client, await client.write("CommitSync", {"sync": sync["name"]}))
    assert done["success"] is True, done["logs"]
    written = tomllib.loads(
        (await client.read("GetResourceSync", {"sync": sync["name"]}))["config"]["file_contents"]
    )
    by_name = {d["name"]: d for d in written["deployment"]}
    assert by_name["keep-a"]["deploy"] is True and "after" not in by_name["keep-a"]
    assert by_name["keep-b"]["after"] == ["keep-a"]
    exported = await client.read(
        "ExportResourcesToToml",
        {
            "targets": [{"type": "Deployment", "id": "keep-b"}],
            "existing": {"deployment": [{"name": "keep-b", "deploy": True}]},
        },
    )
    assert tomllib.loads(exported["toml"])["deployment"][0]["deploy"] is True


async def test_a_procedure_commits_a_sync(
    registry: Any, executor: Any, sync_service: Any, client: BusClient
) -> None:
    await client.write("CreateServer", {"name": "committed-by-procedure"})
    sync = await make_sync(client, "", managed=True)
    stage = {
        "name": "commit",
        "executions": [{"execution": {"type": "CommitSync", "params": {"sync": sync["name"]}}}],
    }
    await client.write("CreateProcedure", {"name": "commit-it", "config": {"stages": [stage]}})
    done = await finished(client, await client.ok("execute", "RunProcedure", {"procedure": "commit-it"}), 60)
    assert done["success"] is True, done["logs"]
    contents = (await client.read("GetResourceSync", {"sync": sync["name"]}))["config"]["file_contents"]
    assert "committed-by-procedure" in contents
