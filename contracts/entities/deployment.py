"""Deployment: one container (`docker run`) on a Server, from an image or a Komodo Build."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, Field, field_validator

from contracts.base import KomodoModel
from contracts.entities.common import (
    I64,
    Resource,
    ResourceListItem,
    ResourceQuery,
    TerminationSignal,
    Version,
    parse_termination_signal,
)
from contracts.entities.docker import (
    ContainerListItem,
    parse_conversions,
    parse_environment,
    parse_labels,
    parse_string_list,
    parse_term_signal_labels,
)


def _parse_version(value: Any) -> Any:
    """Accept `"1.2.3"` for a Version (a bound classmethod cannot be a pydantic validator directly)."""
    return Version.parse(value)


class ImageParams(KomodoModel):
    """Params of an external image."""

    image: str = ""
    """The docker image, from any registry the server can reach."""


class DeploymentImageImage(KomodoModel):
    """Deploy an external image: `{"type": "Image", "params": {"image": ...}}`."""

    type: Literal["Image"] = "Image"
    """Always `Image`."""
    params: ImageParams = Field(default_factory=ImageParams)
    """The image."""


class BuildParams(KomodoModel):
    """Params of a Komodo Build image."""

    build_id: str = Field(default="", validation_alias=AliasChoices("build_id", "build"))
    """The id of the Build (`build` accepted, name accepted on input)."""
    version: Version = Field(default_factory=Version)
    """The build version to deploy; 0.0.0 means latest."""

    _v = field_validator("version", mode="before")(_parse_version)


class DeploymentImageBuild(KomodoModel):
    """Deploy a Komodo Build: `{"type": "Build", "params": {"build_id": ..., "version": ...}}`."""

    type: Literal["Build"] = "Build"
    """Always `Build`."""
    params: BuildParams = Field(default_factory=BuildParams)
    """The build and version."""


DeploymentImage = Annotated[DeploymentImageImage | DeploymentImageBuild, Field(discriminator="type")]
"""The image a Deployment runs: an external image or a Komodo Build, tagged by `type`."""


class RestartMode(StrEnum):
    """Docker restart policy of the container."""

    NoRestart = "no"
    OnFailure = "on-failure"
    Always = "always"
    UnlessStopped = "unless-stopped"


class DeploymentConfig(KomodoModel):
    """Configuration of a Deployment."""

    swarm_id: str = Field(default="", validation_alias=AliasChoices("swarm_id", "swarm"))
    """Swarm to deploy on as a service (Swarm mode; overrides server_id). Kept for compatibility."""
    server_id: str = Field(default="", validation_alias=AliasChoices("server_id", "server"))
    """Server to deploy the container on."""
    custom_name: str = ""
    """Container name, if different from the Deployment name."""
    image: DeploymentImage = Field(default_factory=DeploymentImageImage)
    """The image to deploy: an external image or a Komodo Build."""
    image_registry_account: str = ""
    """Registry account used to pull the image; empty uses the Build's account or none."""
    skip_secret_interp: bool = False
    """Skip secret interpolation into the environment."""
    redeploy_on_build: bool = False
    """Redeploy whenever the attached Build finishes."""
    poll_for_updates: bool = False
    """Poll the registry for a newer image."""
    auto_update: bool = False
    """Redeploy when a newer image is found (implies poll_for_updates)."""
    send_alerts: bool = True
    """Send ContainerStateChange alerts."""
    links: list[str] = Field(default_factory=list)
    """Quick links shown in the resource header."""
    network: str = "host"
    """The container network (`--network`)."""
    restart: RestartMode = RestartMode.NoRestart
    """The container restart mode."""
    command: str = ""
    """Appended to `docker run` after the image (command or arguments)."""
    replicas: int = 1
    """Number of service replicas (Swarm mode only)."""
    termination_signal: TerminationSignal = TerminationSignal.SigTerm
    """Default signal used to stop the container."""
    termination_timeout: int = 10
    """Seconds to wait before killing the container."""
    extra_args: list[str] = Field(default_factory=list)
    """Extra arguments for `docker run`."""
    term_signal_labels: str = ""
    """Labels per termination signal (`SIGNAL: label` lines)."""
    ports: str = ""
    """Port mappings `host: container` (ignored on the host network)."""
    volumes: str = ""
    """Volume mappings `host: container`."""
    environment: str = ""
    """Environment variables (`KEY=value` lines)."""
    labels: str = ""
    """Docker labels (`key: value` lines)."""

    _signal = field_validator("termination_signal", mode="before")(parse_termination_signal)
    _lists = field_validator("extra_args", mode="before")(parse_string_list)
    _term_labels = field_validator("term_signal_labels", mode="before")(parse_term_signal_labels)
    _conversions = field_validator("ports", "volumes", mode="before")(parse_conversions)
    _environment = field_validator("environment", mode="before")(parse_environment)
    _labels = field_validator("labels", mode="before")(parse_labels)


