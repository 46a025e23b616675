"""The image a Deployment attached to a Build runs: Komodo's build → deployment naming, without I/O.

A Deployment whose image is `{"type": "Build", "params": {"build_id": ..., "version": ...}}` runs
`<name>:<tag>` (Komodo's `Build::get_deployment_image_name` / `get_deployment_image_tag`):

- name: the build's `image_name`, else its name (made Docker-compatible as Komodo stores build names); under the
  first `image_registry` entry that has a domain it is `domain/organization/name`, else `domain/account/name`,
  else `domain/name`. No such entry: the local image `name`, which only exists on the host that built it.
- version: the deployment's, or the build's current one when the deployment says `0.0.0`.
- tag: `M.m.p[-image_tag]` with `include_version_tags` (`latest[-image_tag]` while the version is still
  `0.0.0`, since no versioned tag was ever pushed); else the short hash of the commit last built
  (`built_hash`) for a repo build with `include_commit_tag`; else `latest[-image_tag]`.

Where Varanus differs from Komodo 2.3.2 (each time to name an image a build really pushes): a registry with a
domain but neither organization nor account gives `domain/name` (Komodo falls back to the bare name); version
`0.0.0` with version tags gives `latest` (Komodo: `0.0.0`); the `latest` fallback keeps the `-image_tag` postfix,
as the build pushes `:latest-<image_tag>`.
"""

from __future__ import annotations

from dataclasses import dataclass

from contracts.entities.build import Build, ImageRegistryConfig
from contracts.entities.common import Version


@dataclass(frozen=True)
class BuildImage:
    """The image a Deployment runs for a Build, and the registry it comes from."""

    name: str
    """The image name without tag (`127.0.0.1:5000/acme/api`, or `api` when local only)."""
    tag: str
    """The tag (`1.2.3`, `1.2.3-arm64`, `a1b2c3d`, `latest`)."""
    version: Version
    """The build version deployed (the deployment's, or the build's current one for `0.0.0`)."""
    registry: ImageRegistryConfig | None
    """The first image registry of the build with a domain; None when the image is local only."""

    @property
    def image(self) -> str:
        """The full image reference, `name:tag`."""
        return f"{self.name}:{self.tag}"

    @property
    def local_only(self) -> bool:
        """Whether the build pushes to no registry (its image exists only on the host that built it)."""
        return self.registry is None


def docker_compatible_name(name: str) -> str:
    """Komodo's `to_docker_compatible_name`: lowercased, anything but `a-z0-9_-` as `_`, leading non-alphanumerics
    stripped (Komodo stores build names this way; Varanus keeps the name as given, so it is applied here)."""
    converted = "".join(
        c if (c.isascii() and (c.islower() or c.isdigit())) or c in "_-" else "_"
        for c in name.strip().lower()
    )
    return converted.lstrip("_-")


def first_registry(build: Build) -> ImageRegistryConfig | None:
    """The registry attached Deployments pull from: the first `image_registry` entry, when it has a domain."""
    registries = build.config.image_registry
    if not registries or not registries[0].domain.strip():
        return None
    return registries[0]


def short_name(build: Build) -> str:
    """The image name before any registry: `image_name`, else the build's name made Docker-compatible."""
    given = build.config.image_name.strip()
    return given if given else docker_compatible_name(build.name)


def image_name(build: Build) -> str:
    """The image name attached Deployments run, without tag."""
    name = short_name(build)
    registry = first_registry(build)
    if registry is None:
        return name
    domain = registry.domain.strip().rstrip("/")
    namespace = registry.organization.strip() or registry.account.strip()
    return f"{domain}/{namespace}/{name}" if namespace else f"{domain}/{name}"


def deployed_version(build: Build, requested: Version) -> Version:
    """The version a deployment runs: the one it names, or the build's current one when it names `0.0.0`."""
    return build.config.version if requested.is_none() else requested


def image_tag(build: Build, version: Version) -> str:
    """The tag of `version` of the build's image, in Komodo's order: semver, commit hash, `latest`."""
    config = build.config
    postfix = f"-{config.image_tag}" if config.image_tag else ""
    if config.include_version_tags:
        return f"latest{postfix}" if version.is_none() else f"{version}{postfix}"
    built_hash = (build.info.built_hash or "").strip()
    from_repo = bool(config.repo or config.linked_repo)
    if from_repo and config.include_commit_tag and built_hash:
        return f"{built_hash}{postfix}"
    return f"latest{postfix}"


def build_image(build: Build, requested: Version) -> BuildImage:
    """The image a deployment of `build` at `requested` (`0.0.0`: the build's current version) runs."""
    version = deployed_version(build, requested)
    return BuildImage(
        name=image_name(build),
        tag=image_tag(build, version),
        version=version,
        registry=first_registry(build),
    )
