# ruff: noqa: F811  (pytest fixtures imported from their shared modules are parameters here)
"""Repositories checked out on the agent (CloneRepoOnHost, PullRepoOnHost) against a real git server with token
auth (`tests.git_server`): clone, pull, pinned commit, env file, on_clone / on_pull, redaction, refused paths.

Nothing here needs Docker: the commands are shell commands on the host.
"""

from __future__ import annotations

import asyncio
import json
import os
import stat
import time
from pathlib import Path

import nats
import pytest

from contracts.api.agent import build as build_api
from contracts.api.agent import repo as api
from contracts.subjects import STATUS_HEADER
from services.agent.app import Agent
from services.agent.context import AgentContext
from services.agent.handlers import build as build_handlers
from services.agent.handlers import repo as handlers
from services.agent.settings import AgentConfig
from services.common.errors import BadRequest
from tests.git_server import GitServer, git_server  # noqa: F401
from tests.integration.agent_repos import (  # noqa: F401
    agent_config,
    ctx,
    everything_text,
    repo_on_host,
    stages,
    unique,
)

SECRET = "s3cr3t-value-42"


async def test_clone_writes_env_runs_on_clone_and_keeps_the_token_out(
    ctx: AgentContext, git_server: GitServer
) -> None:
    name = unique("app")
    head = git_server.create_repo(name, {"README.md": "hello\n", "sub/x.txt": "x\n"})
    repo = repo_on_host(
        git_server,
        name,
        environment=f"API_KEY={SECRET}\n",
        on_clone={
            "path": "sub",
            "command": f"cat x.txt\n# a comment\necho key={SECRET}\necho token={git_server.token}",
        },
        on_pull={"command": "echo pulled"},
        secrets=[SECRET],
    )
    response = await handlers.clone(ctx, api.CloneRepoOnHost(repo=repo))
    assert stages(response.logs) == ["Clone Repo", "Write Environment", "On Clone"], response.logs
    assert all(log.success for log in response.logs), response.logs
    assert response.cloned and response.latest_hash == head and response.latest_message == "initial commit"
    folder = Path(response.path)
    assert folder == (ctx.config.repo_dir / name).resolve()
    assert (folder / "README.md").read_text() == "hello\n"
    env = folder / ".env"
    assert env.read_text() == f"API_KEY={SECRET}\n" and stat.S_IMODE(env.stat().st_mode) == 0o600
    on_clone = response.logs[-1]
    assert on_clone.command == "cd sub && cat x.txt && echo key=<redacted> && echo token=<redacted>"
    assert on_clone.stdout == "x\nkey=<redacted>\ntoken=<redacted>"
    text = everything_text(response)
    assert SECRET not in text and git_server.token not in text
    git_config = (folder / ".git" / "config").read_text()
    assert git_server.url(name) in git_config and git_server.token not in git_config

    # A pull after a new commit: hard reset to the head, on_pull runs (not on_clone).
    second = git_server.push_commit(name, {"README.md": "v2\n"}, "second commit")
    pulled = await handlers.pull(ctx, api.PullRepoOnHost(repo=repo))
    assert stages(pulled.logs) == ["Pull Repo", "Write Environment", "On Pull"], pulled.logs
    assert not pulled.cloned and pulled.latest_hash == second and pulled.latest_message == "second commit"
    assert (folder / "README.md").read_text() == "v2\n" and pulled.logs[-1].stdout == "pulled"
    assert git_server.token not in (folder / ".git" / "config").read_text()

    # A pinned commit checks out that commit; a clone always starts afresh.
    (folder / "stray.txt").write_text("left over")
    pinned = repo.model_copy(update={"git": repo.git.model_copy(update={"commit": head[:12]})})
    response = await handlers.clone(ctx, api.CloneRepoOnHost(repo=pinned))
    assert response.latest_hash == head and (folder / "README.md").read_text() == "hello\n"
    assert not (folder / "stray.txt").exists()


