"""Docker objects on a server as Komodo lists them: containers, images, networks, volumes, compose projects.

Also the lenient parsers Komodo applies to docker-facing config text (environment, labels, port and volume
mappings, argument lists): Komodo accepts a list where it stores text, and stores text with a trailing newline.

Inspect answers (`InspectContainer`, `InspectImage`, `InspectNetwork`, `InspectVolume`) mirror Docker's
Engine API with PascalCase keys (`Id`, `State`, `HostConfig`...); Varanus passes them through as
`dict[str, Any]` rather than modelling Docker's whole schema.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any

from pydantic import AliasChoices, Field

from contracts.base import KomodoModel
from contracts.entities.common import I64, ResourceTarget

# ---------------------------------------------------------------------------------------------------------
# Lenient config parsers (Komodo's `deserializers/*.rs`)


def split_string_list(source: str) -> list[str]:
    """Split Komodo's string-list text: one entry per line or comma; `#` comments and blanks dropped."""
    entries: list[str] = []
    for raw in source.split("\n"):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        line = line.split(" #", 1)[0]
        entries.extend(entry.strip() for entry in line.split(",") if entry.strip())
    return entries


def parse_string_list(value: Any) -> Any:
    """Accept a comma or newline separated string where Komodo takes a list of strings."""
    if isinstance(value, str):
        return split_string_list(value)
    return value


def _with_newline(text: str) -> str:
    return text if not text or text.endswith("\n") else text + "\n"


def _key_value_text(keys: tuple[str, str], separator: str) -> Callable[[Any], Any]:
    """A parser turning `[{key: .., value: ..}]` into Komodo's `  key<sep>value` lines; strings get a final newline."""

    def parse(value: Any) -> Any:
        if isinstance(value, str):
            return _with_newline(value)
        if isinstance(value, list):
            lines = []
            for item in value:
                if not isinstance(item, dict) or not all(key in item for key in keys):
                    raise ValueError(f"expected a string or a list of {{{keys[0]}, {keys[1]}}} objects")
                lines.append(f"  {item[keys[0]]}{separator}{item[keys[1]]}")
            return "\n".join(lines) + ("\n" if lines else "")
        return value

    return parse


parse_environment = _key_value_text(("variable", "value"), " = ")
"""Accept `[{variable, value}]` for environment text (`KEY = value` lines)."""
parse_labels = _key_value_text(("variable", "value"), ": ")
"""Accept `[{variable, value}]` for docker label text (`key: value` lines)."""
parse_conversions = _key_value_text(("local", "container"), ": ")
"""Accept `[{local, container}]` for port or volume mapping text (`local: container` lines)."""
parse_term_signal_labels = _key_value_text(("signal", "label"), ": ")
"""Accept `[{signal, label}]` for termination signal label text (`SIGNAL: label` lines)."""


def parse_file_contents(value: Any) -> Any:
    """File contents are stored with trailing whitespace trimmed and one final newline (empty stays empty)."""
    if isinstance(value, str):
        trimmed = value.rstrip()
        return trimmed + "\n" if trimmed else ""
    return value


def _is_none(value: Any) -> bool:
    return value is None


def _is_empty(value: Any) -> bool:
    return not value


# ---------------------------------------------------------------------------------------------------------
# Containers


class ContainerStateStatusEnum(StrEnum):
    """A container's state as docker reports it (lowercase; empty when unknown)."""

    Running = "running"
    Created = "created"
    Restarting = "restarting"
    Stopping = "stopping"
    Removing = "removing"
    Paused = "paused"
    Exited = "exited"
    Dead = "dead"
    Empty = ""


class PortTypeEnum(StrEnum):
    """The protocol of a container port."""

    EMPTY = ""
    TCP = "tcp"
    UDP = "udp"
    SCTP = "sctp"


class Port(KomodoModel):
    """An open port on a container (Docker's PascalCase keys: `IP`, `PrivatePort`, `PublicPort`, `Type`)."""

    ip: str | None = Field(default=None, alias="IP")
    """Host IP the container port is mapped to."""
    private_port: int = Field(default=0, alias="PrivatePort")
    """Port inside the container."""
    public_port: int | None = Field(default=None, alias="PublicPort")
    """Port exposed on the host."""
    type: PortTypeEnum = Field(default=PortTypeEnum.EMPTY, alias="Type")
    """Protocol (tcp, udp, sctp)."""


