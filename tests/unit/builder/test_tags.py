"""Komodo's tag rules for a build's image, and the version a run builds."""

from __future__ import annotations

from typing import Any

from contracts.entities.build import Build
from contracts.entities.common import Version
from services.builder.tags import build_tags, image_names, next_version


def build(**config: Any) -> Build:
    return Build.model_validate({"name": "Web App", "config": config})


def test_all_tags_by_default_for_a_repo_build() -> None:
    tags = build_tags(build(repo="team/web"), Version(major=1, minor=2, patch=3), "abc1234")
    assert tags == ["web_app:latest", "web_app:1.2.3", "web_app:1.2", "web_app:1", "web_app:abc1234"]


def test_image_tag_is_a_postfix_and_a_tag_of_its_own() -> None:
    tags = build_tags(build(image_name="api", image_tag="arm64"), Version(major=2, minor=0, patch=1))
    assert tags == ["api:latest-arm64", "api:2.0.1-arm64", "api:2.0-arm64", "api:2-arm64", "api:arm64"]


def test_flags_turn_tags_off_and_no_commit_tag_without_a_repo() -> None:
    config = {"image_name": "api", "include_latest_tag": False, "include_version_tags": False}
    assert build_tags(build(**config), Version(major=1), "abc1234") == ["api:latest"]
    assert build_tags(build(**config, repo="team/api"), Version(major=1), "abc1234") == ["api:abc1234"]


def test_version_zero_pushes_no_version_tags() -> None:
    assert build_tags(build(image_name="api"), Version()) == ["api:latest"]


def test_every_registry_with_a_domain_gets_the_tags() -> None:
    registries = [
        {"domain": "127.0.0.1:5000", "organization": "acme", "account": "bot"},
        {"domain": "ghcr.io", "account": "bot"},
        {"domain": "", "account": "nobody"},
    ]
    assert image_names(build(image_name="api", image_registry=registries)) == [
        "127.0.0.1:5000/acme/api",
        "ghcr.io/bot/api",
    ]


def test_next_version_bumps_the_patch_only_when_asked() -> None:
    assert next_version(build(version="1.2.3")) == Version(major=1, minor=2, patch=4)
    assert next_version(build(version="1.2.3", auto_increment_version=False)) == Version(
        major=1, minor=2, patch=3
    )
