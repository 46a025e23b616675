"""Build: builds a docker image on a Builder and pushes it to image registries, with versioned tags."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import AliasChoices, Field, field_validator

from contracts.base import KomodoModel
from contracts.entities.common import (
    I64,
    Resource,
    ResourceListItem,
    ResourceQuery,
    SystemCommand,
    Version,
)
from contracts.entities.docker import parse_environment, parse_labels, parse_string_list


def _parse_version(value: Any) -> Any:
    """Accept `"1.2.3"` for a Version (a bound classmethod cannot be a pydantic validator directly)."""
    return Version.parse(value)


class ImageRegistryConfig(KomodoModel):
    """A registry the built image is pushed to."""

    domain: str = ""
    """The registry domain (e.g. `docker.io`); empty means no push."""
    account: str = ""
    """The registry account."""
    organization: str = ""
    """An organization to push under; empty means the account."""

    def full_image_name(self, short_name: str) -> str:
        """`domain/organization/name`, `domain/account/name`, or the bare name when local only."""
        if self.domain and self.account:
            return f"{self.domain}/{self.organization or self.account}/{short_name}"
        return short_name


def _item_or_list(value: Any) -> Any:
    """Accept a single object where Komodo takes a list (it becomes a list of one)."""
    if isinstance(value, dict):
        return [value]
    return value


class BuildConfig(KomodoModel):
    """Configuration of a Build."""

    builder_id: str = Field(default="", validation_alias=AliasChoices("builder_id", "builder"))
    """The Builder that builds the image."""
    version: Version = Field(default_factory=Version)
    """The current version of the build."""
    auto_increment_version: bool = True
    """Increment the patch version on every build."""
    image_name: str = ""
    """Image name to push; empty means the build name."""
    image_tag: str = ""
    """Extra tag appended after the version (e.g. `1.2.3-aarch64`)."""
    include_latest_tag: bool = True
    """Push `:latest` (or `:latest-<image_tag>`)."""
    include_version_tags: bool = True
    """Push `:M.m.p`, `:M.m` and `:M` tags."""
    include_commit_tag: bool = True
    """Push a `:<short commit>` tag."""
    links: list[str] = Field(default_factory=list)
    """Quick links shown in the resource header."""
    linked_repo: str = ""
    """A Komodo Repo to source the build files from."""
    git_provider: str = "github.com"
    """The git provider domain."""
    git_https: bool = True
    """Clone over https (rather than http)."""
    git_account: str = ""
    """Git account for private repos; empty clones public repos only."""
    repo: str = ""
    """The repo to build from."""
    branch: str = "main"
    """The branch."""
    commit: str = ""
    """A specific commit hash to pin."""
    webhook_enabled: bool = True
    """Whether incoming webhooks trigger builds."""
    webhook_secret: str = ""
    """Webhook secret for this build; empty uses the core's."""
    files_on_host: bool = False
    """Build from files already on the host (`build_path` and `dockerfile_path`)."""
    build_path: str = "."
    """The build context, relative to the repo root."""
    dockerfile_path: str = "Dockerfile"
    """The Dockerfile, relative to the build path."""
    image_registry: list[ImageRegistryConfig] = Field(default_factory=list)
    """Registries to push to; the first is used by attached Deployments. Empty means local only."""
    skip_secret_interp: bool = False
    """Skip secret interpolation into the build args."""
    use_buildx: bool = False
    """Build with `docker buildx build`."""
    extra_args: list[str] = Field(default_factory=list)
    """Extra arguments for the build command."""
    pre_build: SystemCommand = Field(default_factory=SystemCommand)
    """Command run after the clone and before the build."""
    dockerfile: str = ""
    """UI-defined Dockerfile contents (supports interpolation)."""
    build_args: str = ""
    """Build arguments (`KEY=value` lines), visible in the final image."""
    secret_args: str = ""
    """Secret build arguments, mounted as build secrets (`RUN --mount=type=secret,id=KEY`)."""
    labels: str = ""
    """Docker labels (`key: value` lines)."""

    _v = field_validator("version", mode="before")(_parse_version)
    _registries = field_validator("image_registry", mode="before")(_item_or_list)
    _lists = field_validator("links", "extra_args", mode="before")(parse_string_list)
    _args = field_validator("build_args", "secret_args", mode="before")(parse_environment)
    _labels = field_validator("labels", mode="before")(parse_labels)


