"""A Repo as its server's agent gets it: where it goes, the git source with the account's token, `environment`
interpolated, `on_clone`/`on_pull`.

The token of `git_account` is looked up by `services/common/git_sources.py` (the registry's stored account, then the
config file's `[[git_provider]]`); it travels to the agent only, which uses it for the transfer and never writes
it to `.git/config`, a Log or an error. The Runner redacts it from every Log as well.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.api.agent.compose import GitSource
from contracts.api.agent.repo import RepoLocation, RepoOnHost
from contracts.entities.common import ResourceTarget, ResourceTargetVariant
from contracts.entities.repo import Repo
from services.common.errors import BadRequest, plain_reason
from services.common.git_sources import git_source as shared_git_source
from services.common.interpolation import Interpolation

if TYPE_CHECKING:
    from services.builder.app import Builder


def target_of(repo: Repo) -> ResourceTarget:
    """The Repo as an Update's target."""
    return ResourceTarget(type=ResourceTargetVariant.Repo, id=repo.id)


def interpolated_fields(repo: Repo) -> list[str]:
    """The repo fields interpolated with `[[VAR]]`."""
    config = repo.config
    return [config.environment, config.on_clone.command, config.on_pull.command]


async def git_source(builder: Builder, repo: Repo) -> GitSource:
    """The repository of a repo, with its account's token; a 400 when it has none or it cannot be used."""
    source = await shared_git_source(builder.registry, builder.settings, repo.config, f"repo {repo.name!r}")
    if source is None:
        raise BadRequest(f"repo {repo.name!r} has no repository: set its config.repo")
    return source


async def repo_on_host(builder: Builder, repo: Repo, values: Interpolation) -> RepoOnHost:
    """The RepoOnHost of a repo, interpolated; a 400 saying what in the config cannot be used."""
    config = repo.config
    source = await git_source(builder, repo)
    on_clone = config.on_clone.model_copy(update={"command": values.apply(config.on_clone.command)})
    on_pull = config.on_pull.model_copy(update={"command": values.apply(config.on_pull.command)})
    try:
        return RepoOnHost(
            location=RepoLocation(name=repo.name, path=config.path),
            git=source,
            environment=values.apply(config.environment),
            env_file_path=config.env_file_path or ".env",
            on_clone=on_clone,
            on_pull=on_pull,
            secrets=[value for value in values.secrets.values() if value],
        )
    except ValueError as err:
        raise BadRequest(f"repo {repo.name!r}: {plain_reason(err)}") from None
