"""Stack: a docker compose project on a Server, defined in the UI, in files on the host, or in a git repo."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import AliasChoices, Field, field_validator, model_validator

from contracts.base import KomodoModel
from contracts.entities.common import (
    Resource,
    ResourceListItem,
    ResourceQuery,
    SystemCommand,
)
from contracts.entities.docker import (
    ContainerListItem,
    parse_environment,
    parse_file_contents,
    parse_string_list,
)


class StackFileRequires(StrEnum):
    """What a change in a tracked file requires."""

    Redeploy = "Redeploy"
    Restart = "Restart"
    None_ = "None"


def _parse_requires(value: Any) -> Any:
    """Accept Komodo's lowercase spellings (`redeploy`, `restart`, `none`)."""
    if isinstance(value, str) and value in {"redeploy", "restart", "none"}:
        return value.capitalize()
    return value


def _is_empty(value: Any) -> bool:
    return not value


def _is_requires_none(value: Any) -> bool:
    return bool(value == StackFileRequires.None_)


class AdditionalEnvFile(KomodoModel):
    """An extra env file passed with `--env-file` (a bare path string is accepted)."""

    path: str
    """Path relative to the run directory."""
    track: bool = True
    """Whether Komodo reads, shows and diffs the file; false only passes it to compose."""

    @model_validator(mode="before")
    @classmethod
    def _from_path(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"path": value}
        return value


class StackFileDependency(KomodoModel):
    """An extra file the Stack tracks, and what a change to it requires (a bare path string is accepted)."""

    path: str
    """The file path, relative to the run directory."""
    services: list[str] = Field(
        default_factory=list, validation_alias=AliasChoices("services", "service"), exclude_if=_is_empty
    )
    """Services depending on the file (empty: all); `service` accepted."""
    requires: StackFileRequires = Field(
        default=StackFileRequires.None_,
        validation_alias=AliasChoices("requires", "req"),
        exclude_if=_is_requires_none,
    )
    """Redeploy, Restart or None (`req` accepted)."""

    _services = field_validator("services", mode="before")(parse_string_list)
    _requires = field_validator("requires", mode="before")(_parse_requires)

    @model_validator(mode="before")
    @classmethod
    def _from_path(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"path": value}
        return value


