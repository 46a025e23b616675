"""Where a files-on-host build's Dockerfile is, and a repo build's Dockerfile path in its repository."""

from __future__ import annotations

from typing import Any

import pytest

from contracts.entities.build import Build
from services.builder.build_cache import repo_dockerfile_path
from services.builder.build_files import host_dockerfile
from services.common.errors import BadRequest


def build(**config: Any) -> Build:
    return Build.model_validate({"name": "web", "config": {"files_on_host": True, **config}})


def test_a_relative_build_path_is_below_the_builds_folder() -> None:
    where = host_dockerfile(build(build_path="app", dockerfile_path="docker/Dockerfile"))
    assert where.repo is not None and where.repo.name == "build-web"
    assert (where.host_directory, where.build_path, where.dockerfile_path) == ("", "app", "docker/Dockerfile")


def test_an_absolute_build_path_is_that_folder_on_the_host() -> None:
    where = host_dockerfile(build(build_path="/srv/web", dockerfile_path="Dockerfile"))
    assert (where.repo, where.host_directory, where.build_path) == (None, "/srv/web", ".")


@pytest.mark.parametrize(
    ("config", "reason"),
    [
        ({"build_path": "../etc"}, "build_path '../etc' must not hold '..'"),
        ({"build_path": "/srv/../etc"}, "build_path '/srv/../etc' must not hold '..'"),
        ({"dockerfile_path": "../../Dockerfile"}, "dockerfile_path '../../Dockerfile' must not hold '..'"),
        ({"dockerfile_path": "/etc/Dockerfile"}, "must be relative to build_path"),
    ],
)
def test_paths_leaving_their_folder_are_refused(config: dict[str, Any], reason: str) -> None:
    with pytest.raises(BadRequest, match=reason.replace(".", r"\.")):
        host_dockerfile(build(**config))


def test_the_repo_path_joins_build_path_and_dockerfile_path() -> None:
    assert repo_dockerfile_path(build(build_path=".", dockerfile_path="Dockerfile")) == "Dockerfile"
    assert (
        repo_dockerfile_path(build(build_path="app/", dockerfile_path="d/Dockerfile")) == "app/d/Dockerfile"
    )
    with pytest.raises(BadRequest, match="leave the repository"):
        repo_dockerfile_path(build(build_path="app", dockerfile_path="../../Dockerfile"))
