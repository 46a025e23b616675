"""Requests about repositories checked out on the host: CloneRepoOnHost and PullRepoOnHost."""

from __future__ import annotations

from contracts.api.agent import repo as api
from services.agent.context import AgentContext
from services.agent.handlers.base import HandlerTable, bind
from services.agent.repo.checkout import checkout


async def clone(ctx: AgentContext, request: api.CloneRepoOnHost) -> api.RepoOnHostResponse:
    """Answer CloneRepoOnHost: a fresh clone, the env file, `on_clone`; under its `build_key` (if any) for
    CancelImageBuild."""
    return await checkout(ctx.config, request.repo, fresh=True, running=ctx.builds, key=request.build_key)


async def pull(ctx: AgentContext, request: api.PullRepoOnHost) -> api.RepoOnHostResponse:
    """Answer PullRepoOnHost: pull (or clone when not a clone yet), the env file, `on_pull` (or `on_clone`)."""
    return await checkout(ctx.config, request.repo, fresh=False)


def handlers(ctx: AgentContext) -> HandlerTable:
    """The repo requests and their handlers."""
    return {
        api.CloneRepoOnHost: bind(ctx, clone),
        api.PullRepoOnHost: bind(ctx, pull),
    }