class StackConfig(KomodoModel):
    """Configuration of a Stack."""

    swarm_id: str = Field(default="", validation_alias=AliasChoices("swarm_id", "swarm"))
    """Swarm to deploy on with `docker stack deploy` (Swarm mode; overrides server_id). Kept for compatibility."""
    server_id: str = Field(default="", validation_alias=AliasChoices("server_id", "server"))
    """Server to deploy on with docker compose."""
    links: list[str] = Field(default_factory=list)
    """Quick links shown in the resource header."""
    project_name: str = ""
    """Compose project name (`-p`); empty means the stack name."""
    auto_pull: bool = True
    """Run `compose pull` before deploying."""
    run_build: bool = False
    """Run `compose build` before deploying."""
    poll_for_updates: bool = False
    """Poll the registry for newer images."""
    auto_update: bool = False
    """Redeploy when newer images are found (implies poll_for_updates)."""
    auto_update_all_services: bool = False
    """On auto update, redeploy all services rather than only the updated ones."""
    auto_update_skip_services: list[str] = Field(default_factory=list)
    """Services skipped by GlobalAutoUpdate (manual checks still include them)."""
    destroy_before_deploy: bool = False
    """Run `compose down` before `compose up`."""
    skip_secret_interp: bool = False
    """Skip secret interpolation into the environment."""
    linked_repo: str = ""
    """A Komodo Repo to source the compose files from."""
    git_provider: str = "github.com"
    """The git provider domain."""
    git_https: bool = True
    """Clone over https (rather than http)."""
    git_account: str = ""
    """Git account for private repos; empty clones public repos only."""
    repo: str = ""
    """The repo, as `namespace/name`."""
    branch: str = "main"
    """The branch."""
    commit: str = ""
    """A specific commit hash to pin."""
    clone_path: str = ""
    """A specific clone path."""
    reclone: bool = False
    """Delete and clone again instead of `git pull`."""
    webhook_enabled: bool = True
    """Whether incoming webhooks trigger actions."""
    webhook_secret: str = ""
    """Webhook secret for this stack; empty uses the core's."""
    webhook_force_deploy: bool = False
    """Webhooks run DeployStack instead of DeployStackIfChanged."""
    files_on_host: bool = False
    """Use compose files already on the host (`run_directory` and `file_paths`)."""
    run_directory: str = ""
    """Directory to `cd` into before running compose."""
    file_paths: list[str] = Field(default_factory=list)
    """Compose files relative to the run directory; empty means `compose.yaml`."""
    env_file_path: str = ".env"
    """Name of the env file written before `compose up`, relative to the run directory."""
    additional_env_files: list[AdditionalEnvFile] = Field(default_factory=list)
    """More env files passed with `--env-file`."""
    config_files: list[StackFileDependency] = Field(default_factory=list)
    """More files to track, edit in the UI and diff in DeployStackIfChanged."""
    send_alerts: bool = True
    """Send StackStateChange alerts."""
    registry_provider: str = ""
    """Registry to log in to before `compose up` (with registry_account)."""
    registry_account: str = ""
    """Registry account to log in with (with registry_provider)."""
    pre_deploy: SystemCommand = Field(default_factory=SystemCommand)
    """Command run before the stack is deployed."""
    post_deploy: SystemCommand = Field(default_factory=SystemCommand)
    """Command run after the stack is deployed."""
    extra_args: list[str] = Field(default_factory=list)
    """Extra arguments for `docker compose up -d`."""
    build_extra_args: list[str] = Field(default_factory=list)
    """Extra arguments for `docker compose build`."""
    compose_cmd_wrapper: str = ""
    """Wrapper around compose commands, with `[[COMPOSE_COMMAND]]` as placeholder (e.g. `op run -- ...`)."""
    compose_cmd_wrapper_include: list[str] = Field(default_factory=list)
    """Compose subcommands the wrapper applies to; empty means `up` (or `deploy` in Swarm mode)."""
    ignore_services: list[str] = Field(default_factory=list)
    """Services left out of the stack's health state (e.g. init services)."""
    file_contents: str = ""
    """UI-defined compose file contents (supports interpolation)."""
    environment: str = ""
    """Environment written to env_file_path (`KEY=value` lines)."""

    _lists = field_validator(
        "links",
        "auto_update_skip_services",
        "file_paths",
        "extra_args",
        "build_extra_args",
        "compose_cmd_wrapper_include",
        "ignore_services",
        mode="before",
    )(parse_string_list)
    _file_contents = field_validator("file_contents", mode="before")(parse_file_contents)
    _environment = field_validator("environment", mode="before")(parse_environment)


class FileContents(KomodoModel):
    """A file path and its contents."""

    path: str = ""
    """The file path."""
    contents: str = ""
    """The file contents."""


class StackServiceNames(KomodoModel):
    """A compose service and how its container is found."""

    service_name: str = ""
    """The service name."""
    container_name: str = ""
    """The declared container_name, or `project-service` to match auto-named containers."""
    image: str = ""
    """The service image."""
    image_digest: str | None = None
    """The image digest (`image@sha256:...`)."""


class StackRemoteFileContents(KomodoModel):
    """A file read from the host or repo, with what a change to it requires."""

    path: str = ""
    """The file path."""
    contents: str = ""
    """The file contents."""
    services: list[str] = Field(default_factory=list)
    """Services depending on the file (empty: all)."""
    requires: StackFileRequires = StackFileRequires.None_
    """Redeploy, Restart or None."""

    _requires = field_validator("requires", mode="before")(_parse_requires)


