"""Repo: a git repository cloned on a Server (or built on a Builder), with commands run after clone and pull."""

from __future__ import annotations

from enum import StrEnum

from pydantic import AliasChoices, Field, field_validator

from contracts.base import KomodoModel
from contracts.entities.common import I64, Resource, ResourceListItem, ResourceQuery, SystemCommand
from contracts.entities.docker import parse_environment, parse_string_list


class RepoConfig(KomodoModel):
    """Configuration of a Repo."""

    server_id: str = Field(default="", validation_alias=AliasChoices("server_id", "server"))
    """The Server the repo is cloned on (id; a name is accepted)."""
    builder_id: str = Field(default="", validation_alias=AliasChoices("builder_id", "builder"))
    """The Builder used by BuildRepo (id; a name is accepted)."""
    git_provider: str = "github.com"
    """The git provider domain."""
    git_https: bool = True
    """Clone over https."""
    git_account: str = ""
    """Account whose token clones a private repository."""
    repo: str = ""
    """The repository, `owner/name`."""
    branch: str = "main"
    """The branch."""
    commit: str = ""
    """A commit to check out instead of the branch head."""
    path: str = ""
    """Clone folder: absolute, or relative to the agent's repo directory."""
    webhook_enabled: bool = True
    """Whether git webhooks trigger this repo."""
    webhook_secret: str = ""
    """Secret of this repo's webhooks; empty means the core's."""
    on_clone: SystemCommand = Field(default_factory=SystemCommand)
    """Command run after a clone, relative to the repo root."""
    on_pull: SystemCommand = Field(default_factory=SystemCommand)
    """Command run after a pull, relative to the repo root."""
    links: list[str] = Field(default_factory=list)
    """Quick links shown with the repo."""
    environment: str = ""
    """`KEY=value` lines written to the env file in the repo."""
    env_file_path: str = ".env"
    """Path of the env file, relative to the repo root."""
    skip_secret_interp: bool = False
    """Do not interpolate secrets into this repo's commands and environment."""

    _lists = field_validator("links", mode="before")(parse_string_list)
    _env = field_validator("environment", mode="before")(parse_environment)


class RepoInfo(KomodoModel):
    """What the system knows of a Repo's last runs."""

    last_pulled_at: I64 = 0
    """When it was last cloned or pulled (unix ms)."""
    last_built_at: I64 = 0
    """When it was last built (unix ms)."""
    built_hash: str | None = None
    """Commit of the last build."""
    built_message: str | None = None
    """Message of that commit."""
    latest_hash: str | None = None
    """Latest commit on the branch."""
    latest_message: str | None = None
    """Message of that commit."""


class Repo(Resource[RepoConfig, RepoInfo]):
    """A git repository managed on a Server or built on a Builder."""

    info: RepoInfo = Field(default_factory=RepoInfo)
    """What the system knows of the repo's last runs."""
    config: RepoConfig = Field(default_factory=RepoConfig)
    """The repo's configuration."""


class RepoState(StrEnum):
    """State of a Repo."""

    Cloning = "Cloning"
    Pulling = "Pulling"
    Building = "Building"
    Ok = "Ok"
    Failed = "Failed"
    Unknown = "Unknown"


class RepoListItemInfo(KomodoModel):
    """Summary of a Repo in lists."""

    server_id: str = ""
    """The Server it is cloned on."""
    server_name: str | None = None
    """That Server's name."""
    builder_id: str = ""
    """The Builder it builds on."""
    last_pulled_at: I64 = 0
    """When it was last cloned or pulled (unix ms)."""
    last_built_at: I64 = 0
    """When it was last built (unix ms)."""
    git_provider: str = "github.com"
    """The git provider domain."""
    repo: str = ""
    """The repository, `owner/name`."""
    branch: str = "main"
    """The branch."""
    repo_link: str = ""
    """Web link to the repository."""
    state: RepoState = RepoState.Unknown
    """The repo's state."""
    cloned_hash: str | None = None
    """Commit that is cloned."""
    cloned_message: str | None = None
    """Its message."""
    built_hash: str | None = None
    """Commit last built."""
    latest_hash: str | None = None
    """Latest commit on the branch."""


class RepoListItem(ResourceListItem[RepoListItemInfo]):
    """A Repo as lists give it."""


class RepoQuerySpecifics(KomodoModel):
    """Repo-specific filters."""

    repos: list[str] = Field(default_factory=list)
    """Only these repositories (`owner/name`)."""
    server_ids: list[str] = Field(default_factory=list)
    """Only repos on these Servers."""
    states: list[RepoState] = Field(default_factory=list)
    """Only repos in these states."""


class RepoQuery(ResourceQuery[RepoQuerySpecifics]):
    """Query of ListRepos."""


class RepoSortBy(StrEnum):
    """Sort orders of ListRepos."""

    Name = "Name"
    Repo = "Repo"
    Branch = "Branch"
    State = "State"


class RepoActionState(KomodoModel):
    """What a Repo is busy with."""

    cloning: bool = False
    """A clone runs."""
    pulling: bool = False
    """A pull runs."""
    building: bool = False
    """A build runs."""
    renaming: bool = False
    """A rename runs."""


class GetReposSummaryResponse(KomodoModel):
    """Counts of repos by state."""

    total: int = 0
    """All repos."""
    ok: int = 0
    """Repos whose last run succeeded."""
    cloning: int = 0
    """Repos cloning."""
    pulling: int = 0
    """Repos pulling."""
    building: int = 0
    """Repos building."""
    failed: int = 0
    """Repos whose last run failed."""
    unknown: int = 0
    """Repos in an unknown state."""
