"""Agent requests about compose projects (Stacks): write or fetch the files, then run `docker compose`.

Every path in these requests is relative: to the agent's stack root for a stack's folder, and to the run
directory for compose, env and config files. Absolute paths and `..` are refused here, so a hostile path is a
400 before it reaches a host; the agent checks again that what it resolves stays inside the stack root (or, for
files on the host, inside a folder its operator allowed).
"""

from __future__ import annotations

import re
import shlex
from pathlib import PurePosixPath
from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator

from contracts.api.agent.container import RegistryAuth
from contracts.api.base import AgentRequest
from contracts.base import KomodoModel
from contracts.entities.common import SearchCombinator
from contracts.entities.stack import FileContents, StackServiceNames
from contracts.entities.update import Log

PROJECT_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,127}$")
"""What docker compose accepts as a project name."""
SERVICE_PATTERN = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9._-]{0,127}$")
"""What docker compose accepts as a service name."""
FOLDER_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
"""A stack's folder: one path component, no dots-only names, nothing a shell or a path could misread."""
COMPOSE_COMMAND = "[[COMPOSE_COMMAND]]"
"""Where the compose command goes in a stack's `compose_cmd_wrapper`."""
WRAPPABLE = ("config", "build", "pull", "up")
"""The compose subcommands of a deploy that `compose_cmd_wrapper_include` may name."""


def check_wrapper(value: str) -> str:
    """A `compose_cmd_wrapper` as the agent runs it ("" when blank); a ValueError when it cannot be split into
    words or lacks `[[COMPOSE_COMMAND]]` (the message never repeats the wrapper, which may hold secrets)."""
    if not value.strip():
        return ""
    try:
        words = shlex.split(value)
    except ValueError as err:
        raise ValueError(f"compose_cmd_wrapper cannot be parsed as a command line: {err}") from None
    if not any(COMPOSE_COMMAND in word for word in words):
        raise ValueError(f"compose_cmd_wrapper must contain {COMPOSE_COMMAND} where the compose command goes")
    return value


def relative_path(value: str, what: str) -> str:
    """`value` if it is a relative path that stays where it starts (no `..`, not absolute, no NUL, no leading `-`)."""
    if not value or "\x00" in value or "\n" in value:
        raise ValueError(f"{what} {value!r} is empty or holds a control character")
    path = PurePosixPath(value)
    if path.is_absolute() or ".." in path.parts or value.startswith("-"):
        raise ValueError(f"{what} {value!r} must be a relative path inside the stack folder (no '..')")
    return value


class GitSource(KomodoModel):
    """A git repository to clone (or pull) into the stack's folder; the token is used for the fetch only."""

    url: str
    """`https://host/owner/name.git` (or `http://` for `git_https = false`), without credentials; or
    `ssh://git@host[:port]/owner/name.git` for an account with an SSH key."""
    branch: str = "main"
    """The branch to check out."""
    commit: str = ""
    """A commit to pin (hex); the branch head when empty."""
    username: str = ""
    """The account the token belongs to (empty: anonymous)."""
    token: str = ""
    """The token; never written to `.git/config`, a Log or an error."""
    reclone: bool = False
    """Delete the folder and clone again instead of pulling."""
    ssh_private_key: str = ""
    """For an `ssh://` address: the private key (a secret); used for the transfer only, from a 0600 file that is
    removed after it, never in `.git/config`, a Log or an error."""
    ssh_known_hosts: str = ""
    """For an `ssh://` address: known_hosts lines pinning the server's host key (empty: the key the server shows
    is accepted for this transfer and reported in the Log)."""

    @field_validator("url")
    @classmethod
    def _url(cls, url: str) -> str:
        if url.startswith("ssh://"):
            if not re.match(r"^ssh://[A-Za-z0-9._-]+@[A-Za-z0-9.-]+(:[0-9]{1,5})?/[^\s'\"]+$", url):
                raise ValueError(f"{url!r} is not an ssh://user@host[:port]/path repository address")
            return url
        if not re.match(r"^https?://[^\s@/]+/\S+$", url):
            raise ValueError(f"{url!r} is not an http(s) repository address without credentials")
        return url

    @field_validator("commit")
    @classmethod
    def _commit(cls, commit: str) -> str:
        if commit and not re.fullmatch(r"[0-9a-fA-F]{4,40}", commit):
            raise ValueError(f"commit {commit!r} is not a hex commit hash")
        return commit


