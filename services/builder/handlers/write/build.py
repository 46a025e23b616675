"""RefreshBuildCache and WriteBuildFileContents.

WriteBuildFileContents writes the build's Dockerfile as an Update (`WriteDockerfile`): on its Builder's server
for a files-on-host build (agent `WriteDockerfileContentsToHost`), committed and pushed to the branch for a repo
build (`services/common/git_write.py`), into `config.dockerfile` for a UI-defined one; then the cache is
refreshed, as Komodo does.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from contracts.api.agent.build import WriteDockerfileContentsToHost
from contracts.api.agent.compose import GitSource
from contracts.api.agent.compose_git import DEFAULT_AUTHOR_NAME
from contracts.api.base import NoData
from contracts.api.write.build import RefreshBuildCache, UpdateBuild, WriteBuildFileContents
from contracts.entities.build import Build
from contracts.entities.common import PermissionLevel
from contracts.entities.update import Log, Operation, Update
from services.builder import build_cache
from services.builder.backends import backend_for
from services.builder.build_files import host_dockerfile
from services.builder.handlers.execute.build import source_of, target_of
from services.common.bus import RequestContext
from services.common.errors import BadRequest, ServiceError, plain_reason
from services.common.git_write import commit_dockerfile
from services.common.runs import now_ms

if TYPE_CHECKING:
    from services.builder.app import Builder

Writer = Callable[[Build, str], Awaitable[list[Log]]]
"""Writes the Dockerfile somewhere: the Logs of what it did."""

WRITE_TIMEOUT_SECONDS = 60.0
"""Longest writing the Dockerfile on a host may take."""


def author_name(ctx: RequestContext) -> str:
    """The caller as a commit author: their username (their id without one), without what git refuses."""
    name = re.sub(r"[<>\x00-\x1f\x7f]", "", ctx.caller.username or ctx.caller.user_id).strip()
    return name or DEFAULT_AUTHOR_NAME


def simple_log(stage: str, text: str, success: bool = True) -> Log:
    """A Log of something done at once."""
    at = now_ms()
    if success:
        return Log(stage=stage, stdout=text, success=True, start_ts=at, end_ts=at)
    return Log(stage=stage, stderr=text, success=False, start_ts=at, end_ts=at)


def register(builder: Builder) -> None:
    """Answer RefreshBuildCache (Execute on the build needed, as Komodo: it changes no config) and
    WriteBuildFileContents (Write needed)."""
    registry = builder.registry

    async def refresh(req: RefreshBuildCache, ctx: RequestContext) -> NoData:
        build = await registry.build_with(ctx.caller, req.build, PermissionLevel.Execute)
        await build_cache.refresh(builder, build)
        return NoData()

    async def on_host(build: Build, contents: str) -> list[Log]:
        where = host_dockerfile(build)
        backend = await backend_for(builder, build.config.builder_id, build.name, files_on_host=True)
        server = await backend.acquire()
        try:
            request = WriteDockerfileContentsToHost(dockerfile=where, contents=contents)
            written: Log = await builder.agents.ask(server, request, timeout=WRITE_TIMEOUT_SECONDS)
            return [written]
        finally:
            await backend.release()

    def committed(build: Build, source: GitSource, author: str) -> Writer:
        if source.commit:
            raise BadRequest(
                f"build {build.name!r} pins commit {source.commit}: a Dockerfile cannot be committed to a detached "
                f"commit; clear `commit` to commit to branch {source.branch!r}"
            )
        path = build_cache.repo_dockerfile_path(build)

        async def commit(build: Build, contents: str) -> list[Log]:
            return await commit_dockerfile(source, path, contents, author)

        return commit

    async def in_config(build: Build, contents: str) -> list[Log]:
        await builder.bus.request(
            UpdateBuild(id=build.id, config={"dockerfile": contents}), registry.system_headers()
        )
        return [simple_log("Write Dockerfile", f"written to the config's dockerfile of build {build.name!r}")]

    async def write(req: WriteBuildFileContents, ctx: RequestContext) -> Update:
        build = await registry.build_with(ctx.caller, req.build, PermissionLevel.Write)
        config = build.config
        writer: Writer = in_config
        if config.files_on_host:
            host_dockerfile(build)  # a path that cannot be used is a 400 before the Update
            writer = on_host
        else:
            try:
                source = await source_of(builder, build)
            except ValueError as err:
                raise BadRequest(f"build {build.name!r}: {plain_reason(err)}") from None
            if source is not None:
                writer = committed(build, source, author_name(ctx))

        async def work(update: Update) -> list[Log]:
            logs = [simple_log("Dockerfile to write", req.contents)]
            logs += await writer(build, req.contents)
            if not all(log.success for log in logs):
                return logs
            try:
                await build_cache.refresh(builder, build)
            except ServiceError as err:
                text = f"the Dockerfile was written, but the build's cache was not refreshed: {err.message}"
                logs.append(simple_log("Refresh Build Cache", text, success=False))
            return logs

        return await builder.runner.start(
            Operation.WriteDockerfile, target_of(build), ctx.caller.user_id, work
        )

    builder.bus.handle(RefreshBuildCache, refresh)
    builder.bus.handle(WriteBuildFileContents, write)