class BuildInfo(KomodoModel):
    """State Komodo keeps about a Build."""

    last_built_at: I64 = 0
    """When the build last ran successfully (unix ms)."""
    built_hash: str | None = None
    """Short commit hash last built."""
    built_message: str | None = None
    """Commit message last built."""
    built_contents: str | None = None
    """Dockerfile contents last built."""
    remote_path: str | None = None
    """Absolute path of the remote Dockerfile."""
    remote_contents: str | None = None
    """Dockerfile contents on the host or in the repo (empty for UI-defined Dockerfiles)."""
    remote_error: str | None = None
    """Error reading the remote Dockerfile."""
    latest_hash: str | None = None
    """Latest remote short commit hash."""
    latest_message: str | None = None
    """Latest remote commit message."""


class Build(Resource[BuildConfig, BuildInfo]):
    """A Build resource: the stored document and the answer of `GetBuild`."""

    info: BuildInfo = Field(default_factory=BuildInfo)
    """Build history and remote contents Komodo keeps."""
    config: BuildConfig = Field(default_factory=BuildConfig)
    """The build configuration."""


class BuildState(StrEnum):
    """Outcome of a Build's latest run."""

    Building = "Building"
    Ok = "Ok"
    Failed = "Failed"
    Unknown = "Unknown"


class BuildListItemInfo(KomodoModel):
    """Build summary in `ListBuilds`."""

    state: BuildState = BuildState.Unknown
    """Whether the latest build succeeded."""
    last_built_at: I64 = 0
    """When the build last ran (unix ms)."""
    version: Version = Field(default_factory=Version)
    """The current version."""
    builder_id: str = ""
    """The attached Builder."""
    files_on_host: bool = False
    """Whether the build uses files on the host."""
    dockerfile_contents: bool = False
    """Whether the build has a UI-defined Dockerfile."""
    linked_repo: str = ""
    """The linked Repo, if any."""
    linked_repo_name: str = ""
    """The linked Repo's name."""
    git_provider: str = ""
    """The git provider domain."""
    repo: str = ""
    """The repo."""
    branch: str = ""
    """The branch."""
    repo_link: str = ""
    """Full link to the repo."""
    built_hash: str | None = None
    """Short commit hash last built."""
    latest_hash: str | None = None
    """Latest short commit hash."""
    image_registry_domain: str | None = None
    """Domain of the first image registry."""

    _v = field_validator("version", mode="before")(_parse_version)


class BuildListItem(ResourceListItem[BuildListItemInfo]):
    """A Build as `ListBuilds` returns it."""


class BuildQuerySpecifics(KomodoModel):
    """Build-specific filters of a query."""

    builder_ids: list[str] = Field(default_factory=list)
    """Only builds on these Builders."""
    repos: list[str] = Field(default_factory=list)
    """Only builds of these repos."""
    linked_repos: list[str] = Field(default_factory=list)
    """Only builds with these linked Repos (ids)."""
    built_since: I64 = 0
    """Only builds built after this time (unix ms); 0 does not filter."""
    states: list[BuildState] = Field(default_factory=list)
    """Only builds in these states (empty: any)."""


class BuildQuery(ResourceQuery[BuildQuerySpecifics]):
    """A query over Builds."""


class BuildSortBy(StrEnum):
    """Sort orders of `ListBuilds`."""

    Name = "Name"
    Source = "Source"
    State = "State"


class BuildActionState(KomodoModel):
    """Actions in progress on a Build."""

    building: bool = False
    """Building."""


class GetBuildsSummaryResponse(KomodoModel):
    """Build counts (the answer of `GetBuildsSummary`)."""

    total: int = 0
    """Number of builds."""
    ok: int = 0
    """Builds whose latest run succeeded."""
    failed: int = 0
    """Builds whose latest run failed."""
    building: int = 0
    """Builds running now."""
    unknown: int = 0
    """Builds in an unknown state."""


class BuildStatsDay(KomodoModel):
    """Build time and count of one day."""

    time: float = 0.0
    """Total build time that day (hours)."""
    count: float = 0.0
    """Number of builds that day."""
    ts: float = 0.0
    """The day (unix ms)."""


class GetBuildMonthlyStatsResponse(KomodoModel):
    """Build time and count over 30 days (the answer of `GetBuildMonthlyStats`)."""

    total_time: float = 0.0
    """Total build time (hours)."""
    total_count: float = 0.0
    """Number of builds."""
    days: list[BuildStatsDay] = Field(default_factory=list)
    """Per-day breakdown."""


class BuildVersionResponseItem(KomodoModel):
    """A past successful build version (items of `ListBuildVersions`)."""

    version: Version = Field(default_factory=Version)
    """The version."""
    ts: I64 = 0
    """When it was built (unix ms)."""

    _v = field_validator("version", mode="before")(_parse_version)