class StackInfo(KomodoModel):
    """State Komodo keeps about a Stack: deployed and latest file contents and services."""

    missing_files: list[str] = Field(default_factory=list)
    """Expected compose or extra files missing in the repo or on the host."""
    deployed_project_name: str | None = None
    """The project name at the last deploy."""
    deployed_hash: str | None = None
    """Short commit hash deployed (repo stacks)."""
    deployed_message: str | None = None
    """Commit message deployed (repo stacks)."""
    deployed_contents: list[FileContents] | None = None
    """File contents at the last deploy."""
    deployed_services: list[StackServiceNames] | None = None
    """Services at the last deploy."""
    deployed_config: str | None = None
    """Output of `docker compose config` at the last deploy."""
    latest_services: list[StackServiceNames] = Field(default_factory=list)
    """Services in the latest file contents."""
    remote_contents: list[StackRemoteFileContents] | None = None
    """Latest file contents on the host or in the repo."""
    remote_errors: list[FileContents] | None = None
    """Errors reading the remote files."""
    latest_hash: str | None = None
    """Latest commit hash."""
    latest_message: str | None = None
    """Latest commit message."""


class Stack(Resource[StackConfig, StackInfo]):
    """A Stack resource: the stored document and the answer of `GetStack`."""

    info: StackInfo = Field(default_factory=StackInfo)
    """Deployed and latest contents Komodo keeps."""
    config: StackConfig = Field(default_factory=StackConfig)
    """The stack configuration."""


class StackState(StrEnum):
    """State of a Stack's containers (snake_case in JSON)."""

    Deploying = "deploying"
    Running = "running"
    Paused = "paused"
    Stopped = "stopped"
    Created = "created"
    Restarting = "restarting"
    Dead = "dead"
    Removing = "removing"
    Unhealthy = "unhealthy"
    Down = "down"
    Unknown = "unknown"


class StackServiceWithUpdate(KomodoModel):
    """A stack service and whether a newer image is available."""

    service: str = ""
    """The service name."""
    image: str = ""
    """The current image."""
    latest_image: str | None = None
    """The latest image, if different."""
    update_available: bool = False
    """Whether a newer image is available."""


class StackListItemInfo(KomodoModel):
    """Stack summary in `ListStacks`."""

    swarm_id: str = ""
    """The swarm, in Swarm mode."""
    swarm_name: str = ""
    """The swarm name, in Swarm mode."""
    server_id: str = ""
    """The server the stack runs on."""
    server_name: str = ""
    """The server name."""
    files_on_host: bool = False
    """Whether the stack uses files on the host."""
    file_contents: bool = False
    """Whether the stack has UI-defined file contents."""
    linked_repo: str = ""
    """The linked Repo, if any."""
    linked_repo_name: str = ""
    """The linked Repo's name."""
    git_provider: str = ""
    """The git provider domain."""
    repo: str = ""
    """The configured repo."""
    branch: str = ""
    """The configured branch."""
    repo_link: str = ""
    """Full link to the repo."""
    state: StackState = StackState.Unknown
    """The stack state."""
    status: str | None = None
    """Docker's status text."""
    services: list[StackServiceWithUpdate] = Field(default_factory=list)
    """The services (deployed ones if deployed, else the latest)."""
    auto_update_all_services: bool = False
    """Whether auto_update_all_services is on."""
    project_missing: bool = False
    """Whether the compose project is missing from `docker compose ls`."""
    missing_files: list[str] = Field(default_factory=list)
    """Missing compose files; deploying fails while any are missing."""
    deployed_hash: str | None = None
    """Deployed short commit hash (repo stacks)."""
    latest_hash: str | None = None
    """Latest short commit hash (repo stacks)."""


class StackListItem(ResourceListItem[StackListItemInfo]):
    """A Stack as `ListStacks` returns it."""


