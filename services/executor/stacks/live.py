"""What the registry shows of a Stack's live state in its lists: state, status and services."""

from __future__ import annotations

import json
from typing import Any

from contracts.entities.stack import StackState
from services.executor.servers.cache import ServerCache
from services.executor.stacks.state import project_containers, service_of, stack_state
from services.executor.updates.store import StackUpdateRecord


def stack_info(
    cache: ServerCache, hint: dict[str, str], record: StackUpdateRecord | None = None
) -> dict[str, Any]:
    """The live list-info fields of a stack from its hint (server, project, services, ignored services) and its
    last image update check (a service's update shows while its container runs the image that was checked)."""
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
    services: list[dict[str, Any]] = list(declared) or [
        {"service": service_of(c), "image": c.image or ""} for c in sorted(containers, key=service_of)
    ]
    if record is not None:
        running_ids = {service_of(c): c.image_id for c in containers}
        checked = {s.service: s for s in record.services}
        services = [
            {
                **s,
                "update_available": s["service"] in checked
                and checked[s["service"]].shows_update(running_ids.get(s["service"])),
            }
            for s in services
        ]
    if services and (record is not None or not declared):
        info["services"] = services
    return info
