"""List item infos and summaries, built from what the registry stores.

Run state (a deployment's container state, a server's health, a build's last result) belongs to the
executing services; until they report it, the registry gives Komodo's "unknown" state (a server that is not
enabled is `Disabled`).
"""

from __future__ import annotations

import enum
import typing
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from contracts.entities.common import Resource, ResourceListItem, ResourceTargetVariant
from services.registry.kinds import KindSpec

V = ResourceTargetVariant
Extras = Callable[[dict[str, Any]], dict[str, Any]]


def _repo_link(config: dict[str, Any]) -> dict[str, Any]:
    repo = config.get("repo") or ""
    if not repo:
        return {"repo_link": ""}
    scheme = "https" if config.get("git_https", True) else "http"
    return {"repo_link": f"{scheme}://{config.get('git_provider') or 'github.com'}/{repo}"}


def _server(config: dict[str, Any]) -> dict[str, Any]:
    thresholds = {
        key: config.get(key)
        for key in (
            "cpu_warning",
            "cpu_critical",
            "mem_warning",
            "mem_critical",
            "disk_warning",
            "disk_critical",
        )
        if key in config
    }
    return {"alerting_thresholds": thresholds, "state": "NotOk" if config.get("enabled") else "Disabled"}


def _deployment(config: dict[str, Any]) -> dict[str, Any]:
    image = config.get("image") or {}
    params = image.get("params") or {}
    if image.get("type") == "Build":
        return {"image": "", "build_id": params.get("build_id", "")}
    return {"image": params.get("image", "")}


def _stack(config: dict[str, Any]) -> dict[str, Any]:
    return {**_repo_link(config), "file_contents": bool(config.get("file_contents"))}


def stack_services(info: dict[str, Any]) -> list[dict[str, Any]]:
    """A stack's services as its list item shows them: those deployed, else those its files declare."""
    deployed = info.get("deployed_services")
    services = deployed if deployed is not None else info.get("latest_services") or []
    return [{"service": s.get("service_name", ""), "image": s.get("image", "")} for s in services]


def _build(config: dict[str, Any]) -> dict[str, Any]:
    registries = config.get("image_registry") or []
    domain = registries[0].get("domain", "") if registries and isinstance(registries[0], dict) else ""
    return {
        **_repo_link(config),
        "dockerfile_contents": bool(config.get("dockerfile")),
        "image_registry_domain": domain or None,
    }


def _sync(config: dict[str, Any]) -> dict[str, Any]:
    return {**_repo_link(config), "file_contents": bool(config.get("file_contents"))}


def _builder(config: dict[str, Any]) -> dict[str, Any]:
    params = config.get("params") or {}
    if config.get("type") == "Server":  # Komodo shows the (first) server id there for Server builders
        servers = params.get("server_ids") or []
        return {"builder_type": "Server", "instance_type": servers[0] if servers else None}
    return {"builder_type": config.get("type", ""), "instance_type": params.get("instance_type")}


def _procedure(config: dict[str, Any]) -> dict[str, Any]:
    return {"stages": len(config.get("stages") or [])}


def _alerter(config: dict[str, Any]) -> dict[str, Any]:
    return {"endpoint_type": (config.get("endpoint") or {}).get("type", "Custom")}


def _server_template(config: dict[str, Any]) -> dict[str, Any]:
    params = config.get("params") or {}
    return {
        "provider": config.get("type", ""),
        "instance_type": params.get("instance_type") or params.get("server_type"),
    }


EXTRAS: dict[ResourceTargetVariant, Extras] = {
    V.Server: _server,
    V.Deployment: _deployment,
    V.Stack: _stack,
    V.Build: _build,
    V.Repo: _repo_link,
    V.Builder: _builder,
    V.Procedure: _procedure,
    V.ResourceSync: _sync,
    V.Alerter: _alerter,
    V.ServerTemplate: _server_template,
}
"""Per kind, the list info fields that are derived rather than copied from config or info."""


