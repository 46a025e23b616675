"""Where a sync's TOML comes from: its `file_contents`, files on the sync service's host, or git
(`git_files.py`).

Files on the host are read below one root (`KOMODO_SYNC_DIRECTORY`, default `<data_dir>/syncs`): each
`resource_path` is relative to it, a folder gives every `.toml` below it (sorted), and a path that leads out of
the root (`..`, an absolute path, a symlink) is refused.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from contracts.entities.resource_sync import ResourceSyncConfig
from services.common.errors import ServiceError
from services.common.git_sources import git_source
from services.common.registry_client import RegistryClient
from services.common.settings import Settings
from services.sync.git_files import git_files
from services.sync.toml_files import SourceFile, SyncFileError

UI_FILE = "file_contents"
"""The name errors give the inline TOML."""


def sync_root(settings: Settings) -> Path:
    """The folder `files_on_host` paths are relative to."""
    return (settings.sync_directory or settings.data_dir / "syncs").resolve()


def _confined(root: Path, relative: str) -> Path:
    path = (root / relative).resolve()
    if not path.is_relative_to(root):
        raise SyncFileError(f"resource_path {relative!r} leads outside the sync directory {str(root)!r}")
    return path


def host_files(root: Path, resource_paths: list[str]) -> list[SourceFile]:
    """The `.toml` files of each resource path below `root`; a SyncFileError for a path that is missing,
    unreadable or outside the root."""
    if not resource_paths:
        raise SyncFileError("files_on_host: resource_path is empty: give files or folders to read")
    files: list[SourceFile] = []
    for relative in resource_paths:
        path = _confined(root, relative)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*.toml") if p.is_file())
        elif path.is_file():
            found = [path]
        else:
            raise SyncFileError(f"resource_path {relative!r}: no such file or folder in {str(root)!r}")
        for file in found:
            _confined(root, str(file.relative_to(root)))
            shown = str(file.relative_to(root))
            try:
                contents = file.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as err:
                raise SyncFileError(f"{shown}: cannot be read: {err.__class__.__name__}") from None
            files.append(SourceFile(path=shown, contents=contents, resource_path=relative))
    return files


@dataclass
class Sources:
    """A sync's files, and the commit they came from (git sources)."""

    files: list[SourceFile]
    hash: str | None = None
    message: str | None = None


async def read_sources(config: ResourceSyncConfig, settings: Settings, registry: RegistryClient) -> Sources:
    """The sync's files: on the host when `files_on_host`, from git when it names a repo (or a linked Repo),
    else its `file_contents`; a SyncFileError when they cannot be read."""
    if config.files_on_host:
        return Sources(await asyncio.to_thread(host_files, sync_root(settings), list(config.resource_path)))
    if config.repo or config.linked_repo:
        try:
            source = await git_source(registry, settings, config, "resource sync", config.linked_repo)
        except ServiceError as err:
            raise SyncFileError(err.message) from None
        if source is None:
            raise SyncFileError("linked_repo names a Repo without a repository")
        found = await git_files(source, list(config.resource_path))
        return Sources(found.files, found.hash, found.message)
    return Sources([SourceFile(path=UI_FILE, contents=config.file_contents)])
