"""Builds beyond RunBuild: their summary and common extra args, files on the host, the cached Dockerfile
(RefreshBuildCache) and writing it (WriteBuildFileContents)."""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path
from typing import Any

from dulwich.objects import Commit
from dulwich.repo import Repo

from contracts.entities.common import ResourceTarget, ResourceTargetVariant
from services.builder.app import Builder
from tests.e2e.conftest import BusClient, grant
from tests.e2e.helpers import IMAGE, eventually, finished, has_image, remove_images, repo_agent
from tests.git_server import GitServer, git_server  # noqa: F401


async def test_builds_summary_counts_the_builder_states(
    registry: Any, builder: Builder, client: BusClient
) -> None:
    await client.write("CreateServer", {"name": "down-host", "config": {"enabled": True}})
    await client.write(
        "CreateBuilder",
        {"name": "down-builders", "config": {"type": "Server", "params": {"server_ids": ["down-host"]}}},
    )
    config = {"builder_id": "down-builders", "dockerfile": f"FROM {IMAGE}\n"}
    for name in ("fails", "built", "untouched"):
        await client.write("CreateBuild", {"name": name, "config": config})
    # A build that ran fine: its outcome as the builder records it after a successful RunBuild.
    built = await client.read("GetBuild", {"build": "built"})
    target = ResourceTarget(type=ResourceTargetVariant.Build, id=built["_id"]["$oid"])
    await builder.outcomes.record(target, "RunBuild", True)
    done = await finished(client, await client.ok("execute", "RunBuild", {"build": "fails"}), 20)
    assert done["success"] is False

    summary = await client.read("GetBuildsSummary", {})

    assert summary == {"total": 3, "ok": 1, "failed": 1, "building": 0, "unknown": 1}


async def test_common_build_extra_args_are_the_distinct_args_of_readable_builds(
    registry: Any, client: BusClient, alice: tuple[BusClient, str]
) -> None:
    await client.write("CreateBuild", {"name": "one", "config": {"extra_args": ["--pull", "--no-cache"]}})
    await client.write("CreateBuild", {"name": "two", "config": {"extra_args": ["--pull", "--network=host"]}})
    await client.write("CreateBuild", {"name": "hidden", "config": {"extra_args": ["--quiet"]}})
    as_alice, _ = alice
    await grant(client, "Read", "one", kind="Build")

    assert await client.read("ListCommonBuildExtraArgs", {}) == [
        "--network=host",
        "--no-cache",
        "--pull",
        "--quiet",
    ]
    assert await as_alice.read("ListCommonBuildExtraArgs", {}) == ["--no-cache", "--pull"]


async def build_host(
    client: BusClient, nats_url: str, tmp_path: Path, host_directories: tuple[Path, ...] = ()
) -> Any:
    """Server `build-host` (its agent started, repos under `tmp_path/repos`) in Server builder `builders`; the
    agent, once the server shows Ok (stop it when done)."""
    server = await client.write("CreateServer", {"name": "build-host", "config": {"enabled": True}})
    await client.write(
        "CreateBuilder",
        {"name": "builders", "config": {"type": "Server", "params": {"server_ids": ["build-host"]}}},
    )
    agent = repo_agent(nats_url, server["_id"]["$oid"], tmp_path, host_directories)
    await agent.start()

    async def server_ok() -> bool:
        servers = await client.read("ListServers", {})
        return any(s["name"] == "build-host" and s["info"]["state"] == "Ok" for s in servers)

    assert await eventually(server_ok, 20)
    return agent


def image_file(reference: str, path: str) -> str:
    """The contents of `path` in a container of image `reference`."""
    ran = subprocess.run(
        ["docker", "run", "--rm", reference, "cat", path], capture_output=True, text=True, check=False
    )
    return ran.stdout.strip()


