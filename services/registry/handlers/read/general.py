"""General reads: GetVersion, GetCoreInfo, and the secrets, git providers and registries known from configuration.

Configured secrets are listed by name only and tokens never leave; the accounts stored in the registry are
listed beside the configured ones, as Komodo lists them, so a client can offer every usable account.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.api.read.general import (
    GetCoreInfo,
    GetVersion,
    ListGitProvidersFromConfig,
    ListImageRegistriesFromConfig,
    ListSecrets,
)
from contracts.entities.builder import AwsBuilderConfig
from contracts.entities.common import ResourceTarget, ResourceTargetVariant
from contracts.entities.core_info import GetCoreInfoResponse, GetVersionResponse
from contracts.entities.provider import GitProvider, ImageRegistry, ProviderAccount
from services.common.bus import RequestContext
from services.common.version import VERSION

if TYPE_CHECKING:
    from services.registry.app import Registry


def register(registry: Registry) -> None:
    """Answer GetVersion and GetCoreInfo from the version and the settings."""
    settings = registry.settings

    async def version(req: GetVersion, ctx: RequestContext) -> GetVersionResponse:
        return GetVersionResponse(version=VERSION)

    async def core_info(req: GetCoreInfo, ctx: RequestContext) -> GetCoreInfoResponse:
        return GetCoreInfoResponse(
            title=settings.title,
            monitoring_interval=settings.monitoring_interval,
            webhook_base_url=settings.webhook_base_url or settings.host,
            transparent_mode=settings.transparent_mode,
            ui_write_disabled=settings.ui_write_disabled,
            disable_non_admin_create=settings.disable_non_admin_create,
            disable_confirm_dialog=settings.disable_confirm_dialog,
            disable_websocket_reconnect=settings.disable_websocket_reconnect,
            enable_fancy_toml=settings.enable_fancy_toml,
            timezone=settings.timezone,
            default_pagination_limit=settings.default_pagination_limit,
        )

    async def aws_builder(target: ResourceTarget | None) -> AwsBuilderConfig | None:
        """The config of an Aws builder target (Komodo lists what its AMI holds besides the core's)."""
        if target is None:
            return None
        resolved = await registry.resolve_target(target)
        if resolved.type != ResourceTargetVariant.Builder:
            return None
        config = (await registry.kinds["Builder"].get(resolved.id)).config
        return config.params if getattr(config, "type", "") == "Aws" else None

    async def secrets(req: ListSecrets, ctx: RequestContext) -> list[str]:
        aws = await aws_builder(req.target)
        return sorted({*settings.secrets, *(aws.secrets if aws is not None else [])})

    async def git_providers(req: ListGitProvidersFromConfig, ctx: RequestContext) -> list[GitProvider]:
        aws = await aws_builder(req.target)
        merged: dict[tuple[str, bool], list[str]] = {}
        for provider in [*settings.git_providers, *(aws.git_providers if aws is not None else [])]:
            merged.setdefault((provider.domain, provider.https), []).extend(
                a.username for a in provider.accounts
            )
        for account in await registry.git_accounts.list(None, None):
            merged.setdefault((account.domain, account.https), []).append(account.username)
        return [
            GitProvider(domain=domain, https=https, accounts=_accounts(names))
            for (domain, https), names in sorted(merged.items())
        ]

    async def image_registries(
        req: ListImageRegistriesFromConfig, ctx: RequestContext
    ) -> list[ImageRegistry]:
        aws = await aws_builder(req.target)
        accounts: dict[str, list[str]] = {}
        organizations: dict[str, list[str]] = {}
        for configured in [*settings.image_registries, *(aws.image_registries if aws is not None else [])]:
            accounts.setdefault(configured.domain, []).extend(a.username for a in configured.accounts)
            organizations.setdefault(configured.domain, []).extend(configured.organizations)
        for account in await registry.registry_accounts.list(None, None):
            accounts.setdefault(account.domain, []).append(account.username)
        return [
            ImageRegistry(
                domain=domain,
                accounts=_accounts(names),
                organizations=list(dict.fromkeys(organizations.get(domain, []))),
            )
            for domain, names in sorted(accounts.items())
        ]

    registry.bus.handle(ListSecrets, secrets)
    registry.bus.handle(ListGitProvidersFromConfig, git_providers)
    registry.bus.handle(ListImageRegistriesFromConfig, image_registries)
    registry.bus.handle(GetVersion, version)
    registry.bus.handle(GetCoreInfo, core_info)


def _accounts(usernames: list[str]) -> list[ProviderAccount]:
    return [ProviderAccount(username=name) for name in dict.fromkeys(usernames) if name]
