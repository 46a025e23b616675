"""Computing a sync's pending changes and recording them in its info (what RefreshResourceSyncPending does,
and what RunSync starts from)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from contracts.api.read.deployment import ListDeployments
from contracts.api.read.stack import ListStacks
from contracts.entities.common import ResourceTarget, ResourceTargetVariant
from contracts.entities.resource_sync import ResourceSync, SyncFileContents
from services.common.bus import Bus
from services.common.registry_client import RegistryClient
from services.common.settings import Settings
from services.sync.diff import Plan, group_diffs, plan, resource_diffs, variable_diffs
from services.sync.pending_state import PendingStates
from services.sync.sources import read_sources
from services.sync.state import Current, read_current
from services.sync.toml_files import Declared, SourceFile, SyncFileError, parse_files

V = ResourceTargetVariant


@dataclass
class Pending:
    """A sync's files, the system they were compared with, and the changes."""

    files: list[SourceFile]
    hash: str | None
    message: str | None
    declared: Declared
    current: Current
    plan: Plan


async def running(
    bus: Bus, headers: Mapping[str, str]
) -> tuple[dict[ResourceTargetVariant, dict[str, bool]], dict[str, str]]:
    """Which deployments and stacks run now, by name, and the image each running deployment runs."""
    deployments: list[Any] = await bus.request(ListDeployments(limit=0), headers)
    stacks: list[Any] = await bus.request(ListStacks(limit=0), headers)
    states = {
        V.Deployment: {d.name: d.info.state.value == "running" for d in deployments},
        V.Stack: {s.name: s.info.state.value == "running" for s in stacks},
    }
    images = {d.name: d.info.image for d in deployments if d.info.state.value == "running" and d.info.image}
    return states, images


async def compute(
    registry: RegistryClient, headers: Mapping[str, str], settings: Settings, sync: ResourceSync
) -> Pending:
    """Read the sync's files, the system, and plan; a SyncFileError when the files cannot be used."""
    sources = await read_sources(sync.config, settings, registry)
    declared = parse_files(sources.files)
    bus = registry.bus
    current = await read_current(bus, headers, sync.config.include_user_groups)
    deploying = any(r.deploy for r in declared.resources)
    states, images = await running(bus, headers) if deploying else ({}, {})
    found = plan(declared, current, sync.config, sync.name, states, images)
    return Pending(sources.files, sources.hash, sources.message, declared, current, found)


def info_of(pending: Pending | None, error: str | None) -> dict[str, Any]:
    """The sync's info fields for a computed plan, or for an error (no pending changes then)."""
    if pending is None:
        return {
            "resource_updates": [],
            "variable_updates": [],
            "user_group_updates": [],
            "pending_deploys": [],
            "pending_error": error,
            "remote_errors": [SyncFileContents(path="", contents=error or "").to_json()],
        }
    found = pending.plan
    return {
        "resource_updates": [d.to_json() for d in resource_diffs(found)],
        "variable_updates": [d.to_json() for d in variable_diffs(found)],
        "user_group_updates": [d.to_json() for d in group_diffs(found)],
        "pending_deploys": [d.to_json() for d in found.deploys],
        "pending_error": None,
        "pending_hash": pending.hash,
        "pending_message": pending.message,
        "remote_contents": [
            SyncFileContents(resource_path=f.resource_path, path=f.path, contents=f.contents).to_json()
            for f in pending.files
        ],
        "remote_errors": [],
    }


async def refresh(
    registry: RegistryClient,
    headers: Mapping[str, str],
    settings: Settings,
    sync: ResourceSync,
    states: PendingStates | None = None,
) -> Pending | None:
    """Compute the pending changes and record them (or the error) in the sync's info, and in `states` whether
    anything is pending (an error is not: nothing would be applied)."""
    target = ResourceTarget(type=V.ResourceSync, id=sync.id)
    try:
        pending = await compute(registry, headers, settings, sync)
    except SyncFileError as err:
        await registry.set_info(target, info_of(None, str(err)))
        if states is not None:
            await states.record(sync, False)
        return None
    await registry.set_info(target, info_of(pending, None))
    if states is not None:
        await states.record(sync, not pending.plan.empty)
    return pending