async def test_run_build_builds_files_on_the_host(
    registry: Any,
    executor: Any,
    builder: Builder,
    client: BusClient,
    nats_url: str,
    docker_available: Any,
    tmp_path: Path,
) -> None:
    name = f"e2e-onhost-{uuid.uuid4().hex[:6]}"
    # Relative build_path: below the build's folder under the agent's repo root (Komodo's build_dir/<name>).
    relative = tmp_path / "repos" / f"build-{name}" / "app"
    relative.mkdir(parents=True)
    (relative / "Dockerfile").write_text(f"FROM {IMAGE}\nCOPY hello.txt /hello.txt\n")
    (relative / "hello.txt").write_text("relative\n")
    # Absolute build_path: a folder the agent allows (VARANUS_AGENT_HOST_DIRECTORIES).
    allowed = tmp_path / "host"
    (allowed / "docker").mkdir(parents=True)
    (allowed / "docker" / "Build.dockerfile").write_text(f"FROM {IMAGE}\nCOPY hello.txt /hello.txt\n")
    (allowed / "hello.txt").write_text("absolute\n")
    agent = await build_host(client, nats_url, tmp_path, (allowed,))
    common = {"builder_id": "builders", "files_on_host": True, "include_version_tags": False}
    try:
        await client.write("CreateBuild", {"name": name, "config": {**common, "build_path": "app"}})
        absolute = {**common, "build_path": str(allowed), "dockerfile_path": "docker/Build.dockerfile"}
        await client.write("CreateBuild", {"name": f"{name}-abs", "config": absolute})
        for build, expected in ((name, "relative"), (f"{name}-abs", "absolute")):
            done = await finished(client, await client.ok("execute", "RunBuild", {"build": build}), 240)
            assert done["success"] is True, json.dumps(done["logs"], indent=1)
            assert image_file(f"{build}:latest", "/hello.txt") == expected
    finally:
        await agent.stop()
        remove_images(f"{name}:latest", f"{name}-abs:latest")


async def test_files_on_host_outside_the_allowed_folders_are_refused_before_building(
    registry: Any,
    executor: Any,
    builder: Builder,
    client: BusClient,
    nats_url: str,
    docker_available: Any,
    tmp_path: Path,
) -> None:
    name = f"e2e-escape-{uuid.uuid4().hex[:6]}"
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "Dockerfile").write_text(f"FROM {IMAGE}\nRUN echo {name}\n")
    agent = await build_host(client, nats_url, tmp_path)
    common = {"builder_id": "builders", "files_on_host": True}
    try:
        await client.write("CreateBuild", {"name": name, "config": {**common, "build_path": str(outside)}})
        await client.write(
            "CreateBuild", {"name": f"{name}-up", "config": {**common, "build_path": "../../outside"}}
        )
        await client.write(
            "CreateBuild", {"name": f"{name}-pre", "config": {**common, "pre_build": {"command": "ls"}}}
        )
        upward = await client.send("execute", "RunBuild", {"build": f"{name}-up"})
        assert upward.status == 400 and "build_path '../../outside' must not hold '..'" in upward.error
        pre = await client.send("execute", "RunBuild", {"build": f"{name}-pre"})
        assert pre.status == 400 and "pre_build" in pre.error

        done = await finished(client, await client.ok("execute", "RunBuild", {"build": name}), 60)

        assert done["success"] is False
        text = json.dumps(done["logs"])
        assert f"host_directory '{outside}'" in text and "not inside the repo root" in text, text
        assert not any(log["stage"] == "Build" for log in done["logs"])
        assert not has_image(f"{name}:latest")
    finally:
        await agent.stop()


async def git_build_config(client: BusClient, git_server: GitServer, repo: str) -> dict[str, Any]:  # noqa: F811
    """Add the git server's account and answer the config of a build from `repo` (its Dockerfile in `app/`)."""
    domain = git_server.base_url.removeprefix("http://")
    account = {"domain": domain, "https": False, "username": git_server.username, "token": git_server.token}
    await client.write("CreateGitProviderAccount", {"account": account})
    return {
        "git_provider": domain,
        "git_https": False,
        "git_account": git_server.username,
        "repo": repo,
        "build_path": "app",
    }


