"""RefreshStackCache and WriteStackFileContents: a stack's files as they are now, and edits to files on the host.

RefreshStackCache reads the stack's files through its agent (pulling a git stack) and records in the registry
the services they declare, their contents (redacted), the files missing or unreadable, and the latest commit.
WriteStackFileContents writes one file of a stack whose files are on the host, as an Update.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.api.agent.compose import WriteComposeFile
from contracts.api.base import NoData
from contracts.api.write.stack import RefreshStackCache, WriteStackFileContents
from contracts.entities.common import PermissionLevel
from contracts.entities.stack import FileContents, StackFileRequires, StackRemoteFileContents
from contracts.entities.update import Log, Operation, Update
from services.common.bus import RequestContext
from services.common.errors import BadRequest
from services.executor.stacks.run import latest_contents, prepared, target_of

if TYPE_CHECKING:
    from services.executor.app import Executor


def register(executor: Executor) -> None:
    """Answer RefreshStackCache and WriteStackFileContents."""

    async def refresh(req: RefreshStackCache, ctx: RequestContext) -> NoData:
        stack, server, values, files = await prepared(executor, ctx, req.stack)
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
        return NoData()

    async def write_file(req: WriteStackFileContents, ctx: RequestContext) -> Update:
        stack, server, values, files = await prepared(executor, ctx, req.stack, PermissionLevel.Write)
        if not stack.config.files_on_host:
            raise BadRequest(
                f"stack {stack.name!r} does not keep its files on the host: "
                "change file_contents with UpdateStack, or commit to its repository"
            )
        try:
            request = WriteComposeFile(stack=files, path=req.file_path, contents=req.contents)
        except ValueError as err:
            raise BadRequest(f"file_path: {err}") from None

        async def work(update: Update) -> list[Log]:
            return [await executor.agents.ask(server, request)]

        return await executor.runner.start(
            Operation.WriteStackContents,
            target_of(stack),
            ctx.caller.user_id,
            work,
            redact=values.redact,
        )

    executor.bus.handle(RefreshStackCache, refresh)
    executor.bus.handle(WriteStackFileContents, write_file)
