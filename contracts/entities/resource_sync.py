"""ResourceSync: declares resources in Komodo TOML (inline, on the host or in git) and applies the difference."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, field_validator

from contracts.base import KomodoModel
from contracts.entities.common import I64, Resource, ResourceListItem, ResourceQuery, ResourceTarget
from contracts.entities.docker import parse_file_contents, parse_string_list


class ResourceSyncConfig(KomodoModel):
    """Configuration of a ResourceSync."""

    linked_repo: str = ""
    """A Repo resource to read the files from (id; a name is accepted)."""
    git_provider: str = "github.com"
    """The git provider domain."""
    git_https: bool = True
    """Clone over https."""
    repo: str = ""
    """The repository, `owner/name`."""
    branch: str = "main"
    """The branch."""
    commit: str = ""
    """A commit to read instead of the branch head."""
    git_account: str = ""
    """Account whose token clones a private repository."""
    webhook_enabled: bool = True
    """Whether git webhooks trigger it."""
    webhook_secret: str = ""
    """Secret of its webhooks; empty means the core's."""
    files_on_host: bool = False
    """Read the files from the core host's sync directory."""
    resource_path: list[str] = Field(default_factory=list)
    """Files or folders (all `.toml` in them) to read."""
    managed: bool = False
    """Write changes made elsewhere back to the files (implies delete)."""
    delete: bool = False
    """Delete resources that the files do not declare."""
    include_resources: bool = True
    """Sync resources."""
    match_tags: list[str] = Field(default_factory=list)
    """Only resources carrying all these tags are in scope."""
    include_variables: bool = False
    """Sync variables."""
    include_user_groups: bool = False
    """Sync user groups."""
    pending_alert: bool = True
    """Alert while changes are pending."""
    file_contents: str = ""
    """Inline TOML, when not from files or git."""

    _lists = field_validator("resource_path", "match_tags", mode="before")(parse_string_list)
    _contents = field_validator("file_contents", mode="before")(parse_file_contents)


class DiffCreate(KomodoModel):
    """Data of a pending creation."""

    name: str = ""
    """Name of what would be created."""
    proposed: str = ""
    """Its TOML."""


class DiffUpdate(KomodoModel):
    """Data of a pending update."""

    proposed: str = ""
    """TOML after the change."""
    current: str = ""
    """TOML now."""


class DiffDelete(KomodoModel):
    """Data of a pending deletion."""

    current: str = ""
    """TOML of what would be deleted."""


class CreateDiff(KomodoModel):
    """Something would be created."""

    type: Literal["Create"] = "Create"
    """Kind of change."""
    data: DiffCreate = Field(default_factory=DiffCreate)
    """What."""


class UpdateDiff(KomodoModel):
    """Something would be updated."""

    type: Literal["Update"] = "Update"
    """Kind of change."""
    data: DiffUpdate = Field(default_factory=DiffUpdate)
    """What."""


class DeleteDiff(KomodoModel):
    """Something would be deleted."""

    type: Literal["Delete"] = "Delete"
    """Kind of change."""
    data: DiffDelete = Field(default_factory=DiffDelete)
    """What."""


DiffData = Annotated[CreateDiff | UpdateDiff | DeleteDiff, Field(discriminator="type")]
"""A pending change: `{"type": "Create"|"Update"|"Delete", "data": {...}}`."""


class ResourceDiff(KomodoModel):
    """A pending change to one resource."""

    target: ResourceTarget
    """The resource."""
    data: DiffData
    """The change."""


class SyncDeployTarget(KomodoModel):
    """A deployment or stack the sync would deploy."""

    target: ResourceTarget
    """What would be deployed."""
    reason: str = ""
    """Why."""
    after: list[ResourceTarget] = Field(default_factory=list)
    """What must be deployed first."""


class SyncFileContents(KomodoModel):
    """A file the sync read (or failed to read)."""

    resource_path: str = ""
    """The resource path it came from."""
    path: str
    """The file's path."""
    contents: str = ""
    """Its contents (or the error)."""


