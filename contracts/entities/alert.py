"""Alerts: opened and resolved by the system, routed by Alerters.

An alert's `data` is Komodo's tagged `AlertData`: `{"type": <variant>, "data": {...}}`, one model per variant
below. `SwarmUnhealthy` is kept for JSON compatibility although Varanus does not manage Docker Swarm.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from contracts.api.base import ErrorEnvelope
from contracts.base import KomodoModel, MongoId, id_field
from contracts.entities.common import I64, ResourceTarget, ResourceTargetVariant, SeverityLevel, Version
from contracts.entities.deployment import DeploymentState
from contracts.entities.stack import StackState


class AlertDataVariant(StrEnum):
    """Kinds of alert: the `type` of AlertData, and the values of an Alerter's `alert_types`."""

    None_ = "None"
    Test = "Test"
    SwarmUnhealthy = "SwarmUnhealthy"
    ServerUnreachable = "ServerUnreachable"
    ServerCpu = "ServerCpu"
    ServerMem = "ServerMem"
    ServerDisk = "ServerDisk"
    ServerVersionMismatch = "ServerVersionMismatch"
    ContainerStateChange = "ContainerStateChange"
    DeploymentImageUpdateAvailable = "DeploymentImageUpdateAvailable"
    DeploymentAutoUpdated = "DeploymentAutoUpdated"
    StackStateChange = "StackStateChange"
    StackImageUpdateAvailable = "StackImageUpdateAvailable"
    StackAutoUpdated = "StackAutoUpdated"
    AwsBuilderTerminationFailed = "AwsBuilderTerminationFailed"
    ResourceSyncPendingUpdates = "ResourceSyncPendingUpdates"
    BuildFailed = "BuildFailed"
    RepoBuildFailed = "RepoBuildFailed"
    ProcedureFailed = "ProcedureFailed"
    ActionFailed = "ActionFailed"
    ScheduleRun = "ScheduleRun"
    Custom = "Custom"


def _parse_version(value: Any) -> Any:
    """Accept `"1.2.3"` for a Version."""
    return Version.parse(value)


# ---------------------------------------------------------------------------------------------------------
# Variant data


class NoAlertData(KomodoModel):
    """The data of a `None` alert: `{}`."""


class AlertResourceData(KomodoModel):
    """The resource an alert is about, by id and name."""

    id: str = ""
    """The id of the resource."""
    name: str = ""
    """The name of the resource."""


class SwarmUnhealthyData(AlertResourceData):
    """A swarm is unhealthy (kept for compatibility; Varanus does not manage swarms)."""

    err: ErrorEnvelope | None = None
    """The error, if there was one."""


class ServerAlertData(AlertResourceData):
    """A server an alert is about, with its region."""

    region: str | None = None
    """The region of the server."""


class ServerUnreachableData(ServerAlertData):
    """A server could not be reached."""

    err: ErrorEnvelope | None = None
    """The error, if there was one."""


class ServerCpuData(ServerAlertData):
    """A server has high CPU usage."""

    percentage: float = 0.0
    """CPU usage in percent."""


class ServerMemData(ServerAlertData):
    """A server has high memory usage."""

    used_gb: float = 0.0
    """Used memory in GB."""
    total_gb: float = 0.0
    """Total memory in GB."""


class ServerDiskData(ServerAlertData):
    """A server has high usage on one disk."""

    path: str = ""
    """Mount path of the disk."""
    used_gb: float = 0.0
    """Used space in GB."""
    total_gb: float = 0.0
    """Size of the disk in GB."""


class ServerVersionMismatchData(ServerAlertData):
    """A server's agent runs another version than the core."""

    server_version: str = ""
    """The agent's version."""
    core_version: str = ""
    """The core's version."""


class PlacedAlertData(AlertResourceData):
    """A deployment or stack an alert is about, with the server (or swarm) it runs on."""

    server_id: str | None = None
    """Id of the server it runs on."""
    server_name: str | None = None
    """Name of that server."""
    swarm_id: str | None = None
    """Id of the swarm it runs on (kept for compatibility)."""
    swarm_name: str | None = None
    """Name of that swarm."""


class ContainerStateChangeData(PlacedAlertData):
    """A deployment's container changed state unexpectedly."""

    from_: DeploymentState = Field(default=DeploymentState.Unknown, alias="from")
    """The previous state (`from` in JSON)."""
    to: DeploymentState = DeploymentState.Unknown
    """The current state."""


class DeploymentImageData(PlacedAlertData):
    """A deployment's image has an update, or was updated automatically."""

    image: str = ""
    """The image."""


class StackStateChangeData(PlacedAlertData):
    """A stack changed state unexpectedly."""

    from_: StackState = Field(default=StackState.Unknown, alias="from")
    """The previous state (`from` in JSON)."""
    to: StackState = StackState.Unknown
    """The current state."""


