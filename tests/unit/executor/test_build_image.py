"""The image a Deployment attached to a Build runs: name, tag and registry (no I/O)."""

from __future__ import annotations

from typing import Any

import pytest

from contracts.entities.build import Build
from contracts.entities.common import Version
from services.common.build_image import build_image, docker_compatible_name, image_name, image_tag

NONE = Version()


def build(name: str = "api", info: dict[str, Any] | None = None, **config: Any) -> Build:
    return Build.model_validate({"name": name, "config": config, "info": info or {}})


@pytest.mark.parametrize(
    ("registry", "expected"),
    [
        ({"domain": "ghcr.io", "account": "bot", "organization": "acme"}, "ghcr.io/acme/api"),
        ({"domain": "ghcr.io", "organization": "acme"}, "ghcr.io/acme/api"),
        ({"domain": "ghcr.io", "account": "bot"}, "ghcr.io/bot/api"),
        ({"domain": "127.0.0.1:5000"}, "127.0.0.1:5000/api"),
        ({"domain": "", "account": "bot", "organization": "acme"}, "api"),
    ],
)
def test_the_first_registry_names_the_image(registry: dict[str, str], expected: str) -> None:
    assert image_name(build(image_registry=[registry])) == expected


def test_only_the_first_registry_counts_and_one_object_is_a_list() -> None:
    second = {"domain": "docker.io", "account": "other"}
    assert (
        image_name(build(image_registry=[{"domain": "ghcr.io", "account": "bot"}, second]))
        == "ghcr.io/bot/api"
    )
    assert image_name(build(image_registry={"domain": "ghcr.io", "account": "bot"})) == "ghcr.io/bot/api"


def test_image_name_overrides_the_build_name_which_is_made_docker_compatible() -> None:
    assert image_name(build(image_name="shop-api")) == "shop-api"
    assert image_name(build(name="My App.v2")) == "my_app_v2"
    assert docker_compatible_name("  _-Web API ") == "web_api"


@pytest.mark.parametrize(
    ("config", "info", "version", "expected"),
    [
        ({}, {}, Version(major=1, minor=2, patch=3), "1.2.3"),
        ({"image_tag": "arm64"}, {}, Version(major=1, minor=2, patch=3), "1.2.3-arm64"),
        ({}, {}, NONE, "latest"),
        ({"image_tag": "arm64"}, {}, NONE, "latest-arm64"),
        (
            {"include_version_tags": False, "repo": "acme/api"},
            {"built_hash": "a1b2c3d", "latest_hash": "ffffff0"},
            Version(major=1),
            "a1b2c3d",
        ),
        (
            {"include_version_tags": False, "linked_repo": "r1", "image_tag": "arm64"},
            {"built_hash": "a1b2c3d"},
            Version(major=1),
            "a1b2c3d-arm64",
        ),
        ({"include_version_tags": False, "repo": "acme/api"}, {}, Version(major=1), "latest"),
        (
            {"include_version_tags": False, "include_commit_tag": False, "repo": "acme/api"},
            {"built_hash": "a1b2c3d"},
            Version(major=1),
            "latest",
        ),
        ({"include_version_tags": False}, {"built_hash": "a1b2c3d"}, Version(major=1), "latest"),
        ({"include_version_tags": False, "image_tag": "arm64"}, {}, Version(major=1), "latest-arm64"),
    ],
)
def test_tag_is_version_then_built_commit_then_latest(
    config: dict[str, Any], info: dict[str, Any], version: Version, expected: str
) -> None:
    assert image_tag(build(info=info, **config), version) == expected


def test_version_zero_deploys_the_builds_current_version() -> None:
    registry = {"domain": "127.0.0.1:5000", "account": "varanus", "organization": "team"}
    attached = build(version="2.0.1", image_registry=[registry])
    pinned = build_image(attached, Version(major=1, minor=2, patch=3))
    assert pinned.image == "127.0.0.1:5000/team/api:1.2.3"
    assert pinned.version == Version(major=1, minor=2, patch=3)
    current = build_image(attached, NONE)
    assert current.image == "127.0.0.1:5000/team/api:2.0.1"
    assert current.version == Version(major=2, minor=0, patch=1)
    assert current.registry is not None and current.registry.account == "varanus"
    assert not current.local_only


def test_a_build_without_registry_is_a_local_image() -> None:
    local = build_image(build(version="0.3.0", image_registry=[{"account": "bot"}]), NONE)
    assert local.image == "api:0.3.0" and local.local_only and local.registry is None
    assert build_image(build(), NONE).image == "api:latest"
