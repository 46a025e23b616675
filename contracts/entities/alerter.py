"""Alerter: routes alerts to an endpoint (a JSON webhook, Slack, Discord, ntfy, Pushover, or any apprise URL as a
Varanus extension), with filters."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from contracts.base import KomodoModel
from contracts.entities.alert import AlertDataVariant
from contracts.entities.common import (
    MaintenanceWindow,
    Resource,
    ResourceListItem,
    ResourceQuery,
    ResourceTarget,
)


class AlerterEndpointVariant(StrEnum):
    """Kinds of alerter endpoint (the `type` of AlerterEndpoint)."""

    Custom = "Custom"
    Slack = "Slack"
    Discord = "Discord"
    Ntfy = "Ntfy"
    Pushover = "Pushover"
    Apprise = "Apprise"


class CustomAlerterEndpoint(KomodoModel):
    """Params of a Custom endpoint: the full Alert is POSTed there as JSON."""

    url: str = "http://localhost:7000"
    """The http(s) endpoint to POST to (variables interpolated; secrets redacted from errors)."""


class SlackAlerterEndpoint(KomodoModel):
    """Params of a Slack endpoint."""

    url: str = "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"
    """The Slack app webhook URL."""


class DiscordAlerterEndpoint(KomodoModel):
    """Params of a Discord endpoint."""

    url: str = "https://discord.com/api/webhooks/XXXXXXXXXXXX/XXXX-XXXXXXXXXX"
    """The Discord webhook URL."""


class NtfyAlerterEndpoint(KomodoModel):
    """Params of an ntfy endpoint."""

    url: str = "http://localhost:8080/komodo"
    """The ntfy topic URL."""
    email: str | None = None
    """Also send e-mail notifications to this address (SMTP must be set up on the ntfy server)."""


class PushoverAlerterEndpoint(KomodoModel):
    """Params of a Pushover endpoint."""

    url: str = "https://api.pushover.net/1/messages.json?token=XXXXXXXXXXXXX&user=XXXXXXXXXXXXX"
    """The Pushover message URL with the application and user tokens as parameters."""


class AppriseAlerterEndpoint(KomodoModel):
    """Params of an Apprise endpoint (a Varanus extension): any URL apprise knows."""

    url: str = ""
    """An apprise URL: `mailto://user:pass@smtp.example.com?to=ops@example.com`, `json://host/path`,
    `tgram://bottoken/chatid`, `matrix://...`, `msteams://...`, `gotify://...` (variables interpolated; secrets
    redacted from errors). Checked when the alerter is written."""


class AlerterEndpointCustom(KomodoModel):
    """Send the alert serialized to JSON to an http endpoint."""

    type: Literal["Custom"] = "Custom"
    """Endpoint kind."""
    params: CustomAlerterEndpoint = Field(default_factory=CustomAlerterEndpoint)
    """Its URL."""


class AlerterEndpointSlack(KomodoModel):
    """Send a message to a Slack app webhook."""

    type: Literal["Slack"] = "Slack"
    """Endpoint kind."""
    params: SlackAlerterEndpoint = Field(default_factory=SlackAlerterEndpoint)
    """Its webhook URL."""


class AlerterEndpointDiscord(KomodoModel):
    """Send a message to a Discord webhook."""

    type: Literal["Discord"] = "Discord"
    """Endpoint kind."""
    params: DiscordAlerterEndpoint = Field(default_factory=DiscordAlerterEndpoint)
    """Its webhook URL."""


class AlerterEndpointNtfy(KomodoModel):
    """Send a message to an ntfy topic."""

    type: Literal["Ntfy"] = "Ntfy"
    """Endpoint kind."""
    params: NtfyAlerterEndpoint = Field(default_factory=NtfyAlerterEndpoint)
    """The topic URL and optional e-mail."""


class AlerterEndpointPushover(KomodoModel):
    """Send a message through Pushover."""

    type: Literal["Pushover"] = "Pushover"
    """Endpoint kind."""
    params: PushoverAlerterEndpoint = Field(default_factory=PushoverAlerterEndpoint)
    """The message URL with its tokens."""


class AlerterEndpointApprise(KomodoModel):
    """Send a message to any service apprise supports: e-mail over SMTP, Telegram, Matrix, Teams, Gotify, ...
    (a Varanus extension; Komodo has no such endpoint)."""

    type: Literal["Apprise"] = "Apprise"
    """Endpoint kind."""
    params: AppriseAlerterEndpoint = Field(default_factory=AppriseAlerterEndpoint)
    """The apprise URL."""


AlerterEndpoint = Annotated[
    AlerterEndpointCustom
    | AlerterEndpointSlack
    | AlerterEndpointDiscord
    | AlerterEndpointNtfy
    | AlerterEndpointPushover
    | AlerterEndpointApprise,
    Field(discriminator="type"),
]
"""`{"type": "Custom"|"Slack"|"Discord"|"Ntfy"|"Pushover"|"Apprise", "params": {...}}`."""


class AlerterConfig(KomodoModel):
    """Configuration of an Alerter."""

    enabled: bool = False
    """Whether alerts are sent."""
    endpoint: AlerterEndpoint = Field(default_factory=AlerterEndpointCustom)
    """Where alerts go (default: Custom at `http://localhost:7000`)."""
    alert_types: list[AlertDataVariant] = Field(default_factory=list)
    """Only these alert types (AlertData variants); empty means all."""
    resources: list[ResourceTarget] = Field(default_factory=list)
    """Only alerts about these resources; empty means all."""
    except_resources: list[ResourceTarget] = Field(default_factory=list)
    """Never alerts about these resources."""
    maintenance_windows: list[MaintenanceWindow] = Field(default_factory=list)
    """Periods in which nothing is sent."""
    message_template: str = ""
    """A Jinja2 template of the message text (a Varanus extension), rendered sandboxed over the alert's fields
    (`level`, `target`, `data`, `resolved`, `ts`, ...) plus `link`, `event` and `default` (the standard text);
    empty: the standard text. A template that fails to render sends the standard text and records why. Custom
    endpoints still get the Alert JSON."""


def _info_from_null(value: Any) -> Any:
    """Komodo writes the `()` info of this kind as `null`; read it as the empty info."""
    return {} if value is None else value


class AlerterInfo(KomodoModel):
    """Alerters keep no state."""


class Alerter(Resource[AlerterConfig, AlerterInfo]):
    """Routes alerts to an endpoint."""

    info: AlerterInfo = Field(default_factory=AlerterInfo)
    """Empty (Komodo writes `null`, which is accepted)."""
    config: AlerterConfig = Field(default_factory=AlerterConfig)
    """The alerter's configuration."""

    _info = field_validator("info", mode="before")(_info_from_null)


class AlerterListItemInfo(KomodoModel):
    """Summary of an Alerter in lists."""

    enabled: bool = False
    """Whether alerts are sent."""
    endpoint_type: AlerterEndpointVariant = AlerterEndpointVariant.Custom
    """The endpoint kind (`Slack`, `Custom`, ...)."""


class AlerterListItem(ResourceListItem[AlerterListItemInfo]):
    """An Alerter as lists give it."""


class AlerterQuerySpecifics(KomodoModel):
    """Alerter-specific filters."""

    enabled: bool | None = None
    """Only enabled (or disabled) alerters."""
    types: list[AlerterEndpointVariant] = Field(default_factory=list)
    """Only these endpoint kinds; empty does not filter."""


class AlerterQuery(ResourceQuery[AlerterQuerySpecifics]):
    """Query of ListAlerters."""


class AlerterSortBy(StrEnum):
    """Fields ListAlerters can sort by."""

    Name = "Name"
    Type = "Type"
    Enabled = "Enabled"


class GetAlertersSummaryResponse(KomodoModel):
    """Count of alerters."""

    total: int = 0
    """All alerters."""
