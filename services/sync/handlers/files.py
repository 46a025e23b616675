"""WriteSyncFileContents and CommitSync: a sync's file written (to its file_contents, the host or git), then the
sync refreshed.

WriteSyncFileContents needs Write on the sync (as Komodo). CommitSync writes the system's resources in the
sync's scope into its file, so it needs a `managed` sync (or one without contents yet, as Komodo) and an admin:
the export is read as the `Resource Sync` user, which sees every resource.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from contracts.api.read.resource_sync import GetResourceSync
from contracts.api.write.resource_sync import CommitSync, WriteSyncFileContents
from contracts.entities.common import PermissionLevel, ResourceTarget, ResourceTargetVariant
from contracts.entities.resource_sync import ResourceSync
from contracts.entities.update import Log, Operation, Update
from services.common.bus import RequestContext
from services.common.errors import BadRequest, Forbidden
from services.common.runs import now_ms
from services.sync.export import export_toml
from services.sync.handlers.common import sync_with
from services.sync.pending import refresh
from services.sync.sources import read_sources
from services.sync.state import read_current
from services.sync.toml_files import SyncFileError, load_toml
from services.sync.writeback import author_name, commit_path, is_ui, relative_file, write_file

if TYPE_CHECKING:
    from services.sync.app import Sync


def register(app: Sync) -> None:
    """Answer WriteSyncFileContents and CommitSync."""

    def target_of(sync: ResourceSync) -> ResourceTarget:
        return ResourceTarget(type=ResourceTargetVariant.ResourceSync, id=sync.id)

    async def refreshed(sync: ResourceSync, logs: list[Log]) -> list[Log]:
        if all(log.success for log in logs):
            fresh: ResourceSync = await app.bus.request(
                GetResourceSync(sync=sync.id), app.sync_user_headers()
            )
            await refresh(app.registry, app.sync_user_headers(), app.settings, fresh, app.states)
        return logs

    async def existing_file(sync: ResourceSync) -> dict[str, Any]:
        """The sync's file as it is now, parsed (empty when it cannot be read or parsed): its `deploy` and
        `after` are kept by the commit."""
        try:
            sources = await read_sources(sync.config, app.settings, app.registry)
            merged: dict[str, Any] = {}
            for source in sources.files:
                for table, entries in load_toml(source.contents).items():
                    if isinstance(entries, list):
                        merged.setdefault(table, []).extend(entries)
            return merged
        except (SyncFileError, ValueError):
            return {}

    async def write(req: WriteSyncFileContents, ctx: RequestContext) -> Update:
        sync = await sync_with(app, ctx, req.sync, PermissionLevel.Write)
        path = "file_contents" if is_ui(sync) else relative_file(req.resource_path, req.file_path)
        author = author_name(ctx)

        async def work(update: Update) -> list[Log]:
            at = now_ms()
            first = Log(
                stage="File contents to write", stdout=req.contents, success=True, start_ts=at, end_ts=at
            )
            logs = await write_file(
                app.bus,
                app.registry,
                app.settings,
                sync,
                path,
                req.contents,
                author,
                f"{author}: Write {path}",
            )
            return await refreshed(sync, [first, *logs])

        return await app.runner.start(
            Operation.WriteSyncContents, target_of(sync), ctx.caller.user_id, work, ctx=ctx
        )

    async def commit(req: CommitSync, ctx: RequestContext) -> Update:
        sync = await sync_with(app, ctx, req.sync, PermissionLevel.Write)
        if not ctx.caller.admin:
            raise Forbidden("only admins may commit a sync: it exports every resource in its scope")
        fresh = is_ui(sync) and not sync.config.file_contents.strip()
        if not sync.config.managed and not fresh:
            raise BadRequest(f"sync {sync.name!r} is not managed: set `managed = true` to commit to its file")
        path = commit_path(sync)
        author = author_name(ctx)

        async def work(update: Update) -> list[Log]:
            config = sync.config
            current = await read_current(app.bus, app.sync_user_headers(), config.include_user_groups)
            current.resources.get(ResourceTargetVariant.ResourceSync, {}).pop(sync.name, None)
            groups = set(current.user_groups) if config.include_user_groups else None
            existing = await existing_file(sync)
            text = export_toml(
                current,
                None,
                list(config.match_tags),
                config.include_resources,
                config.include_variables,
                groups,
                existing,
            )
            logs = await write_file(
                app.bus,
                app.registry,
                app.settings,
                sync,
                path,
                text,
                author,
                f"{author}: Commit Resource Sync",
            )
            return await refreshed(sync, logs)

        return await app.runner.start(
            Operation.CommitSync, target_of(sync), ctx.caller.user_id, work, ctx=ctx
        )

    app.bus.handle(WriteSyncFileContents, write)
    app.bus.handle(CommitSync, commit)
