"""ExportAllResourcesToToml and ExportResourcesToToml: what the caller may read, as TOML."""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.api.read.toml import ExportAllResourcesToToml, ExportResourcesToToml, TomlResponse
from services.common.bus import RequestContext
from services.common.errors import Forbidden
from services.common.registry_client import credentials
from services.sync.export import export_toml
from services.sync.state import read_current

if TYPE_CHECKING:
    from services.sync.app import Sync


def register(app: Sync) -> None:
    """Answer both exports; resources and variables are read with the caller's own credentials (so only what
    they may read is exported), user groups need an admin."""

    async def export_all(req: ExportAllResourcesToToml, ctx: RequestContext) -> TomlResponse:
        if req.include_user_groups and not ctx.caller.admin:
            raise Forbidden("only admins may export user groups")
        current = await read_current(app.bus, credentials(ctx.headers), req.include_user_groups)
        groups = set(current.user_groups) if req.include_user_groups else None
        text = export_toml(
            current, None, list(req.tags), req.include_resources, req.include_variables, groups, req.existing
        )
        return TomlResponse(toml=text)

    async def export_some(req: ExportResourcesToToml, ctx: RequestContext) -> TomlResponse:
        if req.user_groups and not ctx.caller.admin:
            raise Forbidden("only admins may export user groups")
        current = await read_current(app.bus, credentials(ctx.headers), bool(req.user_groups))
        targets = {(t.type, t.id) for t in req.targets}
        groups = set(req.user_groups) if req.user_groups else None
        text = export_toml(current, targets, [], True, req.include_variables, groups, req.existing)
        return TomlResponse(toml=text)

    app.bus.handle(ExportAllResourcesToToml, export_all)
    app.bus.handle(ExportResourcesToToml, export_some)
