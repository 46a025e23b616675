"""The Dockerfile of a files-on-host build: read (RefreshBuildCache) and written (WriteBuildFileContents) on the
host, inside its context folder (the build's folder under the repo root, or an allowed folder)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Final

from contracts.api.agent.build import DockerfileOnHost
from contracts.entities.stack import FileContents
from contracts.entities.update import Log
from services.agent.image_build.image import context_root
from services.agent.oplog import now_ms
from services.agent.repo.paths import inside_checkout, repo_folder
from services.agent.settings import AgentConfig
from services.common.errors import BadRequest

MAX_DOCKERFILE_BYTES: Final = 1024 * 1024
"""The largest Dockerfile read back."""


def dockerfile_path(config: AgentConfig, where: DockerfileOnHost, create: bool = False) -> Path:
    """The resolved Dockerfile of `where`; a `BadRequest` when it leaves its context folder (or that folder is
    not one the agent allows). With `create`, the context folder is made first (Komodo makes it too)."""
    if where.repo is not None and not create:
        folder = repo_folder(where.repo, config.repo_dir, config.host_directories)
        if not folder.is_dir():
            raise BadRequest(
                f"there is no Dockerfile at {folder}: the build's folder does not exist on this host"
            )
    root = context_root(config, where.repo, where.host_directory, create=create)
    assert root is not None  # DockerfileOnHost always names a folder
    relative = os.path.normpath(os.path.join(where.build_path or ".", where.dockerfile_path))
    return inside_checkout(root, relative, "dockerfile_path")


def _read(path: Path) -> str:
    with path.open("rb") as file:
        data = file.read(MAX_DOCKERFILE_BYTES + 1)
    if len(data) > MAX_DOCKERFILE_BYTES:
        raise ValueError(f"it is larger than {MAX_DOCKERFILE_BYTES} bytes")
    return data.decode(errors="replace")


async def read_dockerfile(config: AgentConfig, where: DockerfileOnHost) -> FileContents:
    """The Dockerfile's path and contents; a `BadRequest` saying why it cannot be read."""
    path = dockerfile_path(config, where)
    try:
        contents = await asyncio.to_thread(_read, path)
    except FileNotFoundError:
        raise BadRequest(f"there is no Dockerfile at {path}") from None
    except (OSError, ValueError) as err:
        raise BadRequest(f"could not read the Dockerfile at {path}: {err}") from None
    return FileContents(path=str(path), contents=contents)


def _write(path: Path, contents: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(contents)


async def write_dockerfile(config: AgentConfig, where: DockerfileOnHost, contents: str) -> Log:
    """Write the Dockerfile (its folders made below the context folder); a failed Log when the host refuses."""
    start = now_ms()
    path = dockerfile_path(config, where, create=True)
    stage = "Write Dockerfile"
    try:
        await asyncio.to_thread(_write, path, contents)
    except OSError as err:
        message = f"could not write the Dockerfile to {path}: {err}"
        return Log(stage=stage, stderr=message, success=False, start_ts=start, end_ts=now_ms())
    text = f"File contents written to {path}"
    return Log(stage=stage, stdout=text, success=True, start_ts=start, end_ts=now_ms())
