"""General reads: GetVersion and GetCoreInfo."""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.api.read.general import GetCoreInfo, GetVersion
from contracts.entities.core_info import GetCoreInfoResponse, GetVersionResponse
from services.common.bus import RequestContext
from services.common.version import VERSION

if TYPE_CHECKING:
    from services.registry.app import Registry


def register(registry: Registry) -> None:
    """Answer GetVersion and GetCoreInfo from the version and the settings."""
    settings = registry.settings

    async def version(req: GetVersion, ctx: RequestContext) -> GetVersionResponse:
        return GetVersionResponse(version=VERSION)

    async def core_info(req: GetCoreInfo, ctx: RequestContext) -> GetCoreInfoResponse:
        return GetCoreInfoResponse(
            title=settings.title,
            monitoring_interval=settings.monitoring_interval,
            webhook_base_url=settings.webhook_base_url or settings.host,
            transparent_mode=settings.transparent_mode,
            ui_write_disabled=settings.ui_write_disabled,
            disable_non_admin_create=settings.disable_non_admin_create,
            disable_confirm_dialog=settings.disable_confirm_dialog,
            disable_websocket_reconnect=settings.disable_websocket_reconnect,
            enable_fancy_toml=settings.enable_fancy_toml,
            timezone=settings.timezone,
            default_pagination_limit=settings.default_pagination_limit,
        )

    registry.bus.handle(GetVersion, version)
    registry.bus.handle(GetCoreInfo, core_info)