class ContainerStats(KomodoModel):
    """One container's `docker stats` line; values are docker's formatted strings."""

    name: str = Field(default="", validation_alias=AliasChoices("name", "Name"))
    """Container name."""
    cpu_perc: str = Field(default="", validation_alias=AliasChoices("cpu_perc", "CPUPerc"))
    """CPU usage (e.g. `0.50%`)."""
    mem_perc: str = Field(default="", validation_alias=AliasChoices("mem_perc", "MemPerc"))
    """Memory usage in percent."""
    mem_usage: str = Field(default="", validation_alias=AliasChoices("mem_usage", "MemUsage"))
    """Memory usage and limit (e.g. `20MiB / 1GiB`)."""
    net_io: str = Field(default="", validation_alias=AliasChoices("net_io", "NetIO"))
    """Network I/O."""
    block_io: str = Field(default="", validation_alias=AliasChoices("block_io", "BlockIO"))
    """Block I/O."""
    pids: str = Field(default="", validation_alias=AliasChoices("pids", "PIDs"))
    """Number of processes."""


class ContainerListItem(KomodoModel):
    """A container as the container lists give it (unset optional fields are left out of the JSON)."""

    server_id: str | None = Field(default=None, exclude_if=_is_none)
    """The server hosting the container."""
    server_name: str | None = Field(default=None, exclude_if=_is_none)
    """The name of the server hosting the container."""
    name: str = ""
    """The container name (without the leading `/`)."""
    id: str | None = Field(default=None, exclude_if=_is_none)
    """The container id."""
    image: str | None = Field(default=None, exclude_if=_is_none)
    """The image the container was created from."""
    image_id: str | None = Field(default=None, exclude_if=_is_none)
    """The id of that image."""
    created: I64 | None = Field(default=None, exclude_if=_is_none)
    """When the container was created (unix seconds)."""
    size_rw: I64 | None = Field(default=None, exclude_if=_is_none)
    """Size of files the container created or changed."""
    size_root_fs: I64 | None = Field(default=None, exclude_if=_is_none)
    """Total size of all files in the container."""
    state: ContainerStateStatusEnum = ContainerStateStatusEnum.Empty
    """The container state (e.g. `exited`)."""
    status: str | None = Field(default=None, exclude_if=_is_none)
    """Human-readable status (e.g. `Exit 0`)."""
    network_mode: str | None = Field(default=None, exclude_if=_is_none)
    """The network mode."""
    networks: list[str] = Field(default_factory=list, exclude_if=_is_empty)
    """Names of attached networks."""
    ports: list[Port] = Field(default_factory=list, exclude_if=_is_empty)
    """Port mappings."""
    volumes: list[str] = Field(default_factory=list, exclude_if=_is_empty)
    """Names of attached volumes."""
    stats: ContainerStats | None = Field(default=None, exclude_if=_is_none)
    """The container's stats, if they could be read."""
    labels: dict[str, str] = Field(default_factory=dict, exclude=True)
    """Container labels; kept internally but never sent (use InspectContainer)."""


class ContainerSortBy(StrEnum):
    """Sort orders of `ListAllContainers`."""

    Name = "Name"
    Server = "Server"
    State = "State"
    Image = "Image"
    Networks = "Networks"
    Ports = "Ports"
    Volumes = "Volumes"


class GetContainersSummaryResponse(KomodoModel):
    """Container counts over all servers (the answer of `GetContainersSummary`)."""

    total: int = 0
    """Number of containers."""
    running: int = 0
    """Containers that are running."""
    stopped: int = 0
    """Containers that are stopped, paused or created."""
    unhealthy: int = 0
    """Containers that are restarting or dead."""
    unknown: int = 0
    """Containers in an unknown state."""


class NameAndId(KomodoModel):
    """A docker object's name and id."""

    name: str = ""
    """The name."""
    id: str = ""
    """The id."""


# ---------------------------------------------------------------------------------------------------------
# Images, networks, volumes, compose projects


