"""The tags a build pushes, by Komodo's rules (§2.5), without I/O.

For every image name (one per `image_registry` entry with a domain, `domain/organization|account/name`; with no
such entry the local name only) and `postfix` = `-<image_tag>` when `image_tag` is set:

- `include_latest_tag`: `latest<postfix>`;
- `include_version_tags` and a version other than `0.0.0`: `M.m.p<postfix>`, `M.m<postfix>`, `M<postfix>`;
- `include_commit_tag` and a commit built from a repo: `<hash><postfix>`;
- `image_tag` set: the pure `<image_tag>` as well.

The first registry's name with the version (or commit, or latest) tag is the image attached Deployments run
(`services/common/build_image.py`), so every tag a Deployment can name is pushed.
"""

from __future__ import annotations

from contracts.entities.build import Build
from contracts.entities.common import Version
from services.common.build_image import short_name


def image_names(build: Build) -> list[str]:
    """The image name under each registry the build pushes to, or the local name when it pushes nowhere."""
    name = short_name(build)
    names: list[str] = []
    for registry in build.config.image_registry:
        domain = registry.domain.strip().rstrip("/")
        if not domain:
            continue
        namespace = registry.organization.strip() or registry.account.strip()
        full = f"{domain}/{namespace}/{name}" if namespace else f"{domain}/{name}"
        if full not in names:
            names.append(full)
    return names or [name]


def tag_suffixes(build: Build, version: Version, commit_hash: str) -> list[str]:
    """The tags (after `:`) of one image name, in Komodo's order, without duplicates."""
    config = build.config
    postfix = f"-{config.image_tag}" if config.image_tag else ""
    tags: list[str] = []
    if config.include_latest_tag:
        tags.append(f"latest{postfix}")
    if config.include_version_tags and not version.is_none():
        tags += [
            f"{version.major}.{version.minor}.{version.patch}{postfix}",
            f"{version.major}.{version.minor}{postfix}",
            f"{version.major}{postfix}",
        ]
    if config.include_commit_tag and commit_hash and (config.repo or config.linked_repo):
        tags.append(f"{commit_hash}{postfix}")
    if config.image_tag:
        tags.append(config.image_tag)
    if not tags:  # every include_* off and no image_tag: Docker still needs a tag to name the image
        tags.append("latest")
    return list(dict.fromkeys(tags))


def build_tags(build: Build, version: Version, commit_hash: str = "") -> list[str]:
    """Every `name:tag` the build of `version` (from `commit_hash`, if from a repo) is tagged with and pushes."""
    suffixes = tag_suffixes(build, version, commit_hash)
    return [f"{name}:{suffix}" for name in image_names(build) for suffix in suffixes]


def next_version(build: Build) -> Version:
    """The version this run builds: the patch bumped with `auto_increment_version`, else the current one."""
    current = build.config.version
    if not build.config.auto_increment_version:
        return current
    return Version(major=current.major, minor=current.minor, patch=current.patch + 1)
