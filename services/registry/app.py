"""The registry service: the source of truth for configuration (resources, tags, variables, accounts) and Updates."""

from __future__ import annotations

import logging
from typing import Any

import nats
import nkeys
from nats.aio.client import Client as NatsClient

from contracts.api.internal.live_info import GetBuilderLiveInfo, GetLiveInfo, GetSyncLiveInfo, LiveInfo
from contracts.catalog import load_all
from contracts.entities.common import (
    PermissionLevel,
    PermissionLevelAndSpecifics,
    Resource,
    ResourceTarget,
    ResourceTargetVariant,
)
from contracts.entities.permission import UserTarget, UserTargetVariant
from contracts.entities.provider import GitProviderAccount, ImageRegistryAccount
from contracts.entities.update import Operation
from contracts.service_users import SERVICE_USERS, SYSTEM_USER_ID
from services.common.auth import load_jwt_signer
from services.common.bus import Bus
from services.common.caller import Authenticator, Caller, CredentialCheck
from services.common.errors import Conflict, NotFound, ServiceError, Unauthorized
from services.common.mongo import connect, service_database
from services.common.nats_auth import AGENT_USER_PREFIX, ONBOARD_USER, new_issuer_seed
from services.common.presence import PresenceView
from services.common.secrets import load_secret_box, read_or_create_key_file
from services.common.settings import Settings
from services.registry.agent_credentials import AgentCredentialStore
from services.registry.credential_notices import CredentialNotices
from services.registry.handlers import onboard, unknown
from services.registry.handlers.internal import agent as internal_agent
from services.registry.handlers.internal import auth as internal_auth
from services.registry.handlers.internal import execution as internal_execution
from services.registry.handlers.internal import resource_info as internal_resource_info
from services.registry.handlers.internal import servers as internal_servers
from services.registry.handlers.internal import update as internal_update
from services.registry.handlers.read import extra_args as read_extra_args
from services.registry.handlers.read import general as read_general
from services.registry.handlers.read import onboarding_key as read_onboarding_key
from services.registry.handlers.read import provider as read_provider
from services.registry.handlers.read import resource as read_resource
from services.registry.handlers.read import tag as read_tag
from services.registry.handlers.read import update as read_update
from services.registry.handlers.read import user as read_user
from services.registry.handlers.read import user_group as read_user_group
from services.registry.handlers.read import variable as read_variable
from services.registry.handlers.write import onboarding_key as write_onboarding_key
from services.registry.handlers.write import permission as write_permission
from services.registry.handlers.write import provider as write_provider
from services.registry.handlers.write import resource as write_resource
from services.registry.handlers.write import tag as write_tag
from services.registry.handlers.write import user as write_user
from services.registry.handlers.write import user_group as write_user_group
from services.registry.handlers.write import variable as write_variable
from services.registry.key_connections import KeyConnections
from services.registry.kinds import KINDS
from services.registry.nats_callout import (
    AuthCallout,
    Grants,
    agent_grants,
    api_key_grants,
    onboarding_grants,
    services_decider,
)
from services.registry.onboarding import OnboardingKeyStore
from services.registry.permissions import PermissionStore
from services.registry.providers import AccountStore
from services.registry.read_cache import ReadCache, live_reads_of
from services.registry.resources import ResourceService, kind_for
from services.registry.tags import TagStore
from services.registry.updates import UpdateStore
from services.registry.user_groups import UserGroupStore
from services.registry.users import UserStore
from services.registry.variables import VariableStore

SERVICE = "registry"
"""Name of this service (its database is `<prefix>_registry`, its queue group `varanus-registry`)."""

log = logging.getLogger(__name__)

LIVE_INFO_TIMEOUT_SECONDS = 2.0
"""How long a list waits for the executor's live state before answering without it."""

KEPT_LIVE_VARIANTS = frozenset(
    {ResourceTargetVariant.Deployment, ResourceTargetVariant.Stack, ResourceTargetVariant.Server}
)
"""Whose live answers the registry keeps until an executor says they changed: deployments' and stacks' fields
come from containers and image checks only (`LIVE_CHANGED_SUBJECT`), servers' from heartbeats and state changes
(`SERVER_LIVE_CHANGED_SUBJECT`)."""


