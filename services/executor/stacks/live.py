"""What the registry shows of a Stack's live state in its lists: state, status and services."""

from __future__ import annotations

import json
from typing import Any

from contracts.entities.stack import StackState
from services.executor.servers.cache import ServerCache
from services.executor.stacks.state import project_containers, service_of, stack_state


def stack_info(cache: ServerCache, hint: dict[str, str]) -> dict[str, Any]:
    """The live list-info fields of a stack from its hint (server, project, services, ignored services)."""
    server_id, project = hint.get("server_id", ""), hint.get("project", "")
    if not server_id or not project or cache.status(server_id) is None:
        return {"state": StackState.Unknown.value}
    declared: list[dict[str, str]] = json.loads(hint.get("services") or "[]")
    ignore: list[str] = json.loads(hint.get("ignore") or "[]")
    containers = project_containers(cache.containers(server_id), project)
    state = stack_state(containers, [s["service"] for s in declared], ignore)
    running = sum(1 for c in containers if c.state.value == "running")
    info: dict[str, Any] = {
        "state": state.value,
        "status": f"{running}/{len(containers)} running" if containers else None,
        "project_missing": not containers,
    }
    if not declared and containers:
        info["services"] = [
            {"service": service_of(c), "image": c.image or ""} for c in sorted(containers, key=service_of)
        ]
    return info
