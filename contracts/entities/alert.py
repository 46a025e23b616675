"""Alerts: opened and resolved by the system, routed by Alerters."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import Field

from contracts.base import KomodoModel, MongoId, id_field
from contracts.entities.common import I64, ResourceTarget, SeverityLevel


class AlertDataVariant(StrEnum):
    """Kinds of alert (also the values of an Alerter's `alert_types`)."""

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


class AlertData(KomodoModel):
    """What an alert is about: `{"type": <variant>, "data": {...}}`.

    The data fields depend on the variant (for `ServerCpu`: `id`, `name`, `region`, `percentage`); they are kept
    as given here and typed by the alerting service.
    """

    type: AlertDataVariant = AlertDataVariant.None_
    """The kind of alert."""
    data: dict[str, Any] = Field(default_factory=dict)
    """The variant's fields."""


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
    data: AlertData = Field(default_factory=AlertData)
    """What it is about."""
    resolved_ts: I64 | None = None
    """When it was resolved (unix ms)."""


class ListAlertsResponse(KomodoModel):
    """A page of alerts."""

    alerts: list[Alert] = Field(default_factory=list)
    """The alerts of this page, newest first."""
    next_page: I64 | None = None
    """The next page, when there is one."""