class Registry:
    """Wires the registry's stores to the bus."""

    def __init__(self, settings: Settings, authenticate: Authenticator | None = None) -> None:
        load_all()
        self.settings = settings
        self.client = connect(settings)
        self.db = service_database(self.client, settings, SERVICE)
        box = load_secret_box(settings)
        self.users = UserStore(self.db, settings)
        self.signer = load_jwt_signer(settings)
        check = authenticate or CredentialCheck(
            self.signer.verify, self.users.resolve, self.users.verify_api_key
        )
        self.bus = Bus(SERVICE, settings, check)
        self.credential_check = check if isinstance(check, CredentialCheck) else None
        self.key_connections = KeyConnections()
        self.credential_notices = CredentialNotices(self.bus, self.credential_check, self.key_connections)
        self.read_cache = ReadCache()
        self.updates = UpdateStore(self.db, self.bus, self.read_cache)
        self.kinds: dict[str, ResourceService] = {}
        for spec in KINDS:
            self.kinds[spec.name] = ResourceService(
                spec,
                self.db,
                box,
                self.bus,
                self.updates,
                self.kinds,
                settings.default_pagination_limit,
                self.read_cache,
            )
        self.permissions = PermissionStore(
            self.db,
            {spec.variant: self.kinds[spec.name].coll for spec in KINDS},
            settings.transparent_mode,
        )
        self.user_groups = UserGroupStore(self.db, self.users)
        self.onboarding_keys = OnboardingKeyStore(self.db)
        self.agent_credentials = AgentCredentialStore(self.db)
        self._callout_nc: NatsClient | None = None
        self.service_user_ids = frozenset(SERVICE_USERS)
        self.presence = PresenceView()
        self.catch_all: unknown.Unanswered | None = None
        self.kinds[ResourceTargetVariant.Server.value].live = self.live_info
        self.kinds[ResourceTargetVariant.Deployment.value].live = self.live_info
        self.kinds[ResourceTargetVariant.Stack.value].live = self.live_info
        self.kinds[ResourceTargetVariant.Procedure.value].live = self.live_info
        self.kinds[ResourceTargetVariant.Action.value].live = self.live_info
        for variant in KEPT_LIVE_VARIANTS:
            self.kinds[variant.value].live_kept = True
        self.kinds[ResourceTargetVariant.Repo.value].live = self.builder_live_info
        self.kinds[ResourceTargetVariant.Build.value].live = self.builder_live_info
        self.kinds[ResourceTargetVariant.ResourceSync.value].live = self.sync_live_info
        self.tags = TagStore(self.db, self.bus, [kind.coll for kind in self.kinds.values()])
        self.variables = VariableStore(self.db, box, self.bus, self.updates, self.read_cache)
        self.git_accounts = AccountStore(
            GitProviderAccount,
            "git provider",
            (
                Operation.CreateGitProviderAccount,
                Operation.UpdateGitProviderAccount,
                Operation.DeleteGitProviderAccount,
            ),
            self.db,
            box,
            self.bus,
            self.updates,
        )
        self.registry_accounts = AccountStore(
            ImageRegistryAccount,
            "image registry",
            (
                Operation.CreateDockerRegistryAccount,
                Operation.UpdateDockerRegistryAccount,
                Operation.DeleteDockerRegistryAccount,
            ),
            self.db,
            box,
            self.bus,
            self.updates,
        )
        for module in (
            write_resource,
            read_resource,
            read_extra_args,
            write_tag,
            read_tag,
            write_variable,
            read_variable,
            write_provider,
            read_provider,
            read_update,
            internal_update,
            internal_auth,
            internal_agent,
            internal_resource_info,
            internal_servers,
            internal_execution,
            read_general,
            write_user,
            read_user,
            write_user_group,
            read_user_group,
            write_permission,
            write_onboarding_key,
            read_onboarding_key,
        ):
            module.register(self)

    async def start(self) -> None:
        """Create indexes, connect to the bus and start answering."""
        for service in self.kinds.values():
            await service.ensure_indexes()
        await self.updates.ensure_indexes()
        await self.tags.ensure_indexes()
        await self.variables.ensure_indexes()
        await self.git_accounts.ensure_indexes()
        await self.registry_accounts.ensure_indexes()
        await self.users.ensure_indexes()
        await self.users.ensure_init_admin()
        await self.permissions.ensure_indexes()
        await self.user_groups.ensure_indexes()
        await self.onboarding_keys.ensure_indexes()
        if self.settings.nats_auth_password.get_secret_value():
            # Before the bus connects: with the callout on, the registry's own connection needs an answer.
            await self._start_callout()
        await self.bus.start()
        if self.credential_check is not None:
            await self.credential_check.watch(self.bus.nc)
        await self.read_cache.watch(self.bus.nc)
        await self.ensure_first_server()  # once connected: creating it publishes events
        await self.presence.start(self.bus.js)
        self.catch_all = await unknown.subscribe(self, self.presence)
        await onboard.subscribe(self)
        log.info("registry answering %d requests", len(self.bus.handled))

    async def _decide_nats_client(self, user: str, password: str) -> Grants:
        """The subjects a connecting NATS client may use: an agent its own, an API key Komodo's requests."""
        if user == ONBOARD_USER:
            key = await self.onboarding_keys.usable(password)
            return onboarding_grants(key.public_key)
        if user.startswith(AGENT_USER_PREFIX):
            server_id = user.removeprefix(AGENT_USER_PREFIX)
            await self.agent_credentials.verify(server_id, password)
            return agent_grants(server_id)
        caller = await self.users.verify_api_key(user, password)
        if not caller.enabled:
            raise Unauthorized(f"user {caller.username!r} is not enabled")
        return api_key_grants(user)

    async def _start_callout(self) -> None:
        seed = self.settings.nats_issuer_seed.get_secret_value() or read_or_create_key_file(
            self.settings.data_dir / "nats-issuer.seed", new_issuer_seed
        )
        issuer = nkeys.from_seed(seed.encode())
        decide = services_decider(
            self.settings.nats_services_password.get_secret_value(), self._decide_nats_client
        )
        urls = [url.strip() for url in self.settings.nats_url.split(",") if url.strip()]
        self._callout_nc = await nats.connect(
            urls,
            user="auth",
            password=self.settings.nats_auth_password.get_secret_value(),
            name="varanus-auth-callout",
            max_reconnect_attempts=-1,
        )
        await AuthCallout(issuer, decide).start(self._callout_nc)
        await self.key_connections.connect(urls, self.settings.nats_auth_password.get_secret_value())
        log.info("answering the NATS auth callout")

    async def ensure_first_server(self) -> None:
        """Create the first Server (enabled) when `first_server_name` is set and no server exists yet."""
        name = self.settings.first_server_name
        servers = self.kinds[ResourceTargetVariant.Server.value]
        if not name or await servers.coll.count_documents({}, limit=1):
            return
        try:
            await servers.create(name, {"enabled": True}, SYSTEM_USER_ID)
            log.info("created the first server %s", name)
        except Conflict:
            pass  # another replica created it at the same moment

    async def live_info(
        self, variant: ResourceTargetVariant, ids: list[str], hints: dict[str, dict[str, str]]
    ) -> dict[str, dict[str, Any]]:
        """The executor's live list-info fields of these resources; empty when it does not answer quickly.

        Deployments', stacks' and servers' answers are kept until an executor says their live state changed
        (`ReadCache`, `live_reads_of`); procedures' and actions' are asked each time."""
        if variant not in KEPT_LIVE_VARIANTS:
            return await self._ask_live_info(variant, ids, hints) or {}
        key = (variant.value, tuple((i, tuple(hints[i].items()) if i in hints else ()) for i in ids))

        async def ask() -> dict[str, dict[str, Any]] | None:
            return await self._ask_live_info(variant, ids, hints)

        return await self.read_cache.read(live_reads_of(variant), key, ask) or {}

    async def _ask_live_info(
        self, variant: ResourceTargetVariant, ids: list[str], hints: dict[str, dict[str, str]]
    ) -> dict[str, dict[str, Any]] | None:
        """The executor's answer to GetLiveInfo; None when it does not answer quickly."""
        try:
            live: LiveInfo = await self.bus.request(
                GetLiveInfo(type=variant, ids=ids, hints=hints),
                {"Authorization": self.signer.reused(SYSTEM_USER_ID)},
                timeout=LIVE_INFO_TIMEOUT_SECONDS,
            )
        except ServiceError as err:
            log.debug("no live info for %s: %s", variant.value, err.message)
            return None
        return live.infos

    async def builder_live_info(
        self, variant: ResourceTargetVariant, ids: list[str], hints: dict[str, dict[str, str]]
    ) -> dict[str, dict[str, Any]]:
        """The builder's live list-info fields (a repo's or build's state); empty when it does not answer quickly."""
        try:
            live: LiveInfo = await self.bus.request(
                GetBuilderLiveInfo(type=variant, ids=ids, hints=hints),
                {"Authorization": self.signer.reused(SYSTEM_USER_ID)},
                timeout=LIVE_INFO_TIMEOUT_SECONDS,
            )
        except ServiceError as err:
            log.debug("no live info for %s: %s", variant.value, err.message)
            return {}
        return live.infos

    async def sync_live_info(
        self, variant: ResourceTargetVariant, ids: list[str], hints: dict[str, dict[str, str]]
    ) -> dict[str, dict[str, Any]]:
        """The sync service's live list-info fields (Syncing while a RunSync runs); empty when it does not answer
        quickly."""
        try:
            live: LiveInfo = await self.bus.request(
                GetSyncLiveInfo(type=variant, ids=ids, hints=hints),
                {"Authorization": self.signer.reused(SYSTEM_USER_ID)},
                timeout=LIVE_INFO_TIMEOUT_SECONDS,
            )
        except ServiceError as err:
            log.debug("no live info for %s: %s", variant.value, err.message)
            return {}
        return live.infos

    async def read_as(
        self, service: ResourceService, caller: Caller, id_or_name: str
    ) -> tuple[Resource[Any, Any], PermissionLevelAndSpecifics]:
        """A resource as `caller`'s `Get` answers it (a 404 when there is none, a 403 without Read; secrets
        hidden unless the caller is an admin), and the caller's permission on it."""
        resource = await service.read(id_or_name)
        target = ResourceTarget(type=service.spec.variant, id=resource.id)
        granted = await self.permissions.require(caller, target, PermissionLevel.Read, resource.name)
        return (resource if caller.admin else service.without_secrets(resource)), granted

    async def resolve_target(self, target: ResourceTarget) -> ResourceTarget:
        """The target with its resource's id (a name is accepted), or a 404 naming it."""
        if target.type == ResourceTargetVariant.System:
            return target
        service = self.kinds[kind_for(target.type.value).name]
        resource_id = await service.resolve_id(target.id)
        if resource_id is None:
            raise NotFound(f"no {service.spec.name} named or with id {target.id!r}")
        return ResourceTarget(type=target.type, id=resource_id)

    async def resolve_holder(self, holder: UserTarget) -> UserTarget:
        """The user or group with its id (a username or group name is accepted), or a 404 naming it."""
        if holder.type == UserTargetVariant.User:
            return UserTarget(type=holder.type, id=(await self.users.find(holder.id)).id)
        return UserTarget(type=holder.type, id=(await self.user_groups.get(holder.id)).id)

    async def stop(self) -> None:
        """Stop answering and close connections."""
        if self.catch_all is not None:
            await self.catch_all.stop()
        await self.presence.stop()
        await self.read_cache.stop()
        await self.bus.stop()
        await self.key_connections.stop()
        if self._callout_nc is not None:
            await self._callout_nc.close()
        await self.client.close()
