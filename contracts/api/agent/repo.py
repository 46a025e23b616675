"""Agent requests about git repositories checked out on a host (Komodo's periphery `CloneRepo`, `PullRepo`,
`PullOrCloneRepo`), named `...OnHost` so they do not clash with Komodo's public execute requests.

A repository's folder is under the agent's repo root (`VARANUS_AGENT_REPO_DIR`): the repo's name made
path-safe, or Komodo's `path` (relative to the repo root, or absolute inside the repo root or a folder the agent
allows). The agent refuses a folder, env file or command folder that leaves where it may be before anything
runs. The git token is used for the transfer only: never in `.git/config`, a Log or an error.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Any, ClassVar

from pydantic import Field, field_validator

from contracts.api.agent.compose import GitSource, relative_path
from contracts.api.base import AgentRequest
from contracts.base import KomodoModel
from contracts.entities.common import SystemCommand
from contracts.entities.update import Log

BUILD_KEY_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
"""A build key: what CancelImageBuild names a running image build or clone by (a Build's or Repo's id)."""
UNSAFE_FOLDER_CHARACTERS = re.compile(r"[^A-Za-z0-9._-]")
"""What is replaced by `_` when a repo's name becomes its folder."""


def folder_for_name(name: str) -> str:
    """The folder a repo named `name` gets under the repo root: its name with every character other than
    letters, digits, `.`, `_`, `-` replaced by `_` (a ValueError for a name that leaves nothing usable)."""
    folder = UNSAFE_FOLDER_CHARACTERS.sub("_", name.strip())
    if not folder or set(folder) == {"."}:
        raise ValueError(f"repo name {name!r} cannot be a folder name")
    return folder


def checked_command(command: SystemCommand) -> SystemCommand:
    """`command` if its `path` stays inside the checkout (relative, no `..`)."""
    if command.path and command.path not in (".", "./"):
        relative_path(command.path, "command path")
    return command


class RepoLocation(KomodoModel):
    """Where a repository is checked out on the host."""

    name: str
    """The repo's name: its folder under the repo root when `path` is empty."""
    path: str = ""
    """Komodo's `path`: the clone folder, relative to the agent's repo root, or absolute (inside the repo root
    or a folder the agent allows, `VARANUS_AGENT_HOST_DIRECTORIES`)."""

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        folder_for_name(value)
        return value

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not value:
            return value
        if "\x00" in value or "\n" in value or ".." in PurePosixPath(value).parts:
            raise ValueError(f"repo path {value!r} must not hold '..' or control characters")
        return value


class RepoOnHost(KomodoModel):
    """A repository to clone or pull on the host, and what to do in the checkout afterwards."""

    location: RepoLocation
    """Where it is checked out."""
    git: GitSource
    """The address, branch, pinned commit and account token (used for the transfer only)."""
    environment: str = ""
    """The env file's contents (already interpolated); none is written when empty."""
    env_file_path: str = ".env"
    """The env file, relative to the checkout (written with mode 0600)."""
    on_clone: SystemCommand = Field(default_factory=SystemCommand)
    """Run after a clone, in `path` relative to the checkout; lines are joined with `&&`; none when empty."""
    on_pull: SystemCommand = Field(default_factory=SystemCommand)
    """Run after a pull, likewise."""
    secrets: list[str] = Field(default_factory=list)
    """Values (interpolated secrets) that are replaced by `<redacted>` in every Log, like the token."""

    @field_validator("env_file_path")
    @classmethod
    def _env_file(cls, value: str) -> str:
        return relative_path(value, "env_file_path")

    @field_validator("on_clone", "on_pull")
    @classmethod
    def _commands(cls, value: SystemCommand) -> SystemCommand:
        return checked_command(value)


class RepoOnHostResponse(KomodoModel):
    """What a clone or pull did."""

    logs: list[Log] = Field(default_factory=list)
    """The Log of each stage, in order ("Clone Repo" or "Pull Repo", "Write Environment", "On Clone" or "On
    Pull"); the first that fails is the last."""
    path: str = ""
    """The checkout's folder on the host (absolute)."""
    latest_hash: str | None = None
    """The commit checked out (None when the clone or pull failed)."""
    latest_message: str | None = None
    """Its message's first line."""
    cloned: bool = False
    """Whether the repository was cloned (rather than pulled)."""


def checked_build_key(value: str) -> str:
    """`value` if it is a usable build key (letters, digits, `_`, `.`, `-`, at most 128)."""
    if not BUILD_KEY_PATTERN.match(value):
        raise ValueError(f"build_key {value!r} must be letters, digits, '_', '.', '-' (at most 128)")
    return value


class CloneRepoOnHost(AgentRequest):
    """Clone a repository afresh (a folder already there is deleted first), write the env file, run
    `on_clone`.

    With a `build_key` (BuildRepo, RunBuild's clone) the clone can be stopped with CancelImageBuild: a transfer
    under way is let finish (dulwich cannot be interrupted), a running `on_clone` is killed with what it
    started, and the folder is removed, so a cancelled clone leaves no checkout (as a fresh clone had deleted
    the old one already); the answer's last Log is a failed "Cancel"."""

    RESPONSE: ClassVar[Any] = RepoOnHostResponse

    repo: RepoOnHost
    """The repository and what to do after the clone."""
    build_key: str = ""
    """Names this clone for CancelImageBuild (one clone or image build per key runs at a time); none when
    empty."""

    @field_validator("build_key")
    @classmethod
    def _key(cls, value: str) -> str:
        return checked_build_key(value) if value else value


class PullRepoOnHost(AgentRequest):
    """Pull a checked-out repository (hard reset to the branch head or the pinned commit), write the env file,
    run `on_pull`; a folder that is not a clone of that address is cloned instead (and `on_clone` runs)."""

    RESPONSE: ClassVar[Any] = RepoOnHostResponse

    repo: RepoOnHost
    """The repository and what to do after the pull."""
