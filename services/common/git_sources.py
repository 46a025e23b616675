"""The git repository a Stack, Build or Repo clones, as an agent gets it: URL, branch, commit and the token.

The token of `git_account` is looked up as Komodo does: the account stored in the registry, then the config file's
`[[git_provider]]`. It travels to the agent only, which uses it for the transfer and never writes it to
`.git/config`, a Log or an error.
"""

from __future__ import annotations

from typing import Protocol

from contracts.api.agent.compose import GitSource
from services.common.errors import BadRequest, plain_reason
from services.common.registry_client import RegistryClient
from services.common.settings import Settings


class GitConfig(Protocol):
    """The git fields that Stack, Build and Repo configs share (Komodo's names)."""

    @property
    def git_provider(self) -> str:
        """Domain of the git provider (`github.com`)."""

    @property
    def git_https(self) -> bool:
        """Whether to clone over https (else http)."""

    @property
    def repo(self) -> str:
        """The repository, `namespace/name`."""

    @property
    def branch(self) -> str:
        """The branch to check out."""

    @property
    def commit(self) -> str:
        """A pinned commit, or empty."""

    @property
    def git_account(self) -> str:
        """The account whose token is used, or empty."""


async def git_token(registry: RegistryClient, settings: Settings, domain: str, username: str) -> str:
    """The token of a git account: the stored account, else the config file's; a 400 when neither has it."""
    stored = await registry.git_account(domain, username)
    if stored is not None:
        return stored.token
    for provider in settings.git_providers:
        if provider.domain == domain:
            for account in provider.accounts:
                if account.username == username:
                    return account.token
    raise BadRequest(f"git_account: no account {username!r} for git provider {domain!r}")


async def git_source(
    registry: RegistryClient,
    settings: Settings,
    config: GitConfig,
    what: str,
    linked_repo: str = "",
    reclone: bool = False,
) -> GitSource | None:
    """The repository `config` names, or its `linked_repo`'s when set (read as System: the reference was checked
    against the writer's permission when it was stored), with the account's token; None when it names none.

    A 400 naming `what` (`stack 'web'`) when the coordinates cannot be used (a URL or commit the agent refuses).
    """
    source: GitConfig = (await registry.repo_for_work(linked_repo)).config if linked_repo else config
    if not source.repo:
        return None
    account = source.git_account
    token = await git_token(registry, settings, source.git_provider, account) if account else ""
    scheme = "https" if source.git_https else "http"
    try:
        return GitSource(
            url=f"{scheme}://{source.git_provider}/{source.repo.removesuffix('.git')}.git",
            branch=source.branch or "main",
            commit=source.commit,
            username=account,
            token=token,
            reclone=reclone,
        )
    except ValueError as err:
        raise BadRequest(f"{what}: {plain_reason(err)}") from None
