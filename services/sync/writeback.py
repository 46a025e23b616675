"""Writing a sync's file: `WriteSyncFileContents` and `CommitSync` (managed mode).

Where the file goes follows the sync's source: its `file_contents` (UpdateResourceSync, as the `Resource Sync`
user), a file below `KOMODO_SYNC_DIRECTORY` (confined as the reads are), or a commit pushed to its branch
(`services/common/git_write.py`: a throwaway dulwich clone, the token in the transport only, nothing forced).
"""

from __future__ import annotations

import asyncio
import posixpath
import re

from contracts.api.agent.compose_git import DEFAULT_AUTHOR_NAME
from contracts.api.write.resource_sync import UpdateResourceSync
from contracts.entities.resource_sync import ResourceSync
from contracts.entities.update import Log
from services.common.bus import Bus, RequestContext
from services.common.errors import BadRequest, ServiceError
from services.common.git_sources import git_source
from services.common.git_write import commit_file
from services.common.registry_client import RegistryClient
from services.common.runs import now_ms
from services.common.settings import Settings
from services.sync.sources import sync_root

STAGE = "Write Sync File"
"""The stage of the Log of a write to the host or to file_contents."""


def author_name(ctx: RequestContext) -> str:
    """The caller as a commit author: their username, without what git refuses."""
    name = re.sub(r"[<>\x00-\x1f\x7f]", "", ctx.caller.username or ctx.caller.user_id).strip()
    return name or DEFAULT_AUTHOR_NAME


def _log(text: str) -> Log:
    at = now_ms()
    return Log(stage=STAGE, stdout=text, success=True, start_ts=at, end_ts=at)


def relative_file(resource_path: str, file_path: str) -> str:
    """The file's path from the root (host) or the repository's root: `file_path` inside `resource_path`
    (a folder), or the resource path itself; a 400 for a path that leaves it."""
    joined = posixpath.normpath(posixpath.join(resource_path or ".", file_path or "."))
    if (
        resource_path.startswith("/")
        or file_path.startswith("/")
        or joined == ".."
        or joined.startswith("../")
    ):
        raise BadRequest(f"{resource_path}/{file_path} leads outside the sync's files")
    if joined == "." or not joined.endswith(".toml"):
        raise BadRequest(f"{joined!r} is not a .toml file: give the file's path")
    return joined


def is_git(sync: ResourceSync) -> bool:
    """Whether the sync reads git."""
    return not sync.config.files_on_host and bool(sync.config.repo or sync.config.linked_repo)


def is_ui(sync: ResourceSync) -> bool:
    """Whether the sync reads its `file_contents`."""
    return not sync.config.files_on_host and not is_git(sync)


async def write_file(
    bus: Bus,
    registry: RegistryClient,
    settings: Settings,
    sync: ResourceSync,
    path: str,
    contents: str,
    author: str,
    message: str,
) -> list[Log]:
    """Write `contents` where the sync reads `path` from (ignored for file_contents syncs); the Logs."""
    if is_ui(sync):
        await bus.request(
            UpdateResourceSync(id=sync.id, config={"file_contents": contents}), registry.system_headers()
        )
        return [_log(f"written to the file_contents of sync {sync.name!r}")]
    if sync.config.files_on_host:
        root = sync_root(settings)
        target = (root / path).resolve()
        if not target.is_relative_to(root):
            raise BadRequest(f"{path!r} leads outside the sync directory {str(root)!r}")

        def put() -> None:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(contents, encoding="utf-8")

        await asyncio.to_thread(put)
        return [_log(f"written to {path} in {str(root)!r}")]
    try:
        source = await git_source(
            registry, settings, sync.config, f"sync {sync.name!r}", sync.config.linked_repo
        )
    except ServiceError as err:
        raise BadRequest(err.message) from None
    if source is None:
        raise BadRequest(f"sync {sync.name!r} has no repository to commit to")
    if source.commit:
        raise BadRequest(
            f"sync {sync.name!r} pins commit {source.commit}: clear `commit` to commit to branch {source.branch!r}"
        )
    return await commit_file(source, path, contents, author, "Sync File", message)


def commit_path(sync: ResourceSync) -> str:
    """The file CommitSync writes: the single `.toml` resource path (host and git syncs); a 400 otherwise."""
    if is_ui(sync):
        return "file_contents"
    paths = list(sync.config.resource_path)
    if len(paths) != 1 or not paths[0].endswith(".toml"):
        raise BadRequest(
            f"sync {sync.name!r} must have exactly one resource_path, a .toml file, to commit to (it has {paths})"
        )
    return relative_file(paths[0], "")
