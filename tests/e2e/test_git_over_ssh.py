"""Git over SSH (beyond Komodo, which clones over http(s) only): a git account with a private key clones and
pulls a repo through the agent over `ssh://git@host/...`, the host key checked against the account's pinned
`ssh_known_hosts`; the key never reaches the clone's `.git/config`, an Update, an error or a leftover file."""

from __future__ import annotations

import json
import tempfile
import uuid
from pathlib import Path
from typing import Any

from services.builder.app import Builder
from tests.e2e.conftest import BusClient
from tests.e2e.helpers import finished, repo_agent
from tests.git_server import GitServer, git_server  # noqa: F401
from tests.ssh_git_server import SshGitServer, ssh_git_server  # noqa: F401


def key_files_left() -> list[str]:
    """Temporary SSH key folders still on disk."""
    return [p.name for p in Path(tempfile.gettempdir()).glob("varanus-ssh-*")]


async def test_a_repo_is_cloned_and_pulled_over_ssh_with_a_pinned_host_key(
    registry: Any,
    builder: Builder,
    client: BusClient,
    nats_url: str,
    tmp_path: Path,
    git_server: GitServer,  # noqa: F811
    ssh_git_server: SshGitServer,  # noqa: F811
) -> None:
    name = f"e2e-ssh-{uuid.uuid4().hex[:6]}"
    (git_server.root / "team").mkdir(exist_ok=True)
    git_server.create_repo(f"team/{name}", {"README.md": "over ssh\n"})
    server = await client.write("CreateServer", {"name": "dock", "config": {"enabled": True}})
    account = {
        "domain": ssh_git_server.host,
        "username": "deploy-bot",
        "ssh_private_key": ssh_git_server.private_key,
        "ssh_known_hosts": ssh_git_server.other_known_hosts,  # first: a host key that is not the server's
    }
    created = await client.write("CreateGitProviderAccount", {"account": account})
    config = {
        "server_id": "dock",
        "git_provider": ssh_git_server.host,
        "git_account": "deploy-bot",
        "repo": f"team/{name}",
    }
    await client.write("CreateRepo", {"name": name, "config": config})
    agent = repo_agent(nats_url, server["_id"]["$oid"], tmp_path)
    await agent.start()
    key_body = ssh_git_server.private_key.splitlines()[1]
    leftovers = set(key_files_left())
    try:
        refused = await finished(client, await client.ok("execute", "CloneRepo", {"repo": name}), 60)
        assert refused["success"] is False
        assert "Host key verification failed" in json.dumps(refused["logs"]), refused["logs"]

        # Pinned to the server's own key, the same clone goes through (the positive control).
        await client.write(
            "UpdateGitProviderAccount",
            {"id": created["_id"]["$oid"], "account": {"ssh_known_hosts": ssh_git_server.known_hosts}},
        )
        cloned = await finished(client, await client.ok("execute", "CloneRepo", {"repo": name}), 60)
        assert cloned["success"] is True, json.dumps(cloned["logs"], indent=1)
        checkout = tmp_path / "repos" / name
        assert (checkout / "README.md").read_text() == "over ssh\n"
        git_config = (checkout / ".git" / "config").read_text()
        assert f"ssh://git@{ssh_git_server.host}/team/{name}.git" in git_config and key_body not in git_config

        second = git_server.push_commit(f"team/{name}", {"README.md": "pulled over ssh\n"}, "second")
        pulled = await finished(client, await client.ok("execute", "PullRepo", {"repo": name}), 60)
        assert pulled["success"] is True, json.dumps(pulled["logs"], indent=1)
        assert (checkout / "README.md").read_text() == "pulled over ssh\n"
        assert second.startswith((await client.read("GetRepo", {"repo": name}))["info"]["latest_hash"])
        # The builder reads the remote itself for RefreshRepoCache, over SSH too.
        third = git_server.push_commit(f"team/{name}", {"README.md": "three\n"}, "third")
        await client.write("RefreshRepoCache", {"repo": name})
        assert third.startswith((await client.read("GetRepo", {"repo": name}))["info"]["latest_hash"])
        for update in (refused, cloned, pulled):
            assert key_body not in json.dumps(update)
        assert set(key_files_left()) <= leftovers, "a temporary key file was left behind"
    finally:
        await agent.stop()


async def test_without_pinned_host_keys_the_accepted_key_is_shown(
    registry: Any,
    builder: Builder,
    client: BusClient,
    nats_url: str,
    tmp_path: Path,
    git_server: GitServer,  # noqa: F811
    ssh_git_server: SshGitServer,  # noqa: F811
) -> None:
    name = f"e2e-sshtofu-{uuid.uuid4().hex[:6]}"
    (git_server.root / "team").mkdir(exist_ok=True)
    git_server.create_repo(f"team/{name}", {"README.md": "hi\n"})
    server = await client.write("CreateServer", {"name": "dock", "config": {"enabled": True}})
    account = {
        "domain": ssh_git_server.host,
        "username": "bot",
        "ssh_private_key": ssh_git_server.private_key,
    }
    await client.write("CreateGitProviderAccount", {"account": account})
    config = {
        "server_id": "dock",
        "git_provider": ssh_git_server.host,
        "git_account": "bot",
        "repo": f"team/{name}",
    }
    await client.write("CreateRepo", {"name": name, "config": config})
    agent = repo_agent(nats_url, server["_id"]["$oid"], tmp_path)
    await agent.start()
    try:
        cloned = await finished(client, await client.ok("execute", "CloneRepo", {"repo": name}), 60)
        assert cloned["success"] is True, json.dumps(cloned["logs"], indent=1)
        text = json.dumps(cloned["logs"])
        assert "host key is not pinned" in text
        assert ssh_git_server.known_hosts.split(" ", 1)[1].split(" ")[1] in text  # the key that was accepted
    finally:
        await agent.stop()