async def test_pull_of_a_missing_checkout_clones_it_at_komodos_path(
    ctx: AgentContext, agent_config: AgentConfig, git_server: GitServer
) -> None:
    name = unique("lib")
    git_server.create_repo(name, {"a.txt": "a\n"})
    host = agent_config.host_directories[0]
    for path, expected in (
        ("nested/dir", agent_config.repo_dir / "nested/dir"),
        (str(host / "lib"), host / "lib"),
    ):
        repo = repo_on_host(
            git_server, name, path=path, on_clone={"command": "pwd"}, on_pull={"command": "false"}
        )
        response = await handlers.pull(ctx, api.PullRepoOnHost(repo=repo))
        assert stages(response.logs) == ["Clone Repo", "On Clone"] and response.cloned, response.logs
        assert Path(response.path) == expected.resolve()
        assert response.logs[-1].stdout == str(expected.resolve())
        # A failing on_pull is a failed Log, the checkout stays.
        again = await handlers.pull(ctx, api.PullRepoOnHost(repo=repo))
        assert stages(again.logs) == ["Pull Repo", "On Pull"] and not again.logs[-1].success
        assert (expected / "a.txt").is_file()


async def test_a_wrong_token_fails_cleanly_with_the_servers_message(
    ctx: AgentContext, git_server: GitServer
) -> None:
    name = unique("private")
    git_server.create_repo(name, {"a.txt": "a\n"})
    wrong = "glpat-wrong-" + unique("t")
    repo = repo_on_host(git_server, name, git={"token": wrong}, on_clone={"command": "echo never"})
    response = await handlers.clone(ctx, api.CloneRepoOnHost(repo=repo))
    assert stages(response.logs) == ["Clone Repo"] and not response.logs[0].success
    assert response.latest_hash is None
    log = response.logs[0]
    # dulwich's words for the server's 401 answer.
    assert log.stderr == "HTTPUnauthorized: No valid credentials provided", log
    assert wrong not in everything_text(response)
    folder = Path(response.path)
    leftovers = [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []
    assert all(wrong not in p.read_text(errors="replace") for p in leftovers)


async def test_paths_that_leave_the_checkout_are_refused_before_anything_runs(
    ctx: AgentContext, agent_config: AgentConfig, git_server: GitServer, tmp_path: Path
) -> None:
    name = unique("esc")
    git_server.create_repo(name, {"a.txt": "a\n"}, symlinks={"out": "/etc", "cfg": "/tmp"})
    refused = [
        {"path": "/etc/varanus-repo"},
        {"path": str(agent_config.repo_dir)},
        {"path": str(agent_config.host_directories[0])},
    ]
    for location in refused:
        repo = repo_on_host(git_server, name, **location)
        with pytest.raises(BadRequest):
            await handlers.clone(ctx, api.CloneRepoOnHost(repo=repo))
    # The repo root holding a symlink that leaves it.
    agent_config.repo_dir.mkdir(parents=True, exist_ok=True)
    os.symlink(tmp_path, agent_config.repo_dir / "link")
    with pytest.raises(BadRequest, match="not inside the repo root"):
        await handlers.clone(ctx, api.CloneRepoOnHost(repo=repo_on_host(git_server, name, path="link/x")))
    with pytest.raises(BadRequest, match=r"\.git"):
        await handlers.clone(
            ctx,
            api.CloneRepoOnHost(
                repo=repo_on_host(git_server, name, on_clone={"path": ".git/hooks", "command": "ls"})
            ),
        )
    assert not (agent_config.repo_dir / name).exists()  # nothing was cloned
    for bad in (
        {"env_file_path": "../x.env"},
        {"env_file_path": "/etc/x"},
        {"on_pull": {"path": "../..", "command": "ls"}},
    ):
        with pytest.raises(ValueError):
            repo_on_host(git_server, name, **bad)
    with pytest.raises(ValueError):
        api.RepoLocation(name="x", path="a/../../etc")

    # Symlinks of the repository itself are only there after the clone: checked again then.
    marker = tmp_path / "marker.env"
    repo = repo_on_host(
        git_server,
        name,
        environment="A=1\n",
        env_file_path="cfg/marker.env",
        on_clone={"command": "echo ran"},
    )
    response = await handlers.clone(ctx, api.CloneRepoOnHost(repo=repo))
    assert stages(response.logs) == ["Clone Repo", "Validate Files"] and not response.logs[-1].success
    assert "outside the checkout" in response.logs[-1].stderr and not marker.exists()


async def test_two_pulls_of_one_repo_at_once_run_one_after_the_other(
    ctx: AgentContext, git_server: GitServer
) -> None:
    name = unique("twice")
    head = git_server.create_repo(name, {f"f{i}.txt": "x" * 20000 for i in range(50)})
    request = api.PullRepoOnHost(repo=repo_on_host(git_server, name))
    first, second = await asyncio.gather(handlers.pull(ctx, request), handlers.pull(ctx, request))
    assert [first.cloned, second.cloned] == [True, False], (first.logs, second.logs)
    assert first.latest_hash == second.latest_hash == head and second.logs[0].success


async def test_a_clone_with_a_build_key_is_cancelled_and_leaves_no_folder(
    ctx: AgentContext, git_server: GitServer, tmp_path: Path
) -> None:
    name = unique("cancel")
    git_server.create_repo(name, {"README.md": "hello\n"})
    pid_file = tmp_path / "on_clone.pid"
    repo = repo_on_host(git_server, name, on_clone={"command": f"echo $$ > {pid_file}\nsleep 1189"})
    key = unique("key")
    task = asyncio.create_task(handlers.clone(ctx, api.CloneRepoOnHost(repo=repo, build_key=key)))
    deadline = time.monotonic() + 30
    while not pid_file.exists() or not pid_file.read_text().strip():
        assert time.monotonic() < deadline and not task.done()
        await asyncio.sleep(0.05)
    folder = ctx.config.repo_dir / name
    await asyncio.sleep(0.5)
    # positive control: the command runs on, in a checkout that exists
    assert not task.done() and (folder / "README.md").exists()
    assert await build_handlers.cancel(ctx, build_api.CancelImageBuild(build_key=key)) is True
    response = await asyncio.wait_for(task, 15)
    assert stages(response.logs) == ["Clone Repo", "Cancel"], response.logs
    assert not response.logs[-1].success and "cancelled" in response.logs[-1].stderr
    assert not folder.exists()
    pid = int(pid_file.read_text())
    while True:  # the command's process (and its sleep) was killed
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        assert time.monotonic() < deadline + 15
        await asyncio.sleep(0.05)
    assert await build_handlers.cancel(ctx, build_api.CancelImageBuild(build_key=key)) is False
    # The key is free again: the same clone runs to its end without a cancel.
    quick = repo.model_copy(update={"on_clone": repo.on_clone.model_copy(update={"command": "echo done"})})
    again = await handlers.clone(ctx, api.CloneRepoOnHost(repo=quick, build_key=key))
    assert all(log.success for log in again.logs) and (folder / "README.md").exists(), again.logs


async def test_the_requests_over_the_bus(agent_config: AgentConfig, git_server: GitServer) -> None:
    name = unique("bus")
    head = git_server.create_repo(name, {"a.txt": "a\n"})
    agent = Agent(agent_config)
    await agent.start()
    nc = await nats.connect(agent_config.settings.nats_url)
    try:
        body = api.PullRepoOnHost(repo=repo_on_host(git_server, name)).model_dump_json().encode()
        reply = await nc.request(api.PullRepoOnHost.subject_for(agent_config.server_id), body, timeout=60)
        assert (reply.headers or {}).get(STATUS_HEADER) == "200"
        answer = api.RepoOnHostResponse.model_validate_json(reply.data)
        assert answer.latest_hash == head and answer.logs[0].success
        bad = {"repo": {"location": {"name": name, "path": "/etc/x"}, "git": {"url": git_server.url(name)}}}
        reply = await nc.request(
            api.CloneRepoOnHost.subject_for(agent_config.server_id), json.dumps(bad).encode(), timeout=60
        )
        assert (reply.headers or {}).get(STATUS_HEADER) == "400" and "/etc/x" in json.loads(reply.data)[
            "error"
        ]
    finally:
        await nc.close()
        await agent.stop()
