"""RefreshStackCache and WriteStackFileContents: a stack's files as they are now, and edits to its files.

RefreshStackCache reads the stack's files through its agent (pulling a git stack) and records in the registry
the services they declare, their contents (redacted), the files missing or unreadable, and the latest commit.
WriteStackFileContents writes one file as an Update: on the host for a stack with `files_on_host`; in the clone
of a git stack (its `repo` or `linked_repo`), committed and pushed to its branch; then the cache is refreshed
(Komodo's behaviour). A UI-defined stack is changed with UpdateStack.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from contracts.api.agent.compose import StackFiles, WriteComposeFile
from contracts.api.agent.compose_git import DEFAULT_AUTHOR_EMAIL, DEFAULT_AUTHOR_NAME, CommitComposeFile
from contracts.api.base import NoData
from contracts.api.write.stack import RefreshStackCache, WriteStackFileContents
from contracts.entities.common import PermissionLevel
from contracts.entities.server import Server
from contracts.entities.stack import FileContents, Stack, StackFileRequires, StackRemoteFileContents
from contracts.entities.update import Log, Operation, Update
from services.common.bus import RequestContext
from services.common.caller import Caller
from services.common.errors import BadRequest, ServiceError, plain_reason
from services.common.interpolation import Interpolation
from services.common.runs import now_ms
from services.executor.stacks.run import CONTENTS_TIMEOUT_SECONDS, latest_contents, prepared, target_of

if TYPE_CHECKING:
    from services.executor.app import Executor

COMMIT_TIMEOUT_SECONDS = CONTENTS_TIMEOUT_SECONDS
"""Longest a pull, commit and push of one file may take on the host."""


async def refresh_cache(
    executor: Executor, stack: Stack, server: Server, values: Interpolation, files: StackFiles
) -> None:
    """Read the stack's files as they are now (pulling a git stack) and record them in the stack's info."""
    latest = await latest_contents(executor, server, values, files)
    dependencies = {dep.path: dep for dep in stack.config.config_files}
    remote = []
    for file in latest.contents:
        dependency = dependencies.get(file.path)
        remote.append(
            StackRemoteFileContents(
                path=file.path,
                contents=file.contents,
                services=list(dependency.services) if dependency else [],
                requires=dependency.requires if dependency else StackFileRequires.Redeploy,
            ).model_dump(mode="json")
        )
    errors = list(latest.errors)
    if latest.config_error:
        errors.append(FileContents(path="docker compose config", contents=latest.config_error))
    await executor.registry.set_info(
        target_of(stack),
        {
            "latest_services": [s.model_dump(mode="json") for s in latest.services],
            "remote_contents": remote,
            "remote_errors": [{"path": e.path, "contents": values.redact(e.contents)} for e in errors],
            "missing_files": latest.missing_files,
            "latest_hash": latest.commit_hash,
            "latest_message": latest.commit_message,
        },
    )


def author_name(caller: Caller) -> str:
    """The caller as a commit author: their username (their id without one), stripped of what git refuses."""
    name = re.sub(r"[<>\x00-\x1f\x7f]", "", caller.username or caller.user_id).strip()
    return name or DEFAULT_AUTHOR_NAME


def commit_request(
    stack: Stack, files: StackFiles, req: WriteStackFileContents, caller: Caller
) -> CommitComposeFile:
    """The agent request that commits the file; a 400 for a pinned commit or a path that leaves the run directory."""
    git = files.git
    if git is not None and git.commit:
        raise BadRequest(
            f"stack {stack.name!r} pins commit {git.commit}: a file cannot be committed to a detached commit; "
            f"clear `commit` to commit to branch {git.branch!r}"
        )
    author = author_name(caller)
    try:
        return CommitComposeFile(
            stack=files,
            path=req.file_path,
            contents=req.contents,
            message=f"{author}: Write Stack File {req.file_path}",
            author_name=author,
            author_email=DEFAULT_AUTHOR_EMAIL,
        )
    except ValueError as err:
        raise BadRequest(f"file_path: {plain_reason(err)}") from None


def register(executor: Executor) -> None:
    """Answer RefreshStackCache and WriteStackFileContents."""

    async def refresh(req: RefreshStackCache, ctx: RequestContext) -> NoData:
        stack, server, values, files = await prepared(executor, ctx, req.stack)
        await refresh_cache(executor, stack, server, values, files)
        return NoData()

    async def write_and_refresh(
        stack: Stack,
        server: Server,
        values: Interpolation,
        files: StackFiles,
        request: WriteComposeFile | CommitComposeFile,
        ctx: RequestContext,
    ) -> Update:
        async def work(update: Update) -> list[Log]:
            answer = await executor.agents.ask(server, request, timeout=COMMIT_TIMEOUT_SECONDS)
            logs: list[Log] = answer if isinstance(answer, list) else [answer]
            if not logs or not all(log.success for log in logs):
                return logs
            start = now_ms()
            try:
                await refresh_cache(executor, stack, server, values, files)
            except ServiceError as err:
                failed = Log(
                    stage="Refresh Stack Cache",
                    stderr=f"the file was written, but the stack's cache was not refreshed: {err.message}",
                    success=False,
                    start_ts=start,
                    end_ts=now_ms(),
                )
                return [*logs, failed]
            return logs

        return await executor.runner.start(
            Operation.WriteStackContents, target_of(stack), ctx.caller.user_id, work, redact=values.redact
        )

    async def write_file(req: WriteStackFileContents, ctx: RequestContext) -> Update:
        stack, server, values, files = await prepared(executor, ctx, req.stack, PermissionLevel.Write)
        request: WriteComposeFile | CommitComposeFile
        if stack.config.files_on_host:
            try:
                request = WriteComposeFile(stack=files, path=req.file_path, contents=req.contents)
            except ValueError as err:
                raise BadRequest(f"file_path: {plain_reason(err)}") from None
            return await write_and_refresh(stack, server, values, files, request, ctx)
        if files.git is not None:
            request = commit_request(stack, files, req, ctx.caller)
            return await write_and_refresh(stack, server, values, files, request, ctx)
        raise BadRequest(
            f"stack {stack.name!r} does not keep its files on the host nor in a git repository: its compose "
            "file is `file_contents` in its config; change it with UpdateStack"
        )

    executor.bus.handle(RefreshStackCache, refresh)
    executor.bus.handle(WriteStackFileContents, write_file)
