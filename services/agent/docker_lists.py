"""The Docker objects on the host as Komodo lists them: containers, networks, images, volumes, compose projects.

The four lists are read concurrently from the engine's JSON endpoints; `in_use` and the compose projects are
worked out from the containers, so a listing costs four engine calls whatever the number of objects.
"""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from typing import Any, Final

from contracts.entities.agent import AgentContainer, DockerLists
from contracts.entities.docker import (
    ComposeProject,
    ContainerStateStatusEnum,
    ContainerStats,
    ImageListItem,
    NetworkListItem,
    Port,
    VolumeListItem,
    VolumeScopeEnum,
)
from services.agent.docker_api import DockerApi

COMPOSE_PROJECT_LABEL: Final = "com.docker.compose.project"
"""The label docker compose puts on each container of a project."""
COMPOSE_FILES_LABEL: Final = "com.docker.compose.project.config_files"
"""The label with the project's compose files (comma-separated)."""
UNTAGGED: Final = "<none>:<none>"
"""The tag Docker lists for an image without one."""


def container_state(value: Any) -> ContainerStateStatusEnum:
    """Docker's state string as the enum (unknown states are empty)."""
    try:
        return ContainerStateStatusEnum(str(value or "").lower())
    except ValueError:
        return ContainerStateStatusEnum.Empty


def container_item(raw: Mapping[str, Any], stats: ContainerStats | None = None) -> AgentContainer:
    """One entry of `GET /containers/json` as Komodo's container list item, with its labels."""
    names = raw.get("Names") or [""]
    networks = (raw.get("NetworkSettings") or {}).get("Networks") or {}
    return AgentContainer(
        name=str(names[0]).lstrip("/"),
        id=raw.get("Id"),
        image=raw.get("Image"),
        image_id=raw.get("ImageID"),
        created=raw.get("Created"),
        size_rw=raw.get("SizeRw"),
        size_root_fs=raw.get("SizeRootFs"),
        state=container_state(raw.get("State")),
        status=raw.get("Status"),
        network_mode=(raw.get("HostConfig") or {}).get("NetworkMode"),
        networks=sorted(networks),
        ports=[Port.model_validate(port) for port in raw.get("Ports") or []],
        volumes=[mount["Name"] for mount in raw.get("Mounts") or [] if mount.get("Name")],
        stats=stats,
        labels=dict(raw.get("Labels") or {}),
    )


def resolve_network_modes(containers: list[AgentContainer]) -> list[AgentContainer]:
    """Replace a `container:<id>` network mode by the network mode of that container (as Komodo shows it)."""
    by_id = {c.id: c.network_mode for c in containers if c.id and c.network_mode}
    resolved = []
    for container in containers:
        mode = container.network_mode or ""
        if mode.startswith("container:"):
            target = mode.removeprefix("container:")
            resolved.append(container.model_copy(update={"network_mode": by_id.get(target)}))
        else:
            resolved.append(container)
    return resolved


def network_item(raw: Mapping[str, Any], used: set[str]) -> NetworkListItem:
    """One entry of `GET /networks` as Komodo's network list item."""
    ipam = raw.get("IPAM") or {}
    config = (ipam.get("Config") or [{}])[0] or {}
    name = raw.get("Name")
    return NetworkListItem(
        name=name,
        id=raw.get("Id"),
        created=raw.get("Created"),
        scope=raw.get("Scope"),
        driver=raw.get("Driver"),
        enable_ipv6=raw.get("EnableIPv6"),
        ipam_driver=ipam.get("Driver"),
        ipam_subnet=config.get("Subnet"),
        ipam_gateway=config.get("Gateway"),
        internal=raw.get("Internal"),
        attachable=raw.get("Attachable"),
        ingress=raw.get("Ingress"),
        in_use=name in used,
    )


def image_item(raw: Mapping[str, Any], used: set[str]) -> ImageListItem:
    """One entry of `GET /images/json` as Komodo's image list item."""
    image_id = str(raw.get("Id", ""))
    tags = [tag for tag in raw.get("RepoTags") or [] if tag != UNTAGGED]
    return ImageListItem(
        id=image_id,
        parent_id=str(raw.get("ParentId") or ""),
        name=tags[0] if tags else image_id,
        tags=tags,
        digests=[d for d in raw.get("RepoDigests") or [] if d != "<none>@<none>"],
        created=int(raw.get("Created") or 0),
        size=int(raw.get("Size") or 0),
        in_use=image_id in used,
    )


def volume_item(raw: Mapping[str, Any], used: set[str]) -> VolumeListItem:
    """One entry of `GET /volumes` as Komodo's volume list item."""
    scope = str(raw.get("Scope") or "")
    usage = raw.get("UsageData") or {}
    return VolumeListItem(
        name=str(raw.get("Name", "")),
        driver=str(raw.get("Driver", "")),
        mountpoint=str(raw.get("Mountpoint", "")),
        created=raw.get("CreatedAt"),
        scope=VolumeScopeEnum(scope) if scope in {"local", "global"} else VolumeScopeEnum.Empty,
        size=usage.get("Size"),
        in_use=str(raw.get("Name", "")) in used,
    )


def compose_projects(containers: Iterable[AgentContainer]) -> list[ComposeProject]:
    """The compose projects of these containers, with a status like `docker compose ls`: `exited(1), running(2)`."""
    states: dict[str, Counter[str]] = defaultdict(Counter)
    files: dict[str, list[str]] = {}
    for container in containers:
        project = container.labels.get(COMPOSE_PROJECT_LABEL)
        if not project:
            continue
        states[project][container.state.value or "unknown"] += 1
        config = container.labels.get(COMPOSE_FILES_LABEL, "")
        if config and project not in files:
            files[project] = [path for path in config.split(",") if path]
    projects = [
        ComposeProject(
            name=name,
            status=", ".join(f"{state}({count})" for state, count in sorted(counts.items())),
            compose_files=files.get(name, []),
        )
        for name, counts in states.items()
    ]
    return sorted(projects, key=lambda p: (p.status or "", p.name))


async def docker_lists(docker: DockerApi) -> DockerLists:
    """Every container, network, image and volume, and the compose projects (container stats are not read).

    Raises `Unavailable` when the engine is not reachable.
    """
    async with docker.reachable() as client:
        raw_containers, raw_networks, raw_images, raw_volumes = await asyncio.gather(
            client._query_json("containers/json", params={"all": "1"}),
            client._query_json("networks"),
            client._query_json("images/json"),
            client._query_json("volumes"),
        )
    containers = resolve_network_modes([container_item(raw) for raw in raw_containers])
    used_networks = {name for c in containers for name in c.networks} | {
        c.network_mode for c in containers if c.network_mode
    }
    used_images = {c.image_id for c in containers if c.image_id}
    used_volumes = {name for c in containers for name in c.volumes}
    return DockerLists(
        containers=sorted(containers, key=lambda c: c.name),
        networks=sorted(
            (network_item(raw, used_networks) for raw in raw_networks), key=lambda n: n.name or ""
        ),
        images=sorted((image_item(raw, used_images) for raw in raw_images), key=lambda i: i.name),
        volumes=sorted(
            (volume_item(raw, used_volumes) for raw in (raw_volumes or {}).get("Volumes") or []),
            key=lambda v: v.name,
        ),
        projects=compose_projects(containers),
    )