async def test_refresh_build_cache_reads_the_dockerfile_from_git(
    registry: Any,
    builder: Builder,
    client: BusClient,
    alice: tuple[BusClient, str],
    git_server: GitServer,  # noqa: F811
) -> None:
    name = f"e2e-cache-{uuid.uuid4().hex[:6]}"
    (git_server.root / "team").mkdir(exist_ok=True)
    dockerfile = f"FROM {IMAGE}\nRUN echo cached\n"
    git_server.create_repo(f"team/{name}", {"app/Dockerfile": dockerfile})
    commit = git_server.push_commit(f"team/{name}", {"app/other.txt": "x"}, "second commit")
    config = await git_build_config(client, git_server, f"team/{name}")
    await client.write("CreateBuild", {"name": name, "config": config})
    await client.write(
        "CreateBuild", {"name": f"{name}-missing", "config": {**config, "dockerfile_path": "Nope"}}
    )
    await client.write("CreateBuild", {"name": f"{name}-ui", "config": {"dockerfile": dockerfile}})
    as_alice, _ = alice
    await grant(client, "Read", name, kind="Build")

    assert await client.ok("write", "RefreshBuildCache", {"build": name}) == {}

    info = (await client.read("GetBuild", {"build": name}))["info"]
    assert info["remote_path"] == "app/Dockerfile"
    assert info["remote_contents"] == dockerfile
    assert info["remote_error"] is None
    assert (info["latest_hash"], info["latest_message"]) == (commit[:7], "second commit")
    listed = await client.read("ListBuilds", {})
    assert [b["info"]["latest_hash"] for b in listed if b["name"] == name] == [commit[:7]]
    await client.write("RefreshBuildCache", {"build": f"{name}-missing"})
    missing = (await client.read("GetBuild", {"build": f"{name}-missing"}))["info"]
    assert missing["remote_contents"] is None and "there is no file app/Nope" in missing["remote_error"]
    assert missing["latest_hash"] == commit[:7]
    await client.write("RefreshBuildCache", {"build": f"{name}-ui"})
    ui = (await client.read("GetBuild", {"build": f"{name}-ui"}))["info"]
    assert (ui["remote_path"], ui["remote_contents"], ui["latest_hash"]) == (None, None, None)
    # Komodo asks for Execute: Read is not enough; an unknown build is a 404.
    refused = await as_alice.send("write", "RefreshBuildCache", {"build": name})
    assert refused.status == 403, refused.body
    unknown = await client.send("write", "RefreshBuildCache", {"build": "no-such-build"})
    assert unknown.status == 404 and "no-such-build" in unknown.error
    assert git_server.token not in json.dumps([info, missing])


