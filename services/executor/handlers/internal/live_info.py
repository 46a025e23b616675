"""GetLiveInfo: what the registry shows of live state in its lists (servers: state, stats, agent version;
deployments: their container's state, and whether an image update is available; stacks: state, and their
services with image updates; procedures and actions: the state of their last run and when it started, their
next scheduled run and schedule error)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from contracts.api.internal.live_info import GetLiveInfo, LiveInfo
from contracts.entities.agent import AgentContainer
from contracts.entities.common import ResourceTargetVariant
from contracts.entities.deployment import DeploymentState
from contracts.entities.system import MinimalSystemStats
from services.common.bus import RequestContext
from services.executor.procedures.store import procedure_infos
from services.executor.resource_states import deployment_state
from services.executor.stacks.live import stack_info
from services.executor.updates.store import UpdateRecord

if TYPE_CHECKING:
    from services.executor.app import Executor

NO_CONTAINER = (DeploymentState.Unknown, DeploymentState.NotDeployed)
"""Deployment states without a container on a held server: nothing but the state to show."""


def register(executor: Executor) -> None:
    """Answer GetLiveInfo from the heartbeats held in memory."""
    cache = executor.cache

    def server_info(server_id: str) -> dict[str, Any]:
        info: dict[str, Any] = {"state": cache.state(server_id).value}
        status = cache.status(server_id)
        if status is None:
            return info
        periphery, system = status.status.periphery_info, status.status.system_info
        info.update(
            version=periphery.version or None,
            public_ip=periphery.public_ip,
            terminals_disabled=periphery.terminals_disabled,
            container_terminals_disabled=periphery.container_terminals_disabled,
            core_count=system.core_count,
            logical_core_count=system.logical_core_count,
        )
        if status.status.system_stats is not None:
            info["stats"] = MinimalSystemStats.from_stats(status.status.system_stats).model_dump(mode="json")
        return info

    def deployment_seen(hint: dict[str, str]) -> tuple[DeploymentState, str | None, AgentContainer | None]:
        """A deployment's state, Docker status and container, from one look at the held heartbeats."""
        server_id, container = hint.get("server_id", ""), hint.get("container", "")
        state, status = deployment_state(cache, server_id, container)
        if state in NO_CONTAINER:
            return state, status, None
        return state, status, next((c for c in cache.containers(server_id) if c.name == container), None)

    def deployment_info(
        seen: tuple[DeploymentState, str | None, AgentContainer | None], record: UpdateRecord | None
    ) -> dict[str, Any]:
        state, status, found = seen
        if found is None:
            return {"state": state.value}
        # The last image check, unless the container was redeployed with another image since.
        update = record is not None and record.shows_update(found.image_id)
        info = {"state": state.value, "status": status, "update_available": update}
        # What runs, as Komodo shows it (a Build's deployment has no image in its config).
        return info | ({"image": found.image} if found.image else {})

    async def deployment_infos(req: GetLiveInfo) -> dict[str, dict[str, Any]]:
        ids = [i for i in req.ids if i in req.hints]
        # Taken before the image checks are read, so a heartbeat arriving meanwhile cannot tear them apart.
        seen = {i: deployment_seen(req.hints[i]) for i in ids}
        # The image checks matter only where a container exists: a list none of whose deployments is deployed
        # on a held server (a new fleet, agents away) asks no database.
        deployed = [i for i in ids if seen[i][2] is not None]
        records = await executor.image_updates.store.get_many(deployed) if deployed else {}
        return {i: deployment_info(seen[i], records.get(i)) for i in ids}

    async def live(req: GetLiveInfo, ctx: RequestContext) -> LiveInfo:
        if req.type == ResourceTargetVariant.Server:
            return LiveInfo(infos={server_id: server_info(server_id) for server_id in req.ids})
        if req.type == ResourceTargetVariant.Deployment:
            return LiveInfo(infos=await deployment_infos(req))
        if req.type == ResourceTargetVariant.Procedure:
            infos = procedure_infos(await executor.procedures.store.last_runs(req.ids))
            return LiveInfo(infos=await executor.schedules.store.list_infos(req.type, req.ids, infos))
        if req.type == ResourceTargetVariant.Action:
            infos = await executor.action_runs.infos(req.ids)
            return LiveInfo(infos=await executor.schedules.store.list_infos(req.type, req.ids, infos))
        if req.type == ResourceTargetVariant.Stack:
            ids = [i for i in req.ids if i in req.hints]
            records = await executor.image_updates.store.get_stacks(ids)
            return LiveInfo(infos={i: stack_info(cache, req.hints[i], records.get(i)) for i in ids})
        return LiveInfo()

    executor.bus.handle(GetLiveInfo, live)
