"""The git repository a Stack, Build or Repo clones, as an agent gets it: URL, branch, commit and the token.

The token of `git_account` is looked up as Komodo does: the account stored in the registry, then the config file's
`[[git_provider]]`. It travels to the agent only, which uses it for the transfer and never writes it to
`.git/config`, a Log or an error.
"""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True)
class GitCredentials:
    """What an account gives a transfer: a token (http), or an SSH key and the host keys to trust."""

    token: str = ""
    """The token, for http(s)."""
    ssh_private_key: str = ""
    """The private key; when set, the transfer goes over SSH."""
    ssh_known_hosts: str = ""
    """known_hosts lines pinning the server's key (SSH)."""


async def git_credentials(
    registry: RegistryClient, settings: Settings, domain: str, username: str
) -> GitCredentials:
    """The credentials of a git account: the stored account, else the config file's; a 400 when neither has it."""
    stored = await registry.git_account(domain, username)
    if stored is not None:
        return GitCredentials(stored.token, stored.ssh_private_key, stored.ssh_known_hosts)
    for provider in settings.git_providers:
        if provider.domain == domain:
            for account in provider.accounts:
                if account.username == username:
                    return GitCredentials(account.token)
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
    against the writer's permission when it was stored), with the account's credentials; None when it names none.
    An account with an SSH key makes it `ssh://git@<domain>/<repo>.git` (`git_https` does not apply).

    A 400 naming `what` (`stack 'web'`) when the coordinates cannot be used (a URL or commit the agent refuses).
    """
    source: GitConfig = (await registry.repo_for_work(linked_repo)).config if linked_repo else config
    if not source.repo:
        return None
    account = source.git_account
    found = (
        await git_credentials(registry, settings, source.git_provider, account)
        if account
        else GitCredentials()
    )
    path = source.repo.removesuffix(".git")
    if found.ssh_private_key:
        url, username, token = f"ssh://git@{source.git_provider}/{path}.git", "git", ""
    else:
        url, username, token = (
            f"{'https' if source.git_https else 'http'}://{source.git_provider}/{path}.git",
            account,
            found.token,
        )
    try:
        return GitSource(
            url=url,
            branch=source.branch or "main",
            commit=source.commit,
            username=username,
            token=token,
            reclone=reclone,
            ssh_private_key=found.ssh_private_key,
            ssh_known_hosts=found.ssh_known_hosts,
        )
    except ValueError as err:
        raise BadRequest(f"{what}: {plain_reason(err)}") from None