async def test_refresh_build_cache_reads_files_on_the_host(
    registry: Any,
    executor: Any,
    builder: Builder,
    client: BusClient,
    nats_url: str,
    tmp_path: Path,
) -> None:
    name = f"e2e-hostcache-{uuid.uuid4().hex[:6]}"
    folder = tmp_path / "repos" / f"build-{name}" / "app"
    folder.mkdir(parents=True)
    (folder / "Dockerfile").write_text(f"FROM {IMAGE}\n")
    agent = await build_host(client, nats_url, tmp_path)
    try:
        config = {"builder_id": "builders", "files_on_host": True, "build_path": "app"}
        await client.write("CreateBuild", {"name": name, "config": config})
        await client.write(
            "CreateBuild", {"name": f"{name}-gone", "config": {**config, "build_path": "gone"}}
        )

        await client.write("RefreshBuildCache", {"build": name})
        await client.write("RefreshBuildCache", {"build": f"{name}-gone"})

        info = (await client.read("GetBuild", {"build": name}))["info"]
        assert info["remote_path"] == str((folder / "Dockerfile").resolve())
        assert info["remote_contents"] == f"FROM {IMAGE}\n" and info["remote_error"] is None
        gone = (await client.read("GetBuild", {"build": f"{name}-gone"}))["info"]
        assert gone["remote_contents"] is None and "there is no Dockerfile at" in gone["remote_error"]
        # No server of the Builder is Ok: that is the error recorded.
        await client.write("CreateServer", {"name": "down-host", "config": {"enabled": True}})
        down = {"type": "Server", "params": {"server_ids": ["down-host"]}}
        await client.write("CreateBuilder", {"name": "down-builders", "config": down})
        await client.write(
            "CreateBuild", {"name": f"{name}-down", "config": {**config, "builder_id": "down-builders"}}
        )
        await client.write("RefreshBuildCache", {"build": f"{name}-down"})
        unreachable = (await client.read("GetBuild", {"build": f"{name}-down"}))["info"]
        assert "none of its servers is Ok: down-host" in unreachable["remote_error"]
    finally:
        await agent.stop()


async def test_write_build_file_contents_commits_to_git_writes_the_host_or_the_config(
    registry: Any,
    executor: Any,
    builder: Builder,
    client: BusClient,
    alice: tuple[BusClient, str],
    nats_url: str,
    tmp_path: Path,
    git_server: GitServer,  # noqa: F811
) -> None:
    name = f"e2e-write-{uuid.uuid4().hex[:6]}"
    (git_server.root / "team").mkdir(exist_ok=True)
    git_server.create_repo(f"team/{name}", {"app/Dockerfile": f"FROM {IMAGE}\n", "README": "kept\n"})
    second = git_server.push_commit(
        f"team/{name}", {"README": "history below the clone's depth\n"}, "second commit"
    )
    written = f"FROM {IMAGE}\nRUN echo written\n"
    agent = await build_host(client, nats_url, tmp_path)
    try:
        config = await git_build_config(client, git_server, f"team/{name}")
        await client.write("CreateBuild", {"name": name, "config": config})
        host = {
            "builder_id": "builders",
            "files_on_host": True,
            "build_path": "ctx",
            "dockerfile_path": "d/Dockerfile",
        }
        await client.write("CreateBuild", {"name": f"{name}-host", "config": host})
        await client.write("CreateBuild", {"name": f"{name}-ui", "config": {"dockerfile": f"FROM {IMAGE}\n"}})
        await client.write(
            "CreateBuild", {"name": f"{name}-up", "config": {**host, "build_path": "a/../../x"}}
        )
        as_alice, _ = alice
        await grant(client, "Read", name, kind="Build")

        # Git: committed and pushed to the branch, then the cache refreshed from the remote.
        done = await finished(
            client,
            await client.ok("write", "WriteBuildFileContents", {"build": name, "contents": written}),
            60,
        )
        assert done["operation"] == "WriteDockerfile"
        assert done["success"] is True, json.dumps(done["logs"], indent=1)
        assert [log["stage"] for log in done["logs"]] == [
            "Dockerfile to write",
            "Clone Repo",
            "Write Dockerfile",
            "Commit",
            "Push",
        ]
        info = (await client.read("GetBuild", {"build": name}))["info"]
        assert info["remote_contents"] == written and info["latest_message"] == "e2e-admin: Commit Dockerfile"
        assert git_server.token not in json.dumps(done)
        with Repo(str(git_server.root / "team" / f"{name}.git")) as bare:
            head = bare[bare.refs[b"refs/heads/main"]]
            assert isinstance(head, Commit) and head.parents == [
                second.encode()
            ]  # on top of the branch, not forced
            assert head.author == b"e2e-admin <varanus@localhost>"
        # The remote holds it (read back by a second refresh of another build of the same repository).
        await client.write("CreateBuild", {"name": f"{name}-again", "config": config})
        await client.write("RefreshBuildCache", {"build": f"{name}-again"})
        again = (await client.read("GetBuild", {"build": f"{name}-again"}))["info"]
        assert again["remote_contents"] == written and again["latest_hash"] == info["latest_hash"]

        # Files on the host: written below the build's folder (made), then the cache refreshed from the host.
        done = await finished(
            client,
            await client.ok(
                "write", "WriteBuildFileContents", {"build": f"{name}-host", "contents": written}
            ),
            30,
        )
        assert done["success"] is True, json.dumps(done["logs"], indent=1)
        on_disk = tmp_path / "repos" / f"build-{name}-host" / "ctx" / "d" / "Dockerfile"
        assert on_disk.read_text() == written
        assert (await client.read("GetBuild", {"build": f"{name}-host"}))["info"][
            "remote_contents"
        ] == written

        # UI-defined: the config's dockerfile.
        done = await finished(
            client,
            await client.ok("write", "WriteBuildFileContents", {"build": f"{name}-ui", "contents": written}),
            30,
        )
        assert done["success"] is True, json.dumps(done["logs"], indent=1)
        assert (await client.read("GetBuild", {"build": f"{name}-ui"}))["config"]["dockerfile"] == written

        # A branch that is not on the remote: the clone fails, and says so without the token.
        await client.write(
            "CreateBuild", {"name": f"{name}-nobranch", "config": {**config, "branch": "nope"}}
        )
        sent = await client.ok(
            "write", "WriteBuildFileContents", {"build": f"{name}-nobranch", "contents": written}
        )
        done = await finished(client, sent, 30)
        assert done["success"] is False
        assert [(log["stage"], log["success"]) for log in done["logs"]][-1] == ("Clone Repo", False)
        assert "nope" in done["logs"][-1]["stderr"] and git_server.token not in json.dumps(done)

        refused = await as_alice.send("write", "WriteBuildFileContents", {"build": name, "contents": "x"})
        assert refused.status == 403, refused.body
        unknown = await client.send(
            "write", "WriteBuildFileContents", {"build": "no-such-build", "contents": "x"}
        )
        assert unknown.status == 404 and "no-such-build" in unknown.error
        upward = await client.send(
            "write", "WriteBuildFileContents", {"build": f"{name}-up", "contents": "x"}
        )
        assert upward.status == 400 and "must not hold '..'" in upward.error
    finally:
        await agent.stop()