class StackImageUpdateAvailableData(PlacedAlertData):
    """A stack service's image has an update."""

    service: str = ""
    """The service whose image can be updated."""
    image: str = ""
    """The image."""


class StackAutoUpdatedData(PlacedAlertData):
    """A stack was redeployed because its images were updated."""

    images: list[str] = Field(default_factory=list)
    """The images that were updated."""


class AwsBuilderTerminationFailedData(KomodoModel):
    """An AWS build instance could not be terminated."""

    instance_id: str = ""
    """The EC2 instance id."""
    message: str = ""
    """Why it failed."""


class BuildFailedData(AlertResourceData):
    """A build failed."""

    version: Version = Field(default_factory=Version)
    """The version that failed to build."""

    _version = field_validator("version", mode="before")(_parse_version)


class ScheduleRunData(AlertResourceData):
    """A scheduled procedure or action was started."""

    resource_type: ResourceTargetVariant = ResourceTargetVariant.Procedure
    """Procedure or Action."""


class CustomAlertData(KomodoModel):
    """An alert sent with SendAlert."""

    message: str = ""
    """The message."""
    details: str = ""
    """More text; may be empty."""


# ---------------------------------------------------------------------------------------------------------
# Variants


class AlertDataNone(KomodoModel):
    """A null alert."""

    type: Literal["None"] = "None"
    """Kind of alert."""
    data: NoAlertData = Field(default_factory=NoAlertData)
    """Empty."""


class AlertDataTest(KomodoModel):
    """A user tested an Alerter (TestAlerter)."""

    type: Literal["Test"] = "Test"
    """Kind of alert."""
    data: AlertResourceData = Field(default_factory=AlertResourceData)
    """The alerter."""


class AlertDataSwarmUnhealthy(KomodoModel):
    """A swarm is unhealthy (Komodo 2 only; kept for compatibility)."""

    type: Literal["SwarmUnhealthy"] = "SwarmUnhealthy"
    """Kind of alert."""
    data: SwarmUnhealthyData = Field(default_factory=SwarmUnhealthyData)
    """The swarm and the error."""


class AlertDataServerUnreachable(KomodoModel):
    """A server could not be reached."""

    type: Literal["ServerUnreachable"] = "ServerUnreachable"
    """Kind of alert."""
    data: ServerUnreachableData = Field(default_factory=ServerUnreachableData)
    """The server and the error."""


class AlertDataServerCpu(KomodoModel):
    """A server has high CPU usage."""

    type: Literal["ServerCpu"] = "ServerCpu"
    """Kind of alert."""
    data: ServerCpuData = Field(default_factory=ServerCpuData)
    """The server and its CPU usage."""


class AlertDataServerMem(KomodoModel):
    """A server has high memory usage."""

    type: Literal["ServerMem"] = "ServerMem"
    """Kind of alert."""
    data: ServerMemData = Field(default_factory=ServerMemData)
    """The server and its memory usage."""


class AlertDataServerDisk(KomodoModel):
    """A server has high disk usage."""

    type: Literal["ServerDisk"] = "ServerDisk"
    """Kind of alert."""
    data: ServerDiskData = Field(default_factory=ServerDiskData)
    """The server, the disk and its usage."""


class AlertDataServerVersionMismatch(KomodoModel):
    """A server's agent version differs from the core's."""

    type: Literal["ServerVersionMismatch"] = "ServerVersionMismatch"
    """Kind of alert."""
    data: ServerVersionMismatchData = Field(default_factory=ServerVersionMismatchData)
    """The server and both versions."""


class AlertDataContainerStateChange(KomodoModel):
    """A deployment's container changed state unexpectedly."""

    type: Literal["ContainerStateChange"] = "ContainerStateChange"
    """Kind of alert."""
    data: ContainerStateChangeData = Field(default_factory=ContainerStateChangeData)
    """The deployment and its states."""


class AlertDataDeploymentImageUpdateAvailable(KomodoModel):
    """A deployment's image has an update."""

    type: Literal["DeploymentImageUpdateAvailable"] = "DeploymentImageUpdateAvailable"
    """Kind of alert."""
    data: DeploymentImageData = Field(default_factory=DeploymentImageData)
    """The deployment and the image."""


class AlertDataDeploymentAutoUpdated(KomodoModel):
    """A deployment was redeployed because its image was updated."""

    type: Literal["DeploymentAutoUpdated"] = "DeploymentAutoUpdated"
    """Kind of alert."""
    data: DeploymentImageData = Field(default_factory=DeploymentImageData)
    """The deployment and the updated image."""


class AlertDataStackStateChange(KomodoModel):
    """A stack changed state unexpectedly."""

    type: Literal["StackStateChange"] = "StackStateChange"
    """Kind of alert."""
    data: StackStateChangeData = Field(default_factory=StackStateChangeData)
    """The stack and its states."""


