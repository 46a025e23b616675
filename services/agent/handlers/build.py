"""Requests about image builds: BuildImage and CancelImageBuild."""

from __future__ import annotations

from contracts.api.agent import build as api
from services.agent.context import AgentContext
from services.agent.handlers.base import HandlerTable, bind
from services.agent.image_build.image import build_image


async def build(ctx: AgentContext, request: api.BuildImage) -> api.BuildImageResponse:
    """Answer BuildImage: check the paths, build with BuildKit, push, clean up (see `services.agent.image_build`)."""
    return await build_image(ctx, request)


async def cancel(ctx: AgentContext, request: api.CancelImageBuild) -> bool:
    """Answer CancelImageBuild: whether a build of that key was running (it is stopped now)."""
    return ctx.builds.cancel(request.build_key)


def handlers(ctx: AgentContext) -> HandlerTable:
    """The build requests and their handlers."""
    return {
        api.BuildImage: bind(ctx, build),
        api.CancelImageBuild: bind(ctx, cancel),
    }