class StackFiles(KomodoModel):
    """Where a stack's files are and how they get there (the part every compose request shares)."""

    folder: str
    """The stack's folder under the agent's stack root (one path component, from the stack's name)."""
    project: str
    """The compose project name (`-p`)."""
    run_directory: str = ""
    """The folder compose runs in, relative to the stack's folder (empty: the folder itself); for files on the
    host (`files_on_host`), relative to the agent's stack root, as Komodo's `${stack_dir}/{run_directory}`."""
    files_on_host: bool = False
    """The files are on the host already: nothing is written or cloned, and a relative `run_directory` is taken
    from the stack root (empty: the stack's folder)."""
    host_directory: str = ""
    """For files on the host: the absolute run directory (must be inside a folder the agent allows)."""
    file_paths: list[str] = Field(default_factory=lambda: ["compose.yaml"])
    """The compose files, relative to the run directory (`-f` each)."""
    files: list[FileContents] = Field(default_factory=list)
    """Files to write before running (a UI-defined compose file), paths relative to the run directory."""
    git: GitSource | None = None
    """A repository to clone or pull into the stack's folder first."""
    env_file_path: str = ".env"
    """The env file written from `environment`, relative to the run directory."""
    environment: str = ""
    """The env file's contents (already interpolated); no file is written when empty."""
    additional_env_files: list[str] = Field(default_factory=list)
    """More env files (`--env-file` each), relative to the run directory."""
    config_files: list[str] = Field(default_factory=list)
    """Other files whose contents are tracked (read back with the compose files)."""

    @field_validator("folder")
    @classmethod
    def _folder(cls, folder: str) -> str:
        if not FOLDER_PATTERN.match(folder) or set(folder) == {"."}:
            raise ValueError(f"stack folder {folder!r} must be one name of letters, digits, '.', '_', '-'")
        return folder

    @field_validator("project")
    @classmethod
    def _project(cls, project: str) -> str:
        if not PROJECT_PATTERN.match(project):
            raise ValueError(f"project name {project!r} must be lowercase letters, digits, '_' or '-'")
        return project

    @field_validator("run_directory")
    @classmethod
    def _run_directory(cls, value: str) -> str:
        return relative_path(value, "run_directory") if value else value

    @field_validator("host_directory")
    @classmethod
    def _host_directory(cls, value: str) -> str:
        if value and (not value.startswith("/") or ".." in PurePosixPath(value).parts or "\x00" in value):
            raise ValueError(f"run_directory {value!r} on the host must be an absolute path without '..'")
        return value

    @field_validator("file_paths", "additional_env_files", "config_files")
    @classmethod
    def _paths(cls, values: list[str]) -> list[str]:
        return [relative_path(v, "file path") for v in values]

    @field_validator("env_file_path")
    @classmethod
    def _env_file(cls, value: str) -> str:
        return relative_path(value, "env_file_path")

    @field_validator("files")
    @classmethod
    def _files(cls, files: list[FileContents]) -> list[FileContents]:
        for file in files:
            relative_path(file.path, "file path")
        return files


def service_names(values: list[str]) -> list[str]:
    """`values` if each is a compose service name (they become arguments after `--`)."""
    for value in values:
        if not SERVICE_PATTERN.match(value):
            raise ValueError(f"{value!r} is not a compose service name")
    return values


class ComposeUpResponse(KomodoModel):
    """What a compose deploy did (Komodo's `DeployStackResponse`)."""

    logs: list[Log] = Field(default_factory=list)
    """The Log of each stage, in order."""
    deployed: bool = False
    """Whether `compose up` ran and succeeded."""
    missing_files: list[str] = Field(default_factory=list)
    """Compose files that were not there (nothing runs then)."""
    services: list[StackServiceNames] = Field(default_factory=list)
    """The services of the merged config, with their container names and images."""
    file_contents: list[FileContents] = Field(default_factory=list)
    """The compose, env and config files as deployed (for DeployStackIfChanged)."""
    remote_errors: list[FileContents] = Field(default_factory=list)
    """Files that could not be read (path and error)."""
    merged_config: str | None = None
    """`docker compose config` output."""
    commit_hash: str | None = None
    """The commit deployed, for a git stack."""
    commit_message: str | None = None
    """Its message."""


