"""Requests about image builds: BuildImage, CancelImageBuild, and the Dockerfile of a files-on-host build."""

from __future__ import annotations

from contracts.api.agent import build as api
from contracts.entities.stack import FileContents
from contracts.entities.update import Log
from services.agent.context import AgentContext
from services.agent.handlers.base import HandlerTable, bind
from services.agent.image_build.dockerfile import read_dockerfile, write_dockerfile
from services.agent.image_build.image import build_image


async def build(ctx: AgentContext, request: api.BuildImage) -> api.BuildImageResponse:
    """Answer BuildImage: check the paths, build with BuildKit, push, clean up (see `services.agent.image_build`)."""
    return await build_image(ctx, request)


async def cancel(ctx: AgentContext, request: api.CancelImageBuild) -> bool:
    """Answer CancelImageBuild: whether a build of that key was running (it is stopped now)."""
    return ctx.builds.cancel(request.build_key)


async def get_dockerfile(ctx: AgentContext, request: api.GetDockerfileContentsOnHost) -> FileContents:
    """Answer GetDockerfileContentsOnHost: the Dockerfile's path and contents."""
    return await read_dockerfile(ctx.config, request.dockerfile)


async def write_dockerfile_to_host(ctx: AgentContext, request: api.WriteDockerfileContentsToHost) -> Log:
    """Answer WriteDockerfileContentsToHost: the Log of the write."""
    return await write_dockerfile(ctx.config, request.dockerfile, request.contents)


def handlers(ctx: AgentContext) -> HandlerTable:
    """The build requests and their handlers."""
    return {
        api.BuildImage: bind(ctx, build),
        api.CancelImageBuild: bind(ctx, cancel),
        api.GetDockerfileContentsOnHost: bind(ctx, get_dockerfile),
        api.WriteDockerfileContentsToHost: bind(ctx, write_dockerfile_to_host),
    }
