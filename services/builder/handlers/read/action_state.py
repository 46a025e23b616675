"""What a repo or a build is busy with: the actions whose leases are live in the builder's database."""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.api.read.build import GetBuildActionState
from contracts.api.read.repo import GetRepoActionState
from contracts.entities.build import BuildActionState
from contracts.entities.common import PermissionLevel, ResourceTarget, ResourceTargetVariant
from contracts.entities.repo import RepoActionState
from services.common.bus import RequestContext

if TYPE_CHECKING:
    from services.builder.app import Builder

REPO_ACTIONS = {"CloneRepo": "cloning", "PullRepo": "pulling", "BuildRepo": "building"}
"""RepoActionState flags, by the operation that sets them."""
BUILD_ACTIONS = {"RunBuild": "building"}
"""BuildActionState flags, by the operation that sets them."""


def register(builder: Builder) -> None:
    """Answer GetRepoActionState and GetBuildActionState."""
    registry = builder.registry

    async def repo_state(req: GetRepoActionState, ctx: RequestContext) -> RepoActionState:
        repo = await registry.repo_with(ctx.caller, req.repo, PermissionLevel.Read)
        live = await builder.runner.live(ResourceTarget(type=ResourceTargetVariant.Repo, id=repo.id))
        return RepoActionState.model_validate({REPO_ACTIONS[a]: True for a in live if a in REPO_ACTIONS})

    async def build_state(req: GetBuildActionState, ctx: RequestContext) -> BuildActionState:
        build = await registry.build_with(ctx.caller, req.build, PermissionLevel.Read)
        live = await builder.runner.live(ResourceTarget(type=ResourceTargetVariant.Build, id=build.id))
        return BuildActionState.model_validate({BUILD_ACTIONS[a]: True for a in live if a in BUILD_ACTIONS})

    builder.bus.handle(GetRepoActionState, repo_state)
    builder.bus.handle(GetBuildActionState, build_state)
