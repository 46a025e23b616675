"""General information about the system."""

from __future__ import annotations

from contracts.base import KomodoModel
from contracts.entities.common import Timelength


class GetVersionResponse(KomodoModel):
    """The version of the system."""

    version: str
    """The version string."""


class GetCoreInfoResponse(KomodoModel):
    """What clients need to know about the core."""

    title: str
    """Title shown in clients."""
    monitoring_interval: Timelength
    """How often servers are polled."""
    webhook_base_url: str = ""
    """Base URL of git webhooks."""
    transparent_mode: bool = False
    """Whether every user can read everything."""
    ui_write_disabled: bool = False
    """Whether the UI is read-only."""
    disable_non_admin_create: bool = False
    """Whether only admins may create resources."""
    disable_confirm_dialog: bool = False
    """Whether the UI skips confirmations."""
    disable_websocket_reconnect: bool = False
    """Whether the UI does not reconnect its websocket."""
    enable_fancy_toml: bool = False
    """Whether exported TOML uses the fancy style."""
    timezone: str = ""
    """The core's time zone."""
    public_key: str = ""
    """The core's public key."""
    default_pagination_limit: int = 50
    """Page size of lists without a limit."""
