"""What an agent needs to know beyond the shared settings: the server it serves and where Docker is."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from contracts.entities.common import Timelength, timelength_seconds
from services.agent.credentials import read_credential
from services.common.settings import Settings

SERVER_ID_VARIABLE: Final = "VARANUS_AGENT_SERVER_ID"
"""The environment variable that names the server this agent serves."""

CONTAINER_STATS_MIN_SECONDS: Final = 30.0
"""Container stats are read at most this often (Komodo's default `container_stats_polling_rate`)."""

TOKEN_FILE_VARIABLE: Final = "VARANUS_AGENT_TOKEN_FILE"  # noqa: S105 (a variable name, not a secret)
"""A file holding the agent's NATS token (the launcher writes one for the local server)."""
ONBOARDING_KEY_VARIABLE: Final = "VARANUS_AGENT_ONBOARDING_KEY"
"""An onboarding key (`O_..._O`): with it a new host's agent creates or claims its server."""
CONNECT_AS_VARIABLE: Final = "VARANUS_AGENT_CONNECT_AS"
"""The server name to onboard as (default: the host name)."""
CREDENTIAL_FILE_VARIABLE: Final = "VARANUS_AGENT_CREDENTIAL_FILE"
"""Where an onboarded agent keeps its server id and token (default `$VARANUS_DATA_DIR/agent.credential`)."""
STACK_DIR_VARIABLE: Final = "VARANUS_AGENT_STACK_DIR"
"""The folder holding each stack's folder (default `$VARANUS_DATA_DIR/stacks`)."""
REPO_DIR_VARIABLE: Final = "VARANUS_AGENT_REPO_DIR"
"""The folder holding each repo's checkout and build contexts (default `$VARANUS_DATA_DIR/repos`)."""
DOCKER_CLI_VARIABLE: Final = "VARANUS_AGENT_DOCKER_CLI"
"""The docker CLI that builds images (default: the first `docker` on PATH that can build with BuildKit)."""
FULL_EVERY_VARIABLE: Final = "VARANUS_AGENT_FULL_EVERY_SECONDS"
"""Longest time between two full heartbeats (`AgentStatus`) while the lists stay the same (default 60; 0: every
heartbeat is full, for executors older than the small `AgentBeat`)."""
FULL_EVERY_DEFAULT_SECONDS: Final = 60.0
"""The default of `VARANUS_AGENT_FULL_EVERY_SECONDS`: a listener that missed a status gets it within a minute
even if it never asks."""
HOST_DIRECTORIES_VARIABLE: Final = "VARANUS_AGENT_HOST_DIRECTORIES"
"""Colon-separated absolute folders where stacks with files on the host may run (besides the stack folder)."""


def credential_file(settings: Settings) -> Path:
    """Where this agent keeps the credential onboarding gave it."""
    given = os.environ.get(CREDENTIAL_FILE_VARIABLE, "")
    return Path(given) if given else settings.data_dir / "agent.credential"


def full_every_seconds(value: str) -> float:
    """`VARANUS_AGENT_FULL_EVERY_SECONDS` as seconds (empty: the default); a negative or non-number value is an
    `AgentConfigError`."""
    if not value.strip():
        return FULL_EVERY_DEFAULT_SECONDS
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if seconds < 0:
        raise AgentConfigError(f"{FULL_EVERY_VARIABLE} must be a number of seconds, 0 or more; got {value!r}")
    return seconds


_SUBJECT_TOKEN = re.compile(r"[^\s.*>]+")


class AgentConfigError(RuntimeError):
    """The agent's configuration is missing or wrong; the message says what to set."""


def host_directories(value: str) -> tuple[Path, ...]:
    """The folders of `VARANUS_AGENT_HOST_DIRECTORIES` (colon-separated); a relative one is an `AgentConfigError`."""
    folders = tuple(Path(part) for part in value.split(":") if part.strip())
    relative = [str(folder) for folder in folders if not folder.is_absolute()]
    if relative:
        raise AgentConfigError(f"{HOST_DIRECTORIES_VARIABLE} must list absolute folders; got {relative}")
    return folders


@dataclass(frozen=True)
class AgentConfig:
    """The settings of one agent process."""

    settings: Settings
    """The shared settings (`KOMODO_NATS_URL`, NATS user, `KOMODO_MONITORING_INTERVAL`, log level)."""
    server_id: str
    """The id of the server this agent serves: its subjects are `komodo.agent.<server_id>.*`."""
    docker_host: str | None = None
    """The Docker endpoint (`unix:///...`, `tcp://...`); None lets aiodocker find the local socket."""
    token: str = ""
    """The agent's own NATS credential (NATS user `agent:<server_id>`); empty on a NATS that checks no users."""
    stack_dir: Path = Path()
    """The folder holding each stack's folder; the default (`Path()`) means `settings.data_dir / "stacks"`."""
    host_directories: tuple[Path, ...] = ()
    """Absolute folders where stacks with files on the host may run; none: only inside `stack_dir`."""
    docker_cli: str = ""
    """The docker CLI builds use first (`VARANUS_AGENT_DOCKER_CLI`); empty: every `docker` on PATH is tried."""
    repo_dir: Path = Path()
    """The folder holding each repo's checkout; the default (`Path()`) means `settings.data_dir / "repos"`."""
    full_every_seconds: float = FULL_EVERY_DEFAULT_SECONDS
    """Longest time between two full heartbeats while the lists stay the same (0: every heartbeat is full)."""

    def __post_init__(self) -> None:
        if self.stack_dir == Path():
            object.__setattr__(self, "stack_dir", self.settings.data_dir / "stacks")
        if self.repo_dir == Path():
            object.__setattr__(self, "repo_dir", self.settings.data_dir / "repos")
        # The id becomes one subject token: a dot or wildcard in it would let this agent answer for others.
        if not _SUBJECT_TOKEN.fullmatch(self.server_id):
            raise AgentConfigError(
                f"{SERVER_ID_VARIABLE} must be one NATS subject token (no spaces, dots, * or >); "
                f"got {self.server_id!r}"
            )

    @classmethod
    def from_env(cls, settings: Settings | None = None) -> AgentConfig:
        """Read the agent's configuration from the environment; a missing server id is an `AgentConfigError`.

        The server id and token come from `VARANUS_AGENT_SERVER_ID` and `VARANUS_AGENT_TOKEN_FILE`, or from the
        credential file an earlier onboarding wrote (`VARANUS_AGENT_CREDENTIAL_FILE`).
        """
        settings = settings or Settings.load()
        server_id = os.environ.get(SERVER_ID_VARIABLE, "").strip()
        token = ""
        token_file = os.environ.get(TOKEN_FILE_VARIABLE, "")
        if token_file:
            try:
                token = Path(token_file).read_text(encoding="utf-8").strip()
            except OSError as err:
                raise AgentConfigError(
                    f"cannot read {TOKEN_FILE_VARIABLE} ({token_file}): {err.strerror}"
                ) from err
        if not server_id:
            kept = read_credential(credential_file(settings))
            if kept is not None:
                server_id, token = kept.server_id, kept.token
        if not server_id:
            raise AgentConfigError(
                f"{SERVER_ID_VARIABLE} is not set: give the id of the server this agent serves "
                f"(the launcher sets it for the local server), or onboard with {ONBOARDING_KEY_VARIABLE}"
            )
        return cls(
            settings=settings,
            server_id=server_id,
            docker_host=os.environ.get("DOCKER_HOST") or None,
            token=token,
            stack_dir=Path(os.environ.get(STACK_DIR_VARIABLE, "") or settings.data_dir / "stacks"),
            docker_cli=os.environ.get(DOCKER_CLI_VARIABLE, ""),
            repo_dir=Path(os.environ.get(REPO_DIR_VARIABLE, "") or settings.data_dir / "repos"),
            host_directories=host_directories(os.environ.get(HOST_DIRECTORIES_VARIABLE, "")),
            full_every_seconds=full_every_seconds(os.environ.get(FULL_EVERY_VARIABLE, "")),
        )

    @property
    def interval(self) -> Timelength:
        """The heartbeat interval (`KOMODO_MONITORING_INTERVAL`)."""
        return self.settings.monitoring_interval

    @property
    def interval_seconds(self) -> float:
        """The heartbeat interval in seconds."""
        return float(timelength_seconds(self.settings.monitoring_interval))

    @property
    def container_stats_seconds(self) -> float:
        """How often container stats are read: the interval, but never more often than every 30 s."""
        return max(self.interval_seconds, CONTAINER_STATS_MIN_SECONDS)
