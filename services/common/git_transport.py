"""How dulwich reaches a git remote with a `GitSource`'s credentials, and how their traces are scrubbed.

Over http(s) the token goes to dulwich's HTTP client as the password (forges take a token as the password of any
user name); it is never put in the address. Over SSH (`ssh://git@host[:port]/path.git`, an account with an
`ssh_private_key`) the key is written to a 0600 file in a private temporary folder that is removed when the
transfer ends, and `ssh` runs with no user configuration, the key alone, no prompts, and the account's
`ssh_known_hosts` as the only known hosts (host keys checked strictly). Without pinned host keys the key the
server shows is accepted for that transfer only and reported (`accepted_host_key`), so a user can pin it.
Needs the OpenSSH client (`ssh`) on the machine that clones.
"""

from __future__ import annotations

import base64
import contextlib
import os
import shlex
import shutil
import tempfile
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from contracts.api.agent.compose import GitSource

REDACTED: Final = "<redacted>"
"""What a token or key is replaced with in a text."""
SSH_CONNECT_TIMEOUT_SECONDS: Final = 20
"""How long `ssh` may take to connect."""


def scrub(text: str, source: GitSource) -> str:
    """`text` without the token or key, in the forms a transport might write them (plain, URL-quoted, Basic
    auth)."""
    forms: set[str] = set()
    if source.token:
        forms |= {
            source.token,
            urllib.parse.quote(source.token, safe=""),
            base64.b64encode(f"{source.username or 'oauth2'}:{source.token}".encode()).decode(),
            base64.b64encode(f"{source.username}:{source.token}".encode()).decode(),
        }
    if source.ssh_private_key.strip():
        forms.add(source.ssh_private_key.strip())
        forms |= {line for line in source.ssh_private_key.splitlines() if len(line.strip()) >= 16}
    for form in sorted(forms, key=len, reverse=True):
        text = text.replace(form, REDACTED)
    return text


def is_ssh(source: GitSource) -> bool:
    """Whether the source is cloned over SSH."""
    return source.url.startswith("ssh://")


@dataclass
class Transport:
    """The keyword arguments of dulwich's `get_transport_and_path` / porcelain calls for one transfer."""

    options: dict[str, Any] = field(default_factory=dict)
    """Credentials (http: username and password) or the ssh command and key file (SSH)."""
    known_hosts: Path | None = None
    """The known-hosts file `ssh` uses (SSH only)."""
    pinned: bool = True
    """Whether the host keys were given (false: the server's key was accepted for this transfer)."""

    def accepted_host_key(self) -> str:
        """The host key accepted without pinning ("" when keys were pinned or nothing was accepted)."""
        if self.pinned or self.known_hosts is None or not self.known_hosts.exists():
            return ""
        return self.known_hosts.read_text(errors="replace").strip()


def _write_private(path: Path, text: str) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as out:
        out.write(text)


@contextlib.contextmanager
def transport(source: GitSource) -> Iterator[Transport]:
    """The transfer options of `source`; an SSH key's file exists only while the block runs."""
    if not is_ssh(source):
        if not source.token and not source.username:
            yield Transport()
        else:
            yield Transport({"username": source.username or "oauth2", "password": source.token})
        return
    folder = Path(tempfile.mkdtemp(prefix="varanus-ssh-"))
    try:
        key = folder / "key"
        known = folder / "known_hosts"
        pinned = bool(source.ssh_known_hosts.strip())
        _write_private(key, source.ssh_private_key.strip() + "\n")
        _write_private(known, source.ssh_known_hosts.strip() + "\n" if pinned else "")
        command = [
            "ssh",
            "-F",
            "/dev/null",
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "BatchMode=yes",
            "-o",
            f"StrictHostKeyChecking={'yes' if pinned else 'accept-new'}",
            "-o",
            f"UserKnownHostsFile={known}",
            "-o",
            "GlobalKnownHostsFile=/dev/null",
            "-o",
            "HashKnownHosts=no",
            "-o",
            f"ConnectTimeout={SSH_CONNECT_TIMEOUT_SECONDS}",
        ]
        yield Transport(
            {"key_filename": str(key), "ssh_command": shlex.join(command)}, known_hosts=known, pinned=pinned
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
