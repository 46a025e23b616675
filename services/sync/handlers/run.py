"""RunSync: apply a sync's pending changes, then deploy what it says to deploy.

The caller needs Execute on the sync and must be an admin: the changes are made as the `Resource Sync`
service user, which may change everything, so a non-admin running a sync would write what they may not (Komodo
asks only Execute; Varanus does not hand out that escalation). The plan is computed before the Update starts:
files that cannot be used, and a run that would delete more than the configured share of the sync's resources
without `confirm_deletes`, are a 400 and change nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.api.execute.resource_sync import RunSync
from contracts.entities.common import PermissionLevel, ResourceTarget, ResourceTargetVariant
from contracts.entities.update import Log, Operation, Update
from services.common.bus import RequestContext
from services.common.errors import BadRequest, Forbidden
from services.common.runs import now_ms
from services.sync.apply import Applier
from services.sync.diff import Plan
from services.sync.handlers.common import sync_with
from services.sync.pending import compute, refresh
from services.sync.toml_files import SyncFileError

if TYPE_CHECKING:
    from services.sync.app import Sync

DEPLOY_TIMEOUT_SECONDS = 600.0
"""Longest one deploy of a sync's deploy rounds may take."""


def narrowed(plan: Plan, req: RunSync) -> Plan:
    """The plan limited to one resource type and/or some resources (names or ids) when the request says so;
    variables and user groups are left out of a partial run."""
    if req.resource_type is None and not req.resources:
        return plan
    wanted = set(req.resources or [])

    def keep(variant: ResourceTargetVariant, name: str, resource_id: str) -> bool:
        if req.resource_type is not None and variant != req.resource_type:
            return False
        return not wanted or name in wanted or (bool(resource_id) and resource_id in wanted)

    return Plan(
        resources=[c for c in plan.resources if keep(c.kind.variant, c.name, c.id)],
        deploys=[d for d in plan.deploys if keep(d.target.type, d.target.id, "")],
        in_scope=plan.in_scope,
    )


def refuse_mass_delete(plan: Plan, share: float, confirmed: bool, name: str) -> None:
    """A 400 when the run would delete more than `share` of what the sync manages, unless confirmed."""
    if plan.deletes == 0 or confirmed:
        return
    managed = max(plan.in_scope, 1)
    if plan.deletes > share * managed:
        raise BadRequest(
            f"sync {name!r} would delete {plan.deletes} of the {plan.in_scope} resources, variables and user"
            f" groups it manages (more than {share:.0%}); run it again with confirm_deletes: true to do so"
        )


def register(app: Sync) -> None:
    """Answer RunSync."""

    async def handle(req: RunSync, ctx: RequestContext) -> Update:
        sync = await sync_with(app, ctx, req.sync, PermissionLevel.Execute)
        if not ctx.caller.admin:
            raise Forbidden(
                "only admins may run a sync: it changes resources as the Resource Sync service user"
            )
        headers = app.sync_user_headers()
        try:
            pending = await compute(app.registry, headers, app.settings, sync)
        except SyncFileError as err:
            await refresh(app.registry, headers, app.settings, sync, app.states)
            raise BadRequest(f"sync {sync.name!r} cannot be applied, nothing changed: {err}") from None
        plan = narrowed(pending.plan, req)
        narrowed_run = plan is not pending.plan
        refuse_mass_delete(plan, app.settings.sync_delete_share, req.confirm_deletes, sync.name)
        target = ResourceTarget(type=ResourceTargetVariant.ResourceSync, id=sync.id)

        async def work(update: Update) -> list[Log]:
            applier = Applier(app.bus, headers)
            logs: list[Log] = []
            started = now_ms()
            await applier.tags(plan, set(pending.current.tags.values()))
            await applier.variables(plan)
            await applier.resources(plan)
            await applier.user_groups(plan)
            if not narrowed_run:
                for swarm in pending.declared.swarms:
                    await app.swarms.update_one({"_id": swarm["name"]}, {"$set": swarm}, upsert=True)
                    applier.done.append(
                        f"stored swarm {swarm['name']!r} as data (Varanus runs no swarms yet)"
                    )
            logs.append(applier.log("Sync", started))
            if plan.deploys and logs[-1].success:
                started = now_ms()
                await applier.deploy(plan.deploys, DEPLOY_TIMEOUT_SECONDS)
                logs.append(applier.log("Deploy", started))
            last = {
                "last_sync_ts": now_ms(),
                "last_sync_hash": pending.hash,
                "last_sync_message": pending.message,
            }
            await app.registry.set_info(target, last)
            await refresh(app.registry, headers, app.settings, sync, app.states)
            return logs

        return await app.runner.start(Operation.RunSync, target, ctx.caller.user_id, work, ctx=ctx)

    app.bus.handle(RunSync, handle)