async def test_write_build_file_contents_on_the_host_stays_in_the_allowed_folders(
    registry: Any,
    executor: Any,
    builder: Builder,
    client: BusClient,
    nats_url: str,
    tmp_path: Path,
) -> None:
    name = f"e2e-hostwrite-{uuid.uuid4().hex[:6]}"
    allowed = tmp_path / "host"
    allowed.mkdir()
    outside = tmp_path / "outside"
    agent = await build_host(client, nats_url, tmp_path, (allowed,))
    try:
        config = {"builder_id": "builders", "files_on_host": True}
        await client.write(
            "CreateBuild", {"name": name, "config": {**config, "build_path": str(allowed / "new")}}
        )
        await client.write(
            "CreateBuild", {"name": f"{name}-out", "config": {**config, "build_path": str(outside)}}
        )

        sent = await client.ok(
            "write", "WriteBuildFileContents", {"build": name, "contents": "FROM scratch\n"}
        )
        done = await finished(client, sent, 30)
        escaped = await client.ok(
            "write", "WriteBuildFileContents", {"build": f"{name}-out", "contents": "x"}
        )
        refused = await finished(client, escaped, 30)

        assert done["success"] is True, json.dumps(done["logs"], indent=1)
        assert (allowed / "new" / "Dockerfile").read_text() == "FROM scratch\n"
        assert refused["success"] is False
        assert "not inside the repo root or a folder this agent allows" in json.dumps(refused["logs"])
        assert not outside.exists()
    finally:
        await agent.stop()