class AlertDataStackImageUpdateAvailable(KomodoModel):
    """A stack service's image has an update."""

    type: Literal["StackImageUpdateAvailable"] = "StackImageUpdateAvailable"
    """Kind of alert."""
    data: StackImageUpdateAvailableData = Field(default_factory=StackImageUpdateAvailableData)
    """The stack, service and image."""


class AlertDataStackAutoUpdated(KomodoModel):
    """A stack was redeployed because its images were updated."""

    type: Literal["StackAutoUpdated"] = "StackAutoUpdated"
    """Kind of alert."""
    data: StackAutoUpdatedData = Field(default_factory=StackAutoUpdatedData)
    """The stack and the updated images."""


class AlertDataAwsBuilderTerminationFailed(KomodoModel):
    """An AWS build instance could not be terminated."""

    type: Literal["AwsBuilderTerminationFailed"] = "AwsBuilderTerminationFailed"
    """Kind of alert."""
    data: AwsBuilderTerminationFailedData = Field(default_factory=AwsBuilderTerminationFailedData)
    """The instance and the reason."""


class AlertDataResourceSyncPendingUpdates(KomodoModel):
    """A resource sync has pending changes."""

    type: Literal["ResourceSyncPendingUpdates"] = "ResourceSyncPendingUpdates"
    """Kind of alert."""
    data: AlertResourceData = Field(default_factory=AlertResourceData)
    """The sync."""


class AlertDataBuildFailed(KomodoModel):
    """A build failed."""

    type: Literal["BuildFailed"] = "BuildFailed"
    """Kind of alert."""
    data: BuildFailedData = Field(default_factory=BuildFailedData)
    """The build and version."""


class AlertDataRepoBuildFailed(KomodoModel):
    """A repo build failed."""

    type: Literal["RepoBuildFailed"] = "RepoBuildFailed"
    """Kind of alert."""
    data: AlertResourceData = Field(default_factory=AlertResourceData)
    """The repo."""


class AlertDataProcedureFailed(KomodoModel):
    """A procedure failed."""

    type: Literal["ProcedureFailed"] = "ProcedureFailed"
    """Kind of alert."""
    data: AlertResourceData = Field(default_factory=AlertResourceData)
    """The procedure."""


class AlertDataActionFailed(KomodoModel):
    """An action failed."""

    type: Literal["ActionFailed"] = "ActionFailed"
    """Kind of alert."""
    data: AlertResourceData = Field(default_factory=AlertResourceData)
    """The action."""


class AlertDataScheduleRun(KomodoModel):
    """A scheduled procedure or action was started."""

    type: Literal["ScheduleRun"] = "ScheduleRun"
    """Kind of alert."""
    data: ScheduleRunData = Field(default_factory=ScheduleRunData)
    """The procedure or action."""


class AlertDataCustom(KomodoModel):
    """A custom alert sent with SendAlert."""

    type: Literal["Custom"] = "Custom"
    """Kind of alert."""
    data: CustomAlertData = Field(default_factory=CustomAlertData)
    """The message and details."""


AlertData = Annotated[
    AlertDataNone
    | AlertDataTest
    | AlertDataSwarmUnhealthy
    | AlertDataServerUnreachable
    | AlertDataServerCpu
    | AlertDataServerMem
    | AlertDataServerDisk
    | AlertDataServerVersionMismatch
    | AlertDataContainerStateChange
    | AlertDataDeploymentImageUpdateAvailable
    | AlertDataDeploymentAutoUpdated
    | AlertDataStackStateChange
    | AlertDataStackImageUpdateAvailable
    | AlertDataStackAutoUpdated
    | AlertDataAwsBuilderTerminationFailed
    | AlertDataResourceSyncPendingUpdates
    | AlertDataBuildFailed
    | AlertDataRepoBuildFailed
    | AlertDataProcedureFailed
    | AlertDataActionFailed
    | AlertDataScheduleRun
    | AlertDataCustom,
    Field(discriminator="type"),
]
"""What an alert is about: `{"type": <AlertDataVariant>, "data": {...}}`."""


class Alert(KomodoModel):
    """An alert, open until resolved."""

    id: MongoId = id_field("The Mongo id of the alert.")
    """The Mongo id of the alert."""
    ts: I64
    """When it opened (unix ms)."""
    resolved: bool = False
    """Whether it is resolved."""
    level: SeverityLevel
    """OK, WARNING or CRITICAL."""
    target: ResourceTarget
    """The resource it is about."""
    data: AlertData = Field(default_factory=AlertDataNone)
    """What it is about."""
    resolved_ts: I64 | None = None
    """When it was resolved (unix ms)."""


class ListAlertsResponse(KomodoModel):
    """A page of alerts (the answer of ListAlerts)."""

    alerts: list[Alert] = Field(default_factory=list)
    """The alerts of this page, newest first."""
    next_page: I64 | None = None
    """The next page, when there are more alerts; null otherwise."""
