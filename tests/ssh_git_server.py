"""A real git server over SSH for tests: asyncssh accepting one client key, running git's own `git-upload-pack` /
`git-receive-pack` on the `git_server` fixture's bare repositories.

The `ssh_git_server` fixture listens on 127.0.0.1:<free port> with a generated host key; only the generated
client key (`private_key`, OpenSSH format) may log in, as user `git`, and only those two commands run, on paths
inside the root. `known_hosts` is the line that pins its host key. Test modules use it with
`from tests.ssh_git_server import ssh_git_server  # noqa: F401` (it needs `git_server` too).
"""

from __future__ import annotations

import asyncio
import shlex
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncssh
import pytest

from tests.git_server import GitServer

COMMANDS = ("git-upload-pack", "git-receive-pack")


@dataclass(frozen=True)
class SshGitServer:
    """Where the SSH git server listens and the keys that reach it."""

    host: str
    """`127.0.0.1:<port>`: what a git account's `domain` is set to."""
    private_key: str
    """The client's private key (OpenSSH format), the one key allowed in."""
    known_hosts: str
    """The known_hosts line of the server's host key."""
    other_known_hosts: str
    """A known_hosts line of the same address with another key (a server that is not this one)."""


def _inside(root: Path, requested: str) -> Path | None:
    path = (root / requested.lstrip("/")).resolve()
    return path if path.is_relative_to(root.resolve()) and path.is_dir() else None


@pytest.fixture
async def ssh_git_server(git_server: GitServer) -> AsyncIterator[SshGitServer]:
    """asyncssh on 127.0.0.1:<free port> serving `git_server`'s repositories to one client key."""
    host_key = asyncssh.generate_private_key("ssh-ed25519")
    client_key = asyncssh.generate_private_key("ssh-ed25519")
    stranger = asyncssh.generate_private_key("ssh-ed25519")
    allowed = asyncssh.import_authorized_keys(client_key.export_public_key().decode())

    async def serve(process: asyncssh.SSHServerProcess[bytes]) -> None:
        words = shlex.split(process.command or "")
        path = _inside(git_server.root, words[1]) if len(words) == 2 and words[0] in COMMANDS else None
        if path is None:
            process.stderr.write(b"only git-upload-pack and git-receive-pack of a repository\n")
            process.exit(1)
            return
        git = await asyncio.create_subprocess_exec(
            words[0],
            str(path),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        await process.redirect(stdin=git.stdin, stdout=git.stdout, stderr=git.stderr)
        process.exit(await git.wait())
        # asyncssh leaves each redirected pipe's last flush as a coroutine run by wait_closed(); without
        # it those coroutines are never awaited (RuntimeWarnings at garbage collection in later tests).
        await process.wait_closed()

    server = await asyncssh.listen(
        "127.0.0.1",
        0,
        server_host_keys=[host_key],
        authorized_client_keys=allowed,
        process_factory=serve,
        encoding=None,
        allow_scp=False,
    )
    port = server.sockets[0].getsockname()[1]
    address = f"[127.0.0.1]:{port}"
    try:
        yield SshGitServer(
            host=f"127.0.0.1:{port}",
            private_key=client_key.export_private_key("openssh").decode(),
            known_hosts=f"{address} {host_key.export_public_key().decode().strip()}",
            other_known_hosts=f"{address} {stranger.export_public_key().decode().strip()}",
        )
    finally:
        server.close()
        await server.wait_closed()