def _unknown_member(annotation: Any) -> Any:
    """For an enum-typed `state` field, its Unknown member (Komodo's state before anything is known)."""
    candidates = [annotation, *typing.get_args(annotation)]
    for candidate in candidates:
        if isinstance(candidate, type) and issubclass(candidate, enum.Enum):
            for member in candidate:
                if member.value.lower() == "unknown":
                    return member.value
            return next(iter(candidate)).value
    return None


def sync_state(info: dict[str, Any]) -> str:
    """A ResourceSync's state from what its last refresh recorded in its info (the sync service writes it):
    Failed when its files could not be used, Pending with changes or deploys waiting, Ok once refreshed without,
    Unknown before any refresh."""
    if info.get("pending_error"):
        return "Failed"
    pending = ("resource_updates", "variable_updates", "user_group_updates", "pending_deploys")
    if any(info.get(name) for name in pending):
        return "Pending"
    if info.get("remote_contents") or info.get("last_sync_ts"):
        return "Ok"
    return "Unknown"


def list_item_info(spec: KindSpec, resource: Resource[Any, Any]) -> Any:
    """The list item info of a resource: matching config and info fields, derived fields, unknown state."""
    info_cls = spec.list_item_info_cls
    config = resource.config.model_dump(mode="json")
    info = resource.info.model_dump(mode="json") if hasattr(resource.info, "model_dump") else {}
    source: dict[str, Any] = {**config, **info}
    extras = EXTRAS.get(spec.variant)
    if extras is not None:
        source.update(extras(config))
    if spec.variant == V.Stack:
        source["services"] = stack_services(info)
    if spec.variant == V.ResourceSync:
        source["state"] = sync_state(info)
    fields = info_cls.model_fields
    data = {name: source[name] for name in fields if name in source}
    if "state" in fields and "state" not in data:
        data["state"] = _unknown_member(fields["state"].annotation)
    try:
        return info_cls.model_validate(data)
    except ValidationError as err:
        # A field copied by name whose shape differs in the list info falls back to its default.
        for problem in err.errors():
            if problem["loc"]:
                data.pop(str(problem["loc"][0]), None)
        return info_cls.model_validate(data)


_STATE_BUCKETS = {
    "ok": ("ok", "healthy"),
    "notok": ("unhealthy",),
    "running": ("running",),
    "exited": ("stopped",),
    "created": ("stopped",),
    "paused": ("stopped",),
    "dead": ("stopped",),
    "stopped": ("stopped",),
    "restarting": ("stopped",),
    "removing": ("stopped",),
    "down": ("down",),
    "not_deployed": ("not_deployed",),
    "unhealthy": ("unhealthy",),
    "disabled": ("disabled",),
    "failed": ("failed",),
    "building": ("building",),
    "cloning": ("cloning",),
    "pulling": ("pulling",),
    "syncing": ("syncing",),
    "pending": ("pending",),
}


def summarize(spec: KindSpec, items: list[ResourceListItem[Any]]) -> Any:
    """The `Get<Kind>sSummary` answer: the total, and each item counted in the bucket of its state."""
    summary_cls: Any = spec.request("read", "Get{Ks}Summary")
    response_cls = summary_cls.RESPONSE if summary_cls is not None else None
    if response_cls is None:
        return {"total": len(items)}
    fields = response_cls.model_fields
    counts: dict[str, int] = {name: 0 for name in fields if name != "total"}
    for item in items:
        state = getattr(item.info, "state", None)
        if state is None:
            continue
        key = str(state.value if hasattr(state, "value") else state).lower()
        bucket = next((b for b in _STATE_BUCKETS.get(key, ()) if b in counts), None)
        if bucket is None and "unknown" in counts:
            bucket = "unknown"
        if bucket is not None:
            counts[bucket] += 1
    if "total" in fields:
        counts["total"] = len(items)
    return response_cls.model_validate(counts)