class ImageListItem(KomodoModel):
    """An image in a server's local cache (items of `ListImages`)."""

    id: str = ""
    """The content-addressable image id."""
    parent_id: str = ""
    """The parent image id (only for locally built images)."""
    name: str = ""
    """The first repo tag, or the id if untagged."""
    tags: list[str] = Field(default_factory=list)
    """Docker's `RepoTags`."""
    digests: list[str] = Field(default_factory=list)
    """Docker's `RepoDigests`."""
    created: I64 = 0
    """When the image was created (unix seconds)."""
    size: I64 = 0
    """Total size including all layers."""
    in_use: bool = False
    """Whether a container uses the image."""


class ImageHistoryResponseItem(KomodoModel):
    """One layer of an image's history (Docker's PascalCase keys)."""

    id: str = Field(default="", alias="Id")
    """The layer id."""
    created: I64 = Field(default=0, alias="Created")
    """When the layer was created (unix seconds)."""
    created_by: str = Field(default="", alias="CreatedBy")
    """The instruction that created the layer."""
    tags: list[str] = Field(default_factory=list, alias="Tags")
    """Tags of the layer."""
    size: I64 = Field(default=0, alias="Size")
    """Size of the layer."""
    comment: str = Field(default="", alias="Comment")
    """Comment of the layer."""


class NetworkListItem(KomodoModel):
    """A docker network on a server (items of `ListNetworks`)."""

    name: str | None = None
    """The network name."""
    id: str | None = None
    """The network id."""
    created: str | None = None
    """When the network was created."""
    scope: str | None = None
    """The network scope (local, swarm)."""
    driver: str | None = None
    """The network driver."""
    enable_ipv6: bool | None = None
    """Whether IPv6 is enabled."""
    ipam_driver: str | None = None
    """The IPAM driver."""
    ipam_subnet: str | None = None
    """The IPAM subnet."""
    ipam_gateway: str | None = None
    """The IPAM gateway."""
    internal: bool | None = None
    """Whether the network is internal."""
    attachable: bool | None = None
    """Whether containers can attach manually."""
    ingress: bool | None = None
    """Whether it is the swarm ingress network."""
    in_use: bool = False
    """Whether a container is attached."""


class VolumeScopeEnum(StrEnum):
    """Where a volume exists."""

    Empty = ""
    Local = "local"
    Global = "global"


class VolumeListItem(KomodoModel):
    """A docker volume on a server (items of `ListVolumes`)."""

    name: str = ""
    """The volume name."""
    driver: str = ""
    """The volume driver."""
    mountpoint: str = ""
    """Mount path on the host."""
    created: str | None = None
    """When the volume was created."""
    scope: VolumeScopeEnum = VolumeScopeEnum.Empty
    """`local` or `global`."""
    size: I64 | None = None
    """Disk space used in bytes (local driver only; -1 when not available)."""
    in_use: bool = False
    """Whether a container uses the volume."""


class ComposeProject(KomodoModel):
    """A docker compose project on a server (items of `ListComposeProjects`)."""

    name: str = ""
    """The compose project name."""
    status: str | None = None
    """The status docker reports."""
    compose_files: list[str] = Field(default_factory=list)
    """The compose files of the project."""


# ---------------------------------------------------------------------------------------------------------
# Inspect answers: Docker Engine API JSON, passed through unmodelled

InspectContainerResponse = dict[str, Any]
"""Docker's container inspect JSON (PascalCase keys: `Id`, `Name`, `State`, `Config`, `HostConfig`...)."""
InspectImageResponse = dict[str, Any]
"""Docker's image inspect JSON (PascalCase keys: `Id`, `RepoTags`, `Config`, `RootFS`...)."""
InspectNetworkResponse = dict[str, Any]
"""Docker's network inspect JSON (PascalCase keys: `Name`, `Id`, `Driver`, `IPAM`, `Containers`...)."""
InspectVolumeResponse = dict[str, Any]
"""Docker's volume inspect JSON (PascalCase keys: `Name`, `Driver`, `Mountpoint`, `UsageData`...)."""


class GetResourceMatchingContainerResponse(KomodoModel):
    """The Deployment or Stack a container belongs to (the answer of `GetResourceMatchingContainer`)."""

    resource: ResourceTarget | None = None
    """The matching Deployment or Stack, or null."""
