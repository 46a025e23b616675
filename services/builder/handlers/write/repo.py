"""RefreshRepoCache: the latest commit of the repo's branch on its git provider into the repo's info."""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.api.base import NoData
from contracts.api.write.repo import RefreshRepoCache
from contracts.entities.common import PermissionLevel
from services.builder.remote import latest_commit
from services.builder.repos import git_source, target_of
from services.common.bus import RequestContext

if TYPE_CHECKING:
    from services.builder.app import Builder


def register(builder: Builder) -> None:
    """Answer RefreshRepoCache (Write on the repo needed)."""

    async def refresh(req: RefreshRepoCache, ctx: RequestContext) -> NoData:
        repo = await builder.registry.repo_with(ctx.caller, req.repo, PermissionLevel.Write)
        latest_hash, latest_message = await latest_commit(await git_source(builder, repo))
        await builder.registry.set_info(
            target_of(repo), {"latest_hash": latest_hash, "latest_message": latest_message}
        )
        return NoData()

    builder.bus.handle(RefreshRepoCache, refresh)