class ComposeUp(AgentRequest):
    """Write or fetch a stack's files, then `config`, `pull`, `up -d` (Komodo's ComposeUp pipeline).

    Stages: write files or clone/pull; registry login (credentials are passed to compose through a temporary
    `DOCKER_CONFIG`, never the host's); "Pre Deploy"; "Compose Config"; "Compose Build" (when `run_build`);
    "Compose Pull" (when `auto_pull`); "Compose Down" (when `destroy_before_deploy`); "Compose Up"; "Post Deploy".
    A stage that fails ends the deploy; every stage's output is in its Log.
    """

    RESPONSE: ClassVar[Any] = ComposeUpResponse

    stack: StackFiles
    """The stack's files."""
    services: list[str] = Field(default_factory=list)
    """Only these services (all when empty)."""
    registry_auth: RegistryAuth | None = None
    """Credentials for private images."""
    pre_deploy: str = ""
    """Command run in the run directory before `up` (already interpolated); none when empty."""
    post_deploy: str = ""
    """Command run after a successful `up`; none when empty."""
    auto_pull: bool = True
    """`compose pull` before `up`."""
    run_build: bool = False
    """`compose build` before `up`."""
    build_extra_args: list[str] = Field(default_factory=list)
    """Arguments for `compose build`."""
    destroy_before_deploy: bool = False
    """`compose down` before `up`."""
    extra_args: list[str] = Field(default_factory=list)
    """Arguments for `compose up -d`."""
    stop_time: int | None = Field(default=None, ge=0)
    """`--timeout` for containers being replaced."""
    compose_cmd_wrapper: str = ""
    """A command that wraps compose (already interpolated), `[[COMPOSE_COMMAND]]` standing for the compose
    command (e.g. `op run -- [[COMPOSE_COMMAND]]`); none when empty."""
    compose_cmd_wrapper_include: list[str] = Field(default_factory=list)
    """The compose subcommands the wrapper wraps, of `config`, `build`, `pull`, `up` (empty: `up` only)."""

    @field_validator("services")
    @classmethod
    def _services(cls, values: list[str]) -> list[str]:
        return service_names(values)

    @field_validator("compose_cmd_wrapper")
    @classmethod
    def _wrapper(cls, value: str) -> str:
        return check_wrapper(value)

    @field_validator("compose_cmd_wrapper_include")
    @classmethod
    def _include(cls, values: list[str]) -> list[str]:
        unknown = sorted(set(values) - set(WRAPPABLE))
        if unknown:
            raise ValueError(
                f"compose_cmd_wrapper_include: {', '.join(map(repr, unknown))} cannot be wrapped "
                f"(choose among {', '.join(WRAPPABLE)})"
            )
        return values


class ComposeContentsResponse(KomodoModel):
    """A stack's files as they are now (after a pull, for a git stack)."""

    contents: list[FileContents] = Field(default_factory=list)
    """The compose, env and config files that could be read."""
    errors: list[FileContents] = Field(default_factory=list)
    """Files that could not be read: path and error."""
    missing_files: list[str] = Field(default_factory=list)
    """Compose files that are not there."""
    services: list[StackServiceNames] = Field(default_factory=list)
    """The services `docker compose config` finds (empty when it fails)."""
    config_error: str | None = None
    """Compose's message when the files are not a valid project."""
    commit_hash: str | None = None
    """The latest commit, for a git stack."""
    commit_message: str | None = None
    """Its message."""


class GetComposeContents(AgentRequest):
    """Read a stack's files (cloning or pulling a git stack first): RefreshStackCache and DeployStackIfChanged."""

    RESPONSE: ClassVar[Any] = ComposeContentsResponse

    stack: StackFiles
    """The stack's files."""


