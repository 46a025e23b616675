"""Where a files-on-host build's context and Dockerfile are on its builder's server.

As Komodo's periphery does (`build_dir/<name>/<build_path>`), a relative `build_path` is below the build's own
folder under the agent's repo root (`build-<name>`, the folder a repo build is cloned into); an absolute one is
that folder on the host, which the agent accepts only inside its repo root or a folder it allows
(`VARANUS_AGENT_HOST_DIRECTORIES`). Paths holding `..` are refused here, before anything runs.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from contracts.api.agent.build import DockerfileOnHost
from contracts.api.agent.repo import RepoLocation
from contracts.entities.build import Build
from services.common.errors import BadRequest, plain_reason


def build_folder(build: Build) -> RepoLocation:
    """The build's own folder under the agent's repo root (its clone, or its files on the host)."""
    return RepoLocation(name=f"build-{build.name}")


def host_dockerfile(build: Build) -> DockerfileOnHost:
    """The context folder, `build_path` and `dockerfile_path` of a files-on-host build; a 400 naming the path
    that cannot be used."""
    config = build.config
    build_path = config.build_path.strip() or "."
    dockerfile_path = config.dockerfile_path.strip() or "Dockerfile"
    for what, value in (("build_path", build_path), ("dockerfile_path", dockerfile_path)):
        if ".." in PurePosixPath(value).parts:
            raise BadRequest(
                f"build {build.name!r}: {what} {value!r} must not hold '..' (it would leave its folder)"
            )
    if PurePosixPath(dockerfile_path).is_absolute():
        raise BadRequest(
            f"build {build.name!r}: dockerfile_path {dockerfile_path!r} must be relative to build_path"
        )
    try:
        if PurePosixPath(build_path).is_absolute():
            return DockerfileOnHost(host_directory=build_path, dockerfile_path=dockerfile_path)
        return DockerfileOnHost(
            repo=build_folder(build),
            build_path=build_path,
            dockerfile_path=dockerfile_path,
        )
    except ValueError as err:
        raise BadRequest(f"build {build.name!r}: {plain_reason(err)}") from None
