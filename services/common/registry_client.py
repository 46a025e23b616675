"""What the executor asks the registry: resources as the caller may see them, permissions, and Updates.

Reads that concern a user's view go out with the caller's own credentials, so the registry applies the same
permission rules as for a direct request. Updates are recorded as the System service user (the Update's
`operator` is still the caller).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel

from contracts.api.agent.container import RegistryAuth
from contracts.api.internal.auth import CallerInfo, ResolveCaller, VerifyApiKey
from contracts.api.internal.execution import ExecutionTarget, GetExecutionTarget
from contracts.api.internal.resource_info import UpdateResourceInfo
from contracts.api.internal.update import AppendUpdateLog, CreateUpdate, FinishUpdate
from contracts.api.read.deployment import GetDeployment
from contracts.api.read.provider import ListGitProviderAccounts, ListImageRegistryAccounts
from contracts.api.read.repo import GetRepo
from contracts.api.read.server import GetServer, ListServers
from contracts.api.read.stack import GetStack
from contracts.api.read.update import GetUpdate
from contracts.api.read.user import GetPermission
from contracts.entities.build import Build
from contracts.entities.common import (
    PermissionLevel,
    PermissionLevelAndSpecifics,
    ResourceTarget,
    ResourceTargetVariant,
    SpecificPermission,
    Version,
)
from contracts.entities.deployment import Deployment
from contracts.entities.provider import GitProviderAccount, ImageRegistryAccount
from contracts.entities.repo import Repo
from contracts.entities.server import Server, ServerListItem, ServerQuery
from contracts.entities.stack import Stack
from contracts.entities.update import Log, Operation, Update, UpdateStatus
from contracts.service_users import SYSTEM_USER_ID
from services.common.auth import JwtSigner
from services.common.bus import Bus
from services.common.caller import Caller, header
from services.common.errors import BadRequest, Forbidden, NotFound, ServiceError

R = TypeVar("R", bound=BaseModel)

CREDENTIAL_HEADERS = ("Authorization", "X-Api-Key", "X-Api-Secret")
"""The headers that say who the caller is; forwarded as they came."""


def credentials(headers: Mapping[str, str]) -> dict[str, str]:
    """The caller's credential headers from a request's headers."""
    return {name: value for name in CREDENTIAL_HEADERS if (value := header(headers, name))}


def check_granted(
    granted: PermissionLevelAndSpecifics,
    level: PermissionLevel,
    shown: str,
    specific: SpecificPermission | None = None,
) -> None:
    """A 403 unless `granted` reaches `level` (and holds `specific`, when given) on the resource `shown`."""
    if granted.level == PermissionLevel.None_ or PermissionLevel(granted.level).rank < level.rank:
        raise Forbidden(f"this needs {level.value} permission on {shown} (you have {granted.level.value})")
    if specific is not None and specific not in granted.specific:
        raise Forbidden(f"this needs the {specific.value} permission on {shown}")


class RegistryClient:
    """Requests from the executor and the builder to the registry."""

    def __init__(self, bus: Bus, signer: JwtSigner) -> None:
        self.bus = bus
        self.signer = signer

    def system_headers(self) -> dict[str, str]:
        """The System user's credentials (one token, reused while it is fresh: see `JwtSigner.reused`)."""
        return {"Authorization": self.signer.reused(SYSTEM_USER_ID)}

    async def resolve_caller(self, user_id: str) -> CallerInfo:
        """Who a JWT's user is now (enabled, admin, groups): what a `CredentialCheck` asks the registry."""
        found: CallerInfo = await self.bus.request(ResolveCaller(user_id=user_id), self.system_headers())
        return found

    async def verify_api_key(self, key: str, secret: str) -> CallerInfo:
        """Whose API key this is, if the secret matches: what a `CredentialCheck` asks the registry."""
        found: CallerInfo = await self.bus.request(
            VerifyApiKey(key=key, secret=secret), self.system_headers()
        )
        return found

    async def server(self, headers: Mapping[str, str], server: str) -> Server:
        """The server with that id or name, if the caller may Read it (the registry's 403/404 otherwise)."""
        found: Server = await self.bus.request(GetServer(server=server), credentials(headers))
        return found

    async def name_of(self, target: ResourceTarget) -> str:
        """A deployment's, stack's or server's name for a message (its id when it cannot be read)."""
        requests: dict[ResourceTargetVariant, Any] = {
            ResourceTargetVariant.Deployment: GetDeployment(deployment=target.id),
            ResourceTargetVariant.Stack: GetStack(stack=target.id),
            ResourceTargetVariant.Server: GetServer(server=target.id),
        }
        request = requests.get(target.type)
        if request is None:
            return target.id
        try:
            found = await self.bus.request(request, self.system_headers())
        except ServiceError:
            return target.id
        return str(getattr(found, "name", "") or target.id)

    async def server_for_work(self, server_id: str) -> Server:
        """A server as the System user sees it (for work on a resource the caller may execute)."""
        found: Server = await self.bus.request(GetServer(server=server_id), self.system_headers())
        return found

    async def _target(
        self,
        caller: Caller,
        variant: ResourceTargetVariant,
        target: str,
        model: type[R],
        level: PermissionLevel,
        specific: SpecificPermission | None,
        with_server: bool = False,
    ) -> tuple[R, ExecutionTarget]:
        """The resource as the caller sees it, once the caller has `level` (and `specific`) on it, with the
        registry's whole answer (its server, when asked for): one round trip (`GetExecutionTarget`)."""
        found: ExecutionTarget = await self.bus.request(
            GetExecutionTarget(
                type=variant,
                target=target,
                user_id=caller.user_id,
                username=caller.username,
                admin=caller.admin,
                with_server=with_server,
            ),
            self.system_headers(),
        )
        resource = model.model_validate(found.resource)
        shown = f"{variant.value} {getattr(resource, 'name', '')!r}"
        check_granted(found.granted, level, shown, specific)
        return resource, found

    async def _on_server(
        self,
        caller: Caller,
        variant: ResourceTargetVariant,
        target: str,
        model: type[R],
        level: PermissionLevel,
        specific: SpecificPermission | None,
    ) -> tuple[R, Server]:
        """The resource and its server, read together by the registry (a 403 still comes before a missing
        server)."""
        resource, found = await self._target(caller, variant, target, model, level, specific, True)
        server_id = str(getattr(getattr(resource, "config", None), "server_id", "") or "")
        name = getattr(resource, "name", "")
        if not server_id:
            raise BadRequest(f"{variant.value.lower()} {name!r} has no server: set its server_id")
        if found.server is None:
            raise NotFound(f"no Server named or with id {server_id!r}")
        return resource, found.server

    async def deployment_with(
        self,
        caller: Caller,
        deployment: str,
        level: PermissionLevel,
        specific: SpecificPermission | None = None,
    ) -> Deployment:
        """The deployment, once the caller is known to have `level` (and `specific`) on it."""
        found, _ = await self._target(
            caller, ResourceTargetVariant.Deployment, deployment, Deployment, level, specific
        )
        return found

    async def deployment_on_server(
        self,
        caller: Caller,
        deployment: str,
        level: PermissionLevel,
        specific: SpecificPermission | None = None,
    ) -> tuple[Deployment, Server]:
        """The deployment (once the caller has `level` and `specific` on it) and its server; a 400 without one."""
        return await self._on_server(
            caller, ResourceTargetVariant.Deployment, deployment, Deployment, level, specific
        )

    async def stack_with(
        self,
        caller: Caller,
        stack: str,
        level: PermissionLevel,
        specific: SpecificPermission | None = None,
    ) -> Stack:
        """The stack, once the caller is known to have `level` (and `specific`) on it."""
        found, _ = await self._target(caller, ResourceTargetVariant.Stack, stack, Stack, level, specific)
        return found

    async def stack_on_server(
        self,
        caller: Caller,
        stack: str,
        level: PermissionLevel,
        specific: SpecificPermission | None = None,
    ) -> tuple[Stack, Server]:
        """The stack (once the caller has `level` and `specific` on it) and its server; a 400 without one."""
        return await self._on_server(caller, ResourceTargetVariant.Stack, stack, Stack, level, specific)

    async def git_account(self, domain: str, username: str) -> GitProviderAccount | None:
        """The stored git provider account of that domain and username, with its token (as System)."""
        found: list[GitProviderAccount] = await self.bus.request(
            ListGitProviderAccounts(domain=domain, username=username), self.system_headers()
        )
        return found[0] if found else None

    async def repo_with(
        self,
        caller: Caller,
        repo: str,
        level: PermissionLevel,
        specific: SpecificPermission | None = None,
    ) -> Repo:
        """The repo, once the caller is known to have `level` (and `specific`) on it."""
        found, _ = await self._target(caller, ResourceTargetVariant.Repo, repo, Repo, level, specific)
        return found

    async def build_with(
        self,
        caller: Caller,
        build: str,
        level: PermissionLevel,
        specific: SpecificPermission | None = None,
    ) -> Build:
        """The build, once the caller is known to have `level` (and `specific`) on it."""
        found, _ = await self._target(caller, ResourceTargetVariant.Build, build, Build, level, specific)
        return found

    async def repo_for_work(self, repo: str) -> Repo:
        """A Repo resource as the System user sees it (a stack's `linked_repo`)."""
        found: Repo = await self.bus.request(GetRepo(repo=repo), self.system_headers())
        return found

    async def set_info(self, target: ResourceTarget, info: dict[str, Any]) -> None:
        """Record fields of a resource's info (what an execution learned)."""
        await self.bus.request(UpdateResourceInfo(target=target, info=info), self.system_headers())

    async def registry_account(self, domain: str, username: str) -> ImageRegistryAccount | None:
        """The stored image registry account of that domain and username, with its token (as System)."""
        found: list[ImageRegistryAccount] = await self.bus.request(
            ListImageRegistryAccounts(domain=domain, username=username), self.system_headers()
        )
        return found[0] if found else None

    async def registry_auth(self, domain: str, account: str, field: str) -> RegistryAuth | None:
        """The credentials of a stored registry account for a pull (None without an account); a 400 naming the
        config `field` and the missing account (never its token)."""
        if not account:
            return None
        found = await self.registry_account(domain, account)
        if found is None:
            raise BadRequest(f"{field}: no account {account!r} for registry {domain!r}")
        return RegistryAuth(server=domain, username=found.username, password=found.token)

    async def readable_servers(
        self, headers: Mapping[str, str], names: list[str] | None = None, tags: list[str] | None = None
    ) -> list[ServerListItem]:
        """Every server the caller may Read (only those named, or with all these tags, when given)."""
        query = ServerQuery(names=list(names or []), tags=list(tags or []))
        items: list[ServerListItem] = await self.bus.request(
            ListServers(query=query, limit=0), credentials(headers)
        )
        return items

    async def require(
        self,
        headers: Mapping[str, str],
        target: ResourceTarget,
        level: PermissionLevel,
        name: str,
        specific: SpecificPermission | None = None,
    ) -> None:
        """A 403 unless the caller has `level` (and `specific`, when given) on the target."""
        granted: PermissionLevelAndSpecifics = await self.bus.request(
            GetPermission(target=target), credentials(headers)
        )
        check_granted(granted, level, f"{target.type.value} {name!r}", specific)

    async def server_with(
        self,
        caller: Caller,
        server: str,
        level: PermissionLevel,
        specific: SpecificPermission | None = None,
    ) -> Server:
        """The server, once the caller is known to have `level` (and `specific`) on it."""
        found, _ = await self._target(caller, ResourceTargetVariant.Server, server, Server, level, specific)
        return found

    async def create_update(
        self,
        operation: Operation,
        target: ResourceTarget,
        operator: str,
        version: Version | None = None,
        update_id: str | None = None,
        logs: list[Log] | None = None,
    ) -> Update:
        """A new InProgress Update (with the version it involves, the id chosen for it and its first logs, if
        any)."""
        created: Update = await self.bus.request(
            CreateUpdate(
                id=update_id,
                operation=operation,
                target=target,
                operator=operator,
                version=version,
                logs=logs or [],
            ),
            self.system_headers(),
        )
        return created

    async def append_log(self, update_id: str, log: Log) -> None:
        """Add a log to an Update in progress."""
        await self.bus.request(AppendUpdateLog(id=update_id, log=log), self.system_headers())

    async def update_complete(self, update_id: str) -> bool:
        """Whether the Update is complete (False when there is none)."""
        try:
            found: Update = await self.bus.request(GetUpdate(id=update_id), self.system_headers())
        except ServiceError as err:
            if err.status == 404:
                return False
            raise
        return found.status == UpdateStatus.Complete

    async def finish(self, update_id: str, **fields: Any) -> Update:
        """Complete an Update (success computed from its logs unless given)."""
        finished: Update = await self.bus.request(FinishUpdate(id=update_id, **fields), self.system_headers())
        return finished