class WriteComposeFile(AgentRequest):
    """Write one file of a stack whose files are on the host (WriteStackFileContents); answers the Log."""

    RESPONSE: ClassVar[Any] = Log

    stack: StackFiles
    """The stack's files."""
    path: str
    """The file, relative to the run directory."""
    contents: str
    """Its new contents."""

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        return relative_path(value, "file path")


ComposeVerb = Literal["start", "restart", "pause", "unpause", "stop", "down", "pull"]
"""The compose commands that act on a project's services."""


class ComposeExecution(AgentRequest):
    """`docker compose -p <project> <command> [--] [services]` on an existing project; answers the Log.

    `pull` needs the files (give `stack` then); the others work from the project's containers.
    """

    RESPONSE: ClassVar[Any] = Log

    project: str
    """The compose project name."""
    command: ComposeVerb
    """What to do."""
    services: list[str] = Field(default_factory=list)
    """Only these services (all when empty)."""
    stop_time: int | None = Field(default=None, ge=0)
    """`--timeout` for stop, restart and down."""
    remove_orphans: bool = False
    """`--remove-orphans` for down."""
    stack: StackFiles | None = None
    """The stack's files, for commands that read them (pull)."""
    registry_auth: RegistryAuth | None = None
    """Credentials for pull."""

    @field_validator("project")
    @classmethod
    def _project(cls, project: str) -> str:
        if not PROJECT_PATTERN.match(project):
            raise ValueError(f"project name {project!r} must be lowercase letters, digits, '_' or '-'")
        return project

    @field_validator("services")
    @classmethod
    def _services(cls, values: list[str]) -> list[str]:
        return service_names(values)


class ComposeRun(AgentRequest):
    """`docker compose run` of one service (RunStackService); answers the Log."""

    RESPONSE: ClassVar[Any] = Log

    stack: StackFiles
    """The stack's files."""
    service: str
    """The service to run."""
    command: list[str] = Field(default_factory=list)
    """The command (the service's when empty)."""
    no_tty: bool = True
    """`-T`."""
    no_deps: bool = False
    """`--no-deps`."""
    detach: bool = False
    """`-d`."""
    service_ports: bool = False
    """`--service-ports`."""
    env: dict[str, str] = Field(default_factory=dict)
    """`-e KEY=value` each."""
    workdir: str | None = None
    """`-w`."""
    user: str | None = None
    """`-u`."""
    entrypoint: str | None = None
    """`--entrypoint`."""
    pull: bool | None = None
    """`--pull always` when true."""
    registry_auth: RegistryAuth | None = None
    """Credentials for private images."""

    @field_validator("service")
    @classmethod
    def _service(cls, value: str) -> str:
        return service_names([value])[0]


class GetComposeLog(AgentRequest):
    """`docker compose -p <project> logs --tail N [services]`; answers the Log."""

    RESPONSE: ClassVar[Any] = Log

    project: str
    """The compose project name."""
    services: list[str] = Field(default_factory=list)
    """Only these services (all when empty)."""
    tail: int = Field(default=100, ge=1, le=5000)
    """Lines from the end, per service."""
    timestamps: bool = False
    """Docker's timestamp on each line."""

    @field_validator("services")
    @classmethod
    def _services(cls, values: list[str]) -> list[str]:
        return service_names(values)


class GetComposeLogSearch(AgentRequest):
    """The lines of a compose project's logs that hold any (or all) of some terms; answers the Log."""

    RESPONSE: ClassVar[Any] = Log

    project: str
    """The compose project name."""
    services: list[str] = Field(default_factory=list)
    """Only these services (all when empty)."""
    terms: list[str]
    """The terms searched for (plain text)."""
    combinator: SearchCombinator = SearchCombinator.Or
    """Any (Or) or all (And) of the terms."""
    invert: bool = False
    """Keep the lines that do not match."""
    timestamps: bool = False
    """Docker's timestamp on each line."""

    @field_validator("services")
    @classmethod
    def _services(cls, values: list[str]) -> list[str]:
        return service_names(values)
