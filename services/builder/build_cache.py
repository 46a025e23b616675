"""RefreshBuildCache: a build's Dockerfile as its source has it now, and the latest commit, in the build's info
(Komodo's `remote_path`, `remote_contents`, `remote_error`, `latest_hash`, `latest_message`).

- files on the host: read by an agent of the build's Builder (GetDockerfileContentsOnHost); an error (no server
  Ok, no such file, a folder the agent does not allow) goes to `remote_error`.
- a repository (the build's own or its `linked_repo`'s): the builder reads the head of the branch itself, as
  RefreshRepoCache does (`services/builder/remote.py`), and the Dockerfile at `build_path/dockerfile_path` in
  it; a remote that cannot be read is a 400.
- a UI-defined Dockerfile: all of them cleared (the contents are the config's own).
"""

from __future__ import annotations

import os
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from contracts.api.agent.build import GetDockerfileContentsOnHost
from contracts.entities.build import Build
from contracts.entities.common import ResourceTarget, ResourceTargetVariant
from contracts.entities.stack import FileContents
from services.builder.backends import backend_for
from services.builder.build_files import host_dockerfile
from services.builder.remote import head_file
from services.common.errors import BadRequest, ServiceError
from services.common.git_sources import git_source

if TYPE_CHECKING:
    from services.builder.app import Builder

NOTHING: dict[str, Any] = {
    "remote_path": None,
    "remote_contents": None,
    "remote_error": None,
    "latest_hash": None,
    "latest_message": None,
}
"""The cached fields, cleared."""


def repo_dockerfile_path(build: Build) -> str:
    """The Dockerfile's path from the repository's root (`build_path/dockerfile_path`); a 400 when it would leave
    the repository."""
    config = build.config
    joined = os.path.normpath(os.path.join(config.build_path or ".", config.dockerfile_path or "Dockerfile"))
    if PurePosixPath(joined).is_absolute() or joined.split("/")[0] == "..":
        raise BadRequest(
            f"build {build.name!r}: build_path {config.build_path!r} and dockerfile_path "
            f"{config.dockerfile_path!r} leave the repository"
        )
    return joined


async def host_contents(builder: Builder, build: Build) -> FileContents:
    """The Dockerfile of a files-on-host build, read by an Ok server of its Builder."""
    where = host_dockerfile(build)
    backend = await backend_for(builder, build.config.builder_id, build.name, files_on_host=True)
    server = await backend.acquire()
    try:
        got: FileContents = await builder.agents.ask(server, GetDockerfileContentsOnHost(dockerfile=where))
        return got
    finally:
        await backend.release()


async def cached_info(builder: Builder, build: Build) -> dict[str, Any]:
    """The cache fields of the build's info as its source has them now."""
    config = build.config
    if config.files_on_host:
        try:
            found = await host_contents(builder, build)
        except ServiceError as err:
            return {**NOTHING, "remote_error": err.message}
        return {**NOTHING, "remote_path": found.path, "remote_contents": found.contents}
    what = f"build {build.name!r}"
    source = await git_source(
        builder.registry, builder.settings, config, what, linked_repo=config.linked_repo
    )
    if source is None:
        return dict(NOTHING)
    path = repo_dockerfile_path(build)
    latest_hash, latest_message, contents = await head_file(source, path)
    return {
        "remote_path": path,
        "remote_contents": contents.decode(errors="replace") if contents is not None else None,
        "remote_error": None
        if contents is not None
        else f"there is no file {path} in {source.url} ({source.branch})",
        "latest_hash": latest_hash[:7],
        "latest_message": latest_message,
    }


async def refresh(builder: Builder, build: Build) -> None:
    """Store the cache fields in the build's info (as System, through the registry)."""
    target = ResourceTarget(type=ResourceTargetVariant.Build, id=build.id)
    await builder.registry.set_info(target, await cached_info(builder, build))
