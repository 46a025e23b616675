"""What a resource's config points at: the other resources a user attaches by writing that config.

A Deployment's server, a Stack's linked repo, a Build's builder and the rest are declared per kind
(`KindSpec.references`) and stored as ids. Two kinds point at resources in less regular places: an Alerter's
`resources` / `except_resources` targets, and the executions of a Procedure's stages (`{"type": "Deploy",
"params": {"deployment": "web"}}`, or a batch pattern that picks several). This module finds those, so the
registry can check that the writer may attach each one (Komodo's `Attach` permission, or Write).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from contracts.api.base import find_request
from contracts.entities.common import ResourceTargetVariant
from services.common.errors import BadRequest
from services.common.patterns import select
from services.registry.kinds import KINDS

V = ResourceTargetVariant


@dataclass(frozen=True)
class Referenced:
    """One resource a config points at."""

    field: str
    """Where in the request it is named (`config.server_id`, `config.stages[0].executions[1]...`)."""
    target: ResourceTargetVariant
    """The referenced resource's type."""
    id: str
    """The referenced resource's id."""
    name: str
    """The referenced resource's name."""


Resolve = Callable[[ResourceTargetVariant, str], Awaitable[tuple[str, str] | None]]
"""(id, name) of the resource of a type with that id or name, or None."""
AllOf = Callable[[ResourceTargetVariant], Awaitable[list[tuple[str, str]]]]
"""(id, name) of every resource of a type."""

PARAM_KINDS: dict[str, ResourceTargetVariant] = {spec.primary: spec.variant for spec in KINDS}
"""Execution params that name a resource, by param name (`deployment`, `server`, `sync`, ...)."""


def _param_targets(request_name: str) -> dict[str, ResourceTargetVariant]:
    """The params of an execute request that name a resource, with the type they name."""
    request_cls = find_request("execute", request_name)
    if request_cls is None:
        return {}
    return {name: PARAM_KINDS[name] for name in request_cls.model_fields if name in PARAM_KINDS}


def _batch_kind(request_name: str) -> ResourceTargetVariant | None:
    """The type a `Batch*` execution's pattern picks from: the one its single form names."""
    if not request_name.startswith("Batch"):
        return None
    single = _param_targets(request_name.removeprefix("Batch"))
    return next(iter(single.values()), None)


async def alerter_references(config: dict[str, Any], resolve: Resolve) -> list[Referenced]:
    """An Alerter's `resources` targets (names replaced by ids in place); `except_resources` are resolved too.

    Only `resources` is checked for Attach: limiting an alerter to a resource routes that resource's alerts,
    while excluding one gives nothing.
    """
    found: list[Referenced] = []
    for list_field in ("resources", "except_resources"):
        for index, target in enumerate(config.get(list_field) or []):
            if not isinstance(target, dict):
                continue
            variant = V(str(target.get("type")))
            value = str(target.get("id") or "")
            if variant == V.System or not value:
                continue
            resolved = await resolve(variant, value)
            field = f"config.{list_field}[{index}]"
            if resolved is None:
                raise BadRequest(f"{field}: no {variant.value} named or with id {value!r}")
            target["id"] = resolved[0]
            if list_field == "resources":
                found.append(Referenced(field, variant, *resolved))
    return found


async def procedure_references(config: dict[str, Any], resolve: Resolve, all_of: AllOf) -> list[Referenced]:
    """The resources a Procedure's executions act on: each named one, and what each batch pattern picks now.

    Names stay as written (Komodo keeps them in the params); an execution type that does not exist, or a
    param that names nothing, is left for the run to report, as Komodo does.
    """
    found: list[Referenced] = []
    for s_index, stage in enumerate(config.get("stages") or []):
        for e_index, enabled in enumerate((stage or {}).get("executions") or []):
            execution = (enabled or {}).get("execution") or {}
            kind, params = str(execution.get("type") or ""), execution.get("params") or {}
            if not isinstance(params, dict):
                continue
            field = f"config.stages[{s_index}].executions[{e_index}].execution.params"
            for param, variant in _param_targets(kind).items():
                value = params.get(param)
                if isinstance(value, str) and value:
                    resolved = await resolve(variant, value)
                    if resolved is not None:
                        found.append(Referenced(f"{field}.{param}", variant, *resolved))
            batch = _batch_kind(kind)
            pattern = params.get("pattern")
            if batch is not None and isinstance(pattern, str) and pattern.strip():
                for resource_id, name in select(pattern, await all_of(batch)):
                    found.append(Referenced(f"{field}.pattern", batch, resource_id, name))
    return found