class ResourceSyncInfo(KomodoModel):
    """What the system knows of a sync's last run and pending changes."""

    last_sync_ts: I64 = 0
    """When it last ran (unix ms)."""
    last_sync_hash: str | None = None
    """Commit of the last run."""
    last_sync_message: str | None = None
    """Message of that commit."""
    resource_updates: list[ResourceDiff] = Field(default_factory=list)
    """Pending resource changes."""
    variable_updates: list[DiffData] = Field(default_factory=list)
    """Pending variable changes."""
    user_group_updates: list[DiffData] = Field(default_factory=list)
    """Pending user group changes."""
    pending_deploys: list[SyncDeployTarget] = Field(default_factory=list)
    """Pending deploys."""
    pending_error: str | None = None
    """Why the pending changes could not be computed."""
    pending_deploy_error: str | None = None
    """Why the pending deploys could not be computed."""
    pending_hash: str | None = None
    """Commit of the pending state."""
    pending_message: str | None = None
    """Message of that commit."""
    remote_contents: list[SyncFileContents] = Field(default_factory=list)
    """Files read."""
    remote_errors: list[SyncFileContents] = Field(default_factory=list)
    """Files that could not be read."""


class ResourceSync(Resource[ResourceSyncConfig, ResourceSyncInfo]):
    """Declarative configuration from TOML."""

    info: ResourceSyncInfo = Field(default_factory=ResourceSyncInfo)
    """Last run and pending changes."""
    config: ResourceSyncConfig = Field(default_factory=ResourceSyncConfig)
    """The sync's configuration."""


class ResourceSyncState(StrEnum):
    """State of a ResourceSync."""

    Syncing = "Syncing"
    Pending = "Pending"
    Ok = "Ok"
    Failed = "Failed"
    Unknown = "Unknown"


class ResourceSyncListItemInfo(KomodoModel):
    """Summary of a ResourceSync in lists."""

    last_sync_ts: I64 = 0
    """When it last ran (unix ms)."""
    files_on_host: bool = False
    """Whether files come from the host."""
    file_contents: bool = False
    """Whether the TOML is inline."""
    managed: bool = False
    """Whether it writes changes back."""
    resource_path: list[str] = Field(default_factory=list)
    """Files or folders read."""
    linked_repo: str = ""
    """Linked Repo id."""
    linked_repo_name: str | None = None
    """Linked Repo name."""
    git_provider: str = "github.com"
    """The git provider domain."""
    repo: str = ""
    """The repository."""
    branch: str = "main"
    """The branch."""
    repo_link: str = ""
    """Web link to the repository."""
    last_sync_hash: str | None = None
    """Commit of the last run."""
    last_sync_message: str | None = None
    """Message of that commit."""
    state: ResourceSyncState = ResourceSyncState.Unknown
    """The sync's state."""


class ResourceSyncListItem(ResourceListItem[ResourceSyncListItemInfo]):
    """A ResourceSync as lists give it."""


class ResourceSyncQuerySpecifics(KomodoModel):
    """ResourceSync-specific filters."""

    repos: list[str] = Field(default_factory=list)
    """Only syncs of these repositories."""
    linked_repos: list[str] = Field(default_factory=list)
    """Only syncs linked to these Repos."""


class ResourceSyncQuery(ResourceQuery[ResourceSyncQuerySpecifics]):
    """Query of ListResourceSyncs."""


class ResourceSyncActionState(KomodoModel):
    """What a ResourceSync is busy with."""

    syncing: bool = False
    """A sync runs."""


class ResourceSyncSortBy(StrEnum):
    """Fields ListResourceSyncs can sort by."""

    Name = "Name"
    Source = "Source"
    Branch = "Branch"
    State = "State"


class GetResourceSyncsSummaryResponse(KomodoModel):
    """Counts of syncs by state."""

    total: int = 0
    """All syncs."""
    ok: int = 0
    """Syncs in sync."""
    syncing: int = 0
    """Syncs running."""
    pending: int = 0
    """Syncs with pending changes."""
    failed: int = 0
    """Syncs whose last run failed."""
    unknown: int = 0
    """Syncs in an unknown state."""