class DeploymentInfo(KomodoModel):
    """State Komodo keeps about a Deployment."""

    latest_image_digest: str = ""
    """The latest known digest of the image (`image@sha256:...`)."""
    deployed_name: str = ""
    """The container name used at the last deploy."""


class Deployment(Resource[DeploymentConfig, DeploymentInfo]):
    """A Deployment resource: the stored document and the answer of `GetDeployment`."""

    info: DeploymentInfo = Field(default_factory=DeploymentInfo)
    """Image digest and deployed name Komodo keeps."""
    config: DeploymentConfig = Field(default_factory=DeploymentConfig)
    """The deployment configuration."""


class DeploymentState(StrEnum):
    """State of a Deployment's container (snake_case in JSON)."""

    Deploying = "deploying"
    Running = "running"
    Created = "created"
    Restarting = "restarting"
    Stopping = "stopping"
    Removing = "removing"
    Paused = "paused"
    Exited = "exited"
    Dead = "dead"
    Unhealthy = "unhealthy"
    NotDeployed = "not_deployed"
    Unknown = "unknown"


class DeploymentListItemInfo(KomodoModel):
    """Deployment summary in `ListDeployments`."""

    state: DeploymentState = DeploymentState.Unknown
    """The container state."""
    status: str | None = None
    """Docker's status text (e.g. `Up 12 hours`)."""
    custom_name: str = ""
    """The container name if different from the Deployment name (deployed name if deployed)."""
    image: str = ""
    """The image of the deployment."""
    update_available: bool = False
    """Whether a newer image is available at the same tag."""
    swarm_id: str = ""
    """The swarm, in Swarm mode."""
    swarm_name: str = ""
    """The swarm name, in Swarm mode."""
    server_id: str = ""
    """The server the container runs on."""
    server_name: str = ""
    """The server name."""
    build_id: str | None = None
    """The attached Build, if any."""


class DeploymentListItem(ResourceListItem[DeploymentListItemInfo]):
    """A Deployment as `ListDeployments` returns it."""


class DeploymentQuerySpecifics(KomodoModel):
    """Deployment-specific filters of a query."""

    server_ids: list[str] = Field(default_factory=list)
    """Only deployments on these servers (ids)."""
    swarm_ids: list[str] = Field(default_factory=list)
    """Only deployments on these swarms (ids)."""
    build_ids: list[str] = Field(default_factory=list)
    """Only deployments of these builds (ids)."""
    update_available: bool = False
    """Only deployments with an image update available."""
    states: list[DeploymentState] = Field(default_factory=list)
    """Only deployments in these states (empty: any)."""


class DeploymentQuery(ResourceQuery[DeploymentQuerySpecifics]):
    """A query over Deployments."""


class DeploymentSortBy(StrEnum):
    """Sort orders of `ListDeployments`."""

    Name = "Name"
    Image = "Image"
    Host = "Host"
    State = "State"


class DeploymentActionState(KomodoModel):
    """Actions in progress on a Deployment."""

    pulling: bool = False
    """Pulling the image."""
    deploying: bool = False
    """Deploying."""
    updating: bool = False
    """Updating the config."""
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
    renaming: bool = False
    """Renaming."""


class GetDeploymentsSummaryResponse(KomodoModel):
    """Deployment counts (the answer of `GetDeploymentsSummary`)."""

    total: I64 = 0
    """Number of deployments."""
    running: I64 = 0
    """Deployments that are running."""
    stopped: I64 = 0
    """Deployments that are stopped or paused."""
    not_deployed: I64 = 0
    """Deployments that are not deployed."""
    unhealthy: I64 = 0
    """Deployments that are restarting, dead or created."""
    unknown: I64 = 0
    """Deployments in an unknown state."""


class GetDeploymentContainerResponse(KomodoModel):
    """A Deployment's state and container (the answer of `GetDeploymentContainer`)."""

    state: DeploymentState = DeploymentState.Unknown
    """The deployment state."""
    container: ContainerListItem | None = None
    """The container, if it exists."""


class CheckDeploymentForUpdateResponse(KomodoModel):
    """Whether a newer image is available for a Deployment."""

    deployment: str = ""
    """The deployment id."""
    update_available: bool = False
    """Whether an update is available."""


def container_name(name: str, custom_name: str = "") -> str:
    """The container a Deployment runs as: its `custom_name`, else its name, with spaces as underscores."""
    return (custom_name or name).strip().replace(" ", "_")