class StackQuerySpecifics(KomodoModel):
    """Stack-specific filters of a query."""

    server_ids: list[str] = Field(default_factory=list)
    """Only stacks on these servers (ids)."""
    swarm_ids: list[str] = Field(default_factory=list)
    """Only stacks on these swarms (ids)."""
    linked_repos: list[str] = Field(default_factory=list)
    """Only stacks with these linked Repos (ids)."""
    repos: list[str] = Field(default_factory=list)
    """Only stacks using these repos."""
    update_available: bool = False
    """Only stacks with an image update available."""
    states: list[StackState] = Field(default_factory=list)
    """Only stacks in these states (empty: any)."""


class StackQuery(ResourceQuery[StackQuerySpecifics]):
    """A query over Stacks."""


class StackSortBy(StrEnum):
    """Sort orders of `ListStacks`."""

    Name = "Name"
    Source = "Source"
    Host = "Host"
    State = "State"


class StackActionState(KomodoModel):
    """Actions in progress on a Stack."""

    pulling: bool = False
    """Pulling images."""
    deploying: bool = False
    """Deploying."""
    starting: bool = False
    """Starting."""
    restarting: bool = False
    """Restarting."""
    pausing: bool = False
    """Pausing."""
    unpausing: bool = False
    """Unpausing."""
    stopping: bool = False
    """Stopping."""
    destroying: bool = False
    """Destroying."""


class StackServiceState(StrEnum):
    """State of one stack service."""

    Healthy = "Healthy"
    Unhealthy = "Unhealthy"
    Down = "Down"
    Running = "Running"
    Created = "Created"
    Paused = "Paused"
    Restarting = "Restarting"
    Exited = "Exited"
    Stopping = "Stopping"
    Removing = "Removing"
    Dead = "Dead"
    Unknown = "Unknown"


class StackService(KomodoModel):
    """A stack service and its container (items of `ListStackServices`)."""

    stack_id: str = ""
    """The stack id."""
    stack_name: str = ""
    """The stack name."""
    service: str = ""
    """The service name."""
    image: str = ""
    """The service image."""
    container: ContainerListItem | None = None
    """The container (compose mode)."""
    swarm_service: dict[str, Any] | None = None
    """The swarm service (Swarm mode; Docker's JSON, unmodelled)."""
    state: StackServiceState = StackServiceState.Unknown
    """The service state."""
    image_digests: list[str] | None = None
    """Digests of the service image."""


class GetStacksSummaryResponse(KomodoModel):
    """Stack counts (the answer of `GetStacksSummary`)."""

    total: int = 0
    """Number of stacks."""
    running: int = 0
    """Stacks that are running."""
    stopped: int = 0
    """Stacks that are stopped or paused."""
    down: int = 0
    """Stacks that are down."""
    unhealthy: int = 0
    """Stacks that are unhealthy, restarting, dead, created or removing."""
    unknown: int = 0
    """Stacks in an unknown state."""


class CheckStackForUpdateResponse(KomodoModel):
    """Which services of a Stack have newer images."""

    stack: str = ""
    """The stack id."""
    services: list[StackServiceWithUpdate] = Field(default_factory=list)
    """The services and their update status."""


def project_name(name: str, project: str = "") -> str:
    """The compose project a Stack runs as: its `project_name`, else its name, in what compose accepts.

    Lowercase; anything but letters, digits, `_` and `-` becomes `_`; leading `_`/`-` are dropped.
    """
    raw = (project or name).strip().lower()
    cleaned = "".join(c if c.isascii() and (c.isalnum() or c in "_-") else "_" for c in raw).lstrip("_-")
    return cleaned or "stack"


def stack_folder(name: str) -> str:
    """The folder a Stack's files live in under the agent's stack root: its name with unsafe characters as `_`."""
    cleaned = "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in name.strip())
    cleaned = cleaned.lstrip(".-_")
    return cleaned or "stack"
