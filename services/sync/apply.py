"""Applying a plan through the registry's ordinary requests, as the Resource Sync service user.

Order: tags, variables, then resources kind by kind (`kinds.KINDS`: what is referenced first), deletes in the
reverse order, user groups last; then the deploys in rounds that honour `after`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any

from contracts.api.execute.deployment import Deploy
from contracts.api.execute.stack import DeployStack
from contracts.api.read.update import GetUpdate
from contracts.api.write.permission import UpdatePermissionOnResourceType, UpdatePermissionOnTarget
from contracts.api.write.resource import UpdateResourceMeta
from contracts.api.write.tag import CreateTag
from contracts.api.write.user_group import (
    CreateUserGroup,
    DeleteUserGroup,
    SetEveryoneUserGroup,
    SetUsersInUserGroup,
)
from contracts.api.write.variable import (
    CreateVariable,
    DeleteVariable,
    UpdateVariableDescription,
    UpdateVariableIsSecret,
    UpdateVariableValue,
)
from contracts.entities.common import ResourceTarget, ResourceTargetVariant
from contracts.entities.resource_sync import SyncDeployTarget
from contracts.entities.update import Log, Update, UpdateStatus
from services.common.bus import Bus
from services.common.errors import ServiceError
from services.common.runs import now_ms
from services.sync.diff import Plan, ResourceChange
from services.sync.kinds import KINDS

V = ResourceTargetVariant
PARALLEL_WRITES = 8
"""Writes of one kind in flight at once."""


class Applier:
    """Sends a plan's changes to the registry and collects what happened as logs."""

    def __init__(self, bus: Bus, headers: Mapping[str, str]) -> None:
        self.bus = bus
        self.headers = headers
        self.done: list[str] = []
        self.failed: list[str] = []

    async def _send(self, request: Any, what: str) -> Any:
        try:
            answer = await self.bus.request(request, self.headers)
        except ServiceError as err:
            self.failed.append(f"{what}: {err.message}")
            return None
        self.done.append(what)
        return answer

    def log(self, stage: str, started: int) -> Log:
        """What was done and what failed, as one Log."""
        log = Log(
            stage=stage,
            stdout="\n".join(self.done) or "nothing to do",
            stderr="\n".join(self.failed),
            success=not self.failed,
            start_ts=started,
            end_ts=now_ms(),
        )
        self.done, self.failed = [], []
        return log

    async def tags(self, plan: Plan, known: set[str]) -> None:
        """Create the tags the files name that do not exist yet."""
        wanted = sorted({t for c in plan.resources if c.desired for t in c.desired.tags} - known)
        for tag in wanted:
            await self._send(CreateTag(name=tag), f"created tag {tag!r}")

    async def variables(self, plan: Plan) -> None:
        """Create, update and delete variables."""
        for c in plan.variables:
            d = c.desired
            if c.op == "Create":
                request = CreateVariable(
                    name=c.name, value=d["value"], description=d["description"], is_secret=d["is_secret"]
                )
                await self._send(request, f"created variable {c.name!r}")
            elif c.op == "Update":
                if d["is_secret"] != c.current["is_secret"]:
                    await self._send(
                        UpdateVariableIsSecret(name=c.name, is_secret=d["is_secret"]),
                        f"variable {c.name!r}: is_secret = {d['is_secret']}",
                    )
                if d["value"] != c.current["value"]:
                    await self._send(
                        UpdateVariableValue(name=c.name, value=d["value"]),
                        f"variable {c.name!r}: value updated",
                    )
                if d["description"] != c.current["description"]:
                    await self._send(
                        UpdateVariableDescription(name=c.name, description=d["description"]),
                        f"variable {c.name!r}: description updated",
                    )
            else:
                await self._send(DeleteVariable(name=c.name), f"deleted variable {c.name!r}")

    async def _meta(self, change: ResourceChange, resource_id: str, always: bool) -> None:
        d, now = change.desired, change.current
        assert d is not None
        if (
            not always
            and now is not None
            and (d.description, d.template, sorted(d.tags))
            == (
                now.description,
                now.template,
                sorted(now.tags),
            )
        ):
            return
        if always and not (d.description or d.template or d.tags):
            return
        request = UpdateResourceMeta(
            target=ResourceTarget(type=change.kind.variant, id=resource_id),
            description=d.description,
            template=d.template,
            tags=list(d.tags),
        )
        await self._send(
            request, f"{change.kind.section} {change.name!r}: description, template and tags set"
        )

    async def resource(self, change: ResourceChange) -> None:
        """Create, update or delete one resource."""
        kind, section = change.kind, change.kind.section
        if change.op == "Create":
            assert change.desired is not None
            request = kind.request("write", "Create{K}")(name=change.name, config=change.desired.config)
            created = await self._send(request, f"created {section} {change.name!r}")
            if created is not None:
                await self._meta(change, created.id, always=True)
        elif change.op == "Update":
            assert change.desired is not None and change.current is not None
            fields = {k: v for k, v in change.desired.config.items() if change.current.config.get(k) != v}
            if fields:
                request = kind.request("write", "Update{K}")(id=change.id, config=fields)
                await self._send(request, f"updated {section} {change.name!r}: {', '.join(sorted(fields))}")
            await self._meta(change, change.id, always=False)
        else:
            request = kind.request("write", "Delete{K}")(id=change.id)
            await self._send(request, f"deleted {section} {change.name!r}")

    async def _all(self, changes: list[ResourceChange]) -> None:
        """Changes of one kind side by side (they do not reference each other), a few at a time."""
        gate = asyncio.Semaphore(PARALLEL_WRITES)

        async def one(change: ResourceChange) -> None:
            async with gate:
                await self.resource(change)

        await asyncio.gather(*(one(c) for c in changes))

    async def resources(self, plan: Plan) -> None:
        """Creates and updates kind by kind, then deletes in the reverse order."""
        for kind in KINDS:
            await self._all([c for c in plan.resources if c.kind is kind and c.op != "Delete"])
        for kind in reversed(KINDS):
            await self._all([c for c in plan.resources if c.kind is kind and c.op == "Delete"])

    async def user_groups(self, plan: Plan) -> None:
        """Create, update and delete user groups: members, `everyone`, `all` and `permissions` (what the file
        no longer grants is set back to None)."""
        for c in plan.user_groups:
            if c.op == "Delete":
                await self._send(DeleteUserGroup(id=c.id), f"deleted user group {c.name!r}")
                continue
            created = c.op != "Create" or await self._send(
                CreateUserGroup(name=c.name), f"created user group {c.name!r}"
            )
            if created is None:
                continue
            d, now = c.desired, c.current or {}
            if d["everyone"] != now.get("everyone", False):
                await self._send(
                    SetEveryoneUserGroup(user_group=c.name, everyone=d["everyone"]),
                    f"user group {c.name!r}: everyone = {d['everyone']}",
                )
            if d["users"] != now.get("users", []):
                await self._send(
                    SetUsersInUserGroup(user_group=c.name, users=d["users"]),
                    f"user group {c.name!r}: users {d['users']}",
                )
            holder = {"type": "UserGroup", "id": c.name}
            gone = {"level": "None", "specific": []}
            all_now: dict[str, Any] = now.get("all", {})
            for variant in sorted(set(d["all"]) | set(all_now)):
                permission = d["all"].get(variant, gone)
                if permission == all_now.get(variant):
                    continue
                await self._send(
                    UpdatePermissionOnResourceType.model_validate(
                        {"user_target": holder, "resource_type": variant, "permission": permission}
                    ),
                    f"user group {c.name!r}: {permission['level']} on all {variant}",
                )
            wanted = {(p["target"]["type"], p["target"]["id"]): p for p in d["permissions"]}
            had = {(p["target"]["type"], p["target"]["id"]): p for p in now.get("permissions", [])}
            for key in sorted(set(wanted) | set(had)):
                grant = wanted.get(key)
                if grant is not None and grant == had.get(key):
                    continue
                level = {"level": grant["level"], "specific": grant["specific"]} if grant else gone
                await self._send(
                    UpdatePermissionOnTarget.model_validate(
                        {
                            "user_target": holder,
                            "resource_target": {"type": key[0], "id": key[1]},
                            "permission": level,
                        }
                    ),
                    f"user group {c.name!r}: {level['level']} on {key[0]} {key[1]!r}",
                )

    async def deploy(self, targets: list[SyncDeployTarget], timeout: float) -> None:
        """Deploy in rounds: each round deploys every target whose `after` targets are done, and waits for
        their Updates; a failure stops the rounds."""
        pending = {(t.target.type, t.target.id): t for t in targets}
        finished: set[tuple[ResourceTargetVariant, str]] = set()
        while pending:
            ready = [t for t in pending.values() if all((a.type, a.id) in finished for a in t.after)]
            if not ready:
                self.failed.append(f"cannot order the deploys of {sorted(n for _, n in pending)}")
                return
            updates: list[tuple[SyncDeployTarget, Update]] = []
            for t in ready:
                request: Any = (
                    Deploy(deployment=t.target.id)
                    if t.target.type == V.Deployment
                    else DeployStack(stack=t.target.id)
                )
                update = await self._send(
                    request, f"deploy {t.target.type.value} {t.target.id!r} ({t.reason})"
                )
                if update is None:
                    return
                updates.append((t, update))
            for t, update in updates:
                if not await self._wait(update, timeout):
                    self.failed.append(
                        f"deploy of {t.target.type.value} {t.target.id!r} failed (Update {update.id})"
                    )
                    return
                finished.add((t.target.type, t.target.id))
                pending.pop((t.target.type, t.target.id))

    async def _wait(self, update: Update, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found: Update = await self.bus.request(GetUpdate(id=update.id), self.headers)
            if found.status == UpdateStatus.Complete:
                return found.success
            await asyncio.sleep(0.5)
        return False
