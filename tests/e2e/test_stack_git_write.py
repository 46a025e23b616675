"""WriteStackFileContents on a git stack, end to end over the bus: registry, executor, a real agent and a real git
server (`tests.git_server`). The file is committed and pushed to the stack's branch, and the cache refreshed."""

from __future__ import annotations

import io
import json
import uuid

import pytest
from dulwich import porcelain

from tests.e2e.helpers import IMAGE, finished, git_stack_config, start_agent
from tests.git_server import GitServer, git_server  # noqa: F401

pytestmark = pytest.mark.docker

COMPOSE = (
    "services:\n  worker:\n    image: "
    + IMAGE
    + "\n    pull_policy: never\n    command: ['sh', '-c', 'echo {v}; sleep 3600']\n"
)


async def test_a_git_stack_file_is_committed_pushed_and_refreshed(
    registry,
    executor,
    client,
    nats_url,
    docker_available,
    tmp_path,
    git_server: GitServer,  # noqa: F811
):
    name = f"e2e-gitwrite-{uuid.uuid4().hex[:6]}"
    repo = f"team/write-{uuid.uuid4().hex[:6]}"
    (git_server.root / "team").mkdir(exist_ok=True)
    first = git_server.create_repo(repo, {"deploy/compose.yaml": COMPOSE.format(v="v1")})
    server = await client.write("CreateServer", {"name": "dock", "config": {"enabled": True}})
    config = await git_stack_config(client, git_server, repo)
    await client.write("CreateStack", {"name": name, "config": config})
    await client.write(
        "CreateStack",
        {"name": f"{name}-ui", "config": {"server_id": "dock", "file_contents": "services: {}"}},
    )
    agent = start_agent(nats_url, server["_id"]["$oid"], tmp_path / "stacks")
    await agent.start()
    try:
        new = COMPOSE.format(v="v2")
        started = await client.write(
            "WriteStackFileContents", {"stack": name, "file_path": "compose.yaml", "contents": new}
        )
        assert started["operation"] == "WriteStackContents"
        written = await finished(client, started, 60)
        assert written["success"] is True, json.dumps(written["logs"], indent=1)
        assert [log["stage"] for log in written["logs"]] == ["Clone Repo", "Write File", "Commit", "Push"]
        assert git_server.token not in json.dumps(written)

        # The remote repository holds the file, in a commit on top of the first, named after the user.
        check = tmp_path / "check"
        with porcelain.clone(
            git_server.url(repo),
            str(check),
            errstream=io.BytesIO(),
            username=git_server.username,
            password=git_server.token,
        ) as cloned:
            head = cloned.head().decode()
            commit = cloned[cloned.head()]
            assert commit.message == b"e2e-admin: Write Stack File compose.yaml"
            assert commit.author == b"e2e-admin <varanus@localhost>"
            assert [p.decode() for p in commit.parents] == [first]
        assert (check / "deploy" / "compose.yaml").read_text() == new
        commit_log = next(log for log in written["logs"] if log["stage"] == "Commit")
        assert head in commit_log["stdout"]
        git_config = (tmp_path / "stacks" / name / ".git" / "config").read_text()
        assert git_server.token not in git_config

        # The cache was refreshed as part of the Update: the new contents and commit are there.
        stored = await client.read("GetStack", {"stack": name})
        remote = {f["path"]: f["contents"] for f in stored["info"]["remote_contents"]}
        assert remote["compose.yaml"] == new
        assert stored["info"]["latest_hash"] == head
        assert stored["info"]["latest_message"] == "e2e-admin: Write Stack File compose.yaml"

        # Hostile paths are a 400 before anything runs.
        for bad in ("../escape.yaml", "/etc/passwd"):
            hostile = await client.send(
                "write", "WriteStackFileContents", {"stack": name, "file_path": bad, "contents": "x"}
            )
            assert hostile.status == 400 and bad in hostile.error

        # A pinned commit cannot take a new commit: a 400 saying so.
        await client.write("UpdateStack", {"id": name, "config": {"commit": first}})
        pinned = await client.send(
            "write", "WriteStackFileContents", {"stack": name, "file_path": "compose.yaml", "contents": "x"}
        )
        assert pinned.status == 400 and "pins commit" in pinned.error

        # A UI-defined stack is changed with UpdateStack.
        ui = await client.send(
            "write",
            "WriteStackFileContents",
            {"stack": f"{name}-ui", "file_path": "compose.yaml", "contents": "services: {}"},
        )
        assert ui.status == 400 and "UpdateStack" in ui.error
    finally:
        await agent.stop()
