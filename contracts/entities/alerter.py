"""Alerter: routes alerts to an endpoint (a JSON webhook, Slack, Discord, ntfy or Pushover), with filters."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from contracts.base import KomodoModel
from contracts.entities.common import (
    MaintenanceWindow,
    Resource,
    ResourceListItem,
    ResourceQuery,
    ResourceTarget,
)


class UrlEndpoint(KomodoModel):
    """An endpoint reached at a URL (variables interpolated; secrets redacted from errors)."""

    url: str = "http://localhost:7000"
    """Where alerts are sent."""


class NtfyEndpointParams(KomodoModel):
    """An ntfy topic."""

    url: str = "http://localhost:8080/komodo"
    """The topic URL."""
    email: str | None = None
    """Also send to this address."""


class CustomAlerterEndpoint(KomodoModel):
    """POST the full Alert as JSON."""

    type: Literal["Custom"] = "Custom"
    """Endpoint kind."""
    params: UrlEndpoint = Field(default_factory=UrlEndpoint)
    """Its URL."""


class SlackAlerterEndpoint(KomodoModel):
    """A Slack incoming webhook."""

    type: Literal["Slack"] = "Slack"
    """Endpoint kind."""
    params: UrlEndpoint = Field(
        default_factory=lambda: UrlEndpoint(url="https://hooks.slack.com/services/XXXXXXXXXXXX")
    )
    """Its webhook URL."""


class DiscordAlerterEndpoint(KomodoModel):
    """A Discord webhook."""

    type: Literal["Discord"] = "Discord"
    """Endpoint kind."""
    params: UrlEndpoint = Field(
        default_factory=lambda: UrlEndpoint(url="https://discord.com/api/webhooks/XXXXXXXXXXXX")
    )
    """Its webhook URL."""


class NtfyAlerterEndpoint(KomodoModel):
    """An ntfy topic."""

    type: Literal["Ntfy"] = "Ntfy"
    """Endpoint kind."""
    params: NtfyEndpointParams = Field(default_factory=NtfyEndpointParams)
    """The topic."""


class PushoverAlerterEndpoint(KomodoModel):
    """Pushover."""

    type: Literal["Pushover"] = "Pushover"
    """Endpoint kind."""
    params: UrlEndpoint = Field(
        default_factory=lambda: UrlEndpoint(
            url="https://api.pushover.net/1/messages.json?token=XXXX&user=XXXX"
        )
    )
    """The message URL with token and user."""


AlerterEndpoint = Annotated[
    CustomAlerterEndpoint
    | SlackAlerterEndpoint
    | DiscordAlerterEndpoint
    | NtfyAlerterEndpoint
    | PushoverAlerterEndpoint,
    Field(discriminator="type"),
]
"""`{"type": "Custom"|"Slack"|"Discord"|"Ntfy"|"Pushover", "params": {...}}`."""


class AlerterConfig(KomodoModel):
    """Configuration of an Alerter."""

    enabled: bool = False
    """Whether alerts are sent."""
    endpoint: AlerterEndpoint = Field(default_factory=CustomAlerterEndpoint)
    """Where alerts go."""
    alert_types: list[str] = Field(default_factory=list)
    """Only these alert types (AlertData variants); empty means all."""
    resources: list[ResourceTarget] = Field(default_factory=list)
    """Only alerts about these resources; empty means all."""
    except_resources: list[ResourceTarget] = Field(default_factory=list)
    """Never alerts about these resources."""
    maintenance_windows: list[MaintenanceWindow] = Field(default_factory=list)
    """Periods in which nothing is sent."""


class AlerterInfo(KomodoModel):
    """Alerters keep no state."""


class Alerter(Resource[AlerterConfig, AlerterInfo]):
    """Routes alerts to an endpoint."""

    info: AlerterInfo = Field(default_factory=AlerterInfo)
    """Empty."""
    config: AlerterConfig = Field(default_factory=AlerterConfig)
    """The alerter's configuration."""


class AlerterListItemInfo(KomodoModel):
    """Summary of an Alerter in lists."""

    enabled: bool = False
    """Whether alerts are sent."""
    endpoint_type: str = "Custom"
    """The endpoint kind."""


class AlerterListItem(ResourceListItem[AlerterListItemInfo]):
    """An Alerter as lists give it."""


class AlerterQuerySpecifics(KomodoModel):
    """Alerter-specific filters."""

    enabled: bool | None = None
    """Only enabled (or disabled) alerters."""
    types: list[str] = Field(default_factory=list)
    """Only these endpoint kinds."""


class AlerterQuery(ResourceQuery[AlerterQuerySpecifics]):
    """Query of ListAlerters."""


class GetAlertersSummaryResponse(KomodoModel):
    """Count of alerters."""

    total: int = 0
    """All alerters."""
