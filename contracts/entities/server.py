"""Server: a host running the Periphery agent, where containers, stacks and builds run."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, field_validator

from contracts.api.base import ErrorEnvelope
from contracts.base import KomodoModel
from contracts.entities.common import (
    I64,
    MaintenanceWindow,
    Resource,
    ResourceListItem,
    ResourceQuery,
)
from contracts.entities.docker import parse_string_list
from contracts.entities.system import MinimalSystemStats


class ServerConfig(KomodoModel):
    """Configuration of a Server."""

    address: str = ""
    """Address of Periphery (ws/wss/http/https) for Core-to-Periphery connections; empty means Periphery
    connects to Core."""
    insecure_tls: bool = True
    """Skip TLS certificate checks on Core-to-Periphery connections (Periphery self-signs by default)."""
    external_address: str = ""
    """Address used in links to the server's containers; empty means `address`."""
    region: str = ""
    """An optional region label."""
    enabled: bool = False
    """Whether the server is enabled; disabled servers are not polled and take no actions."""
    auto_rotate_keys: bool = True
    """Rotate this server's keys when RotateAllServerKeys runs."""
    passkey: str = ""
    """Deprecated: a passkey overriding the core's for Periphery authentication."""
    ignore_mounts: list[str] = Field(default_factory=list)
    """Mount paths to leave out of the system stats."""
    auto_prune: bool = True
    """Run `docker image prune -a -f` every 24 hours."""
    links: list[str] = Field(default_factory=list)
    """Quick links shown in the resource header."""
    stats_monitoring: bool = True
    """Monitor system stats beyond the health check."""
    send_unreachable_alerts: bool = True
    """Send alerts when the server is unreachable."""
    send_cpu_alerts: bool = True
    """Send CPU alerts."""
    send_mem_alerts: bool = True
    """Send memory alerts."""
    send_disk_alerts: bool = True
    """Send disk alerts."""
    send_version_mismatch_alerts: bool = True
    """Send alerts when Periphery's version differs from Core's."""
    cpu_warning: float = 90.0
    """CPU percentage that triggers a WARNING."""
    cpu_critical: float = 99.0
    """CPU percentage that triggers a CRITICAL."""
    mem_warning: float = 75.0
    """Memory percentage that triggers a WARNING."""
    mem_critical: float = 95.0
    """Memory percentage that triggers a CRITICAL."""
    disk_warning: float = 75.0
    """Disk percentage (per mount) that triggers a WARNING."""
    disk_critical: float = 95.0
    """Disk percentage (per mount) that triggers a CRITICAL."""
    maintenance_windows: list[MaintenanceWindow] = Field(default_factory=list)
    """Maintenance windows during which alerts are suppressed."""

    _lists = field_validator("ignore_mounts", "links", mode="before")(parse_string_list)


class ServerInfo(KomodoModel):
    """State Komodo keeps about a Server."""

    attempted_public_key: str = ""
    """A public key Periphery offered that did not match; it can be accepted later."""
    public_key: str = ""
    """The expected public key of the server's Periphery agent."""
    server_template_id: str = ""
    """Varanus extension: the ServerTemplate this server was launched from (`LaunchServer`); empty otherwise."""
    cloud_provider: str = ""
    """Varanus extension: `Aws` or `Hetzner` for a launched server; empty otherwise."""
    cloud_id: str = ""
    """Varanus extension: the cloud's id of the launched machine (`i-...` on AWS, the Hetzner server id)."""
    cloud_region: str = ""
    """Varanus extension: the AWS region or Hetzner location of the launched machine."""


class Server(Resource[ServerConfig, ServerInfo]):
    """A Server resource: the stored document and the answer of `GetServer`."""

    info: ServerInfo = Field(default_factory=ServerInfo)
    """Public keys Komodo keeps for the server."""
    config: ServerConfig = Field(default_factory=ServerConfig)
    """The server configuration."""


class ServerState(StrEnum):
    """Reachability of a server."""

    Ok = "Ok"
    NotOk = "NotOk"
    Disabled = "Disabled"


class ServerAlertingThresholds(KomodoModel):
    """A server's alerting thresholds."""

    cpu_warning: float = 90.0
    """CPU percentage that triggers a WARNING."""
    cpu_critical: float = 99.0
    """CPU percentage that triggers a CRITICAL."""
    mem_warning: float = 75.0
    """Memory percentage that triggers a WARNING."""
    mem_critical: float = 95.0
    """Memory percentage that triggers a CRITICAL."""
    disk_warning: float = 75.0
    """Disk percentage that triggers a WARNING."""
    disk_critical: float = 95.0
    """Disk percentage that triggers a CRITICAL."""

    @classmethod
    def from_config(cls, config: ServerConfig) -> ServerAlertingThresholds:
        """The thresholds of a server config."""
        return cls.model_validate(config.model_dump(include=set(cls.model_fields)))


class ServerListItemInfo(KomodoModel):
    """Server summary in `ListServers`."""

    state: ServerState = ServerState.NotOk
    """The server state."""
    err: ErrorEnvelope | None = None
    """The error reaching the server, if any."""
    stats: MinimalSystemStats | None = None
    """System stats, if available."""
    alerting_thresholds: ServerAlertingThresholds = Field(default_factory=ServerAlertingThresholds)
    """The alerting thresholds."""
    core_count: int | None = None
    """Number of physical cores."""
    logical_core_count: int | None = None
    """Number of logical cores."""
    region: str = ""
    """The region label."""
    address: str | None = None
    """The server address, or null if empty."""
    external_address: str | None = None
    """The address users reach the server at, used in links."""
    public_ip: str | None = None
    """The host's public IP, if it could be resolved."""
    send_unreachable_alerts: bool = True
    """Whether unreachable alerts are sent."""
    send_cpu_alerts: bool = True
    """Whether CPU alerts are sent."""
    send_mem_alerts: bool = True
    """Whether memory alerts are sent."""
    send_disk_alerts: bool = True
    """Whether disk alerts are sent."""
    send_version_mismatch_alerts: bool = True
    """Whether version mismatch alerts are sent."""
    version: str | None = None
    """The Periphery version."""
    public_key: str | None = None
    """The Periphery public key."""
    attempted_public_key: str | None = None
    """A rejected Periphery public key that can be accepted later."""
    terminals_disabled: bool = False
    """Whether terminals are disabled on this server."""
    container_terminals_disabled: bool = False
    """Whether container terminals are disabled on this server."""


class ServerListItem(ResourceListItem[ServerListItemInfo]):
    """A Server as `ListServers` returns it."""


class ServerQuerySpecifics(KomodoModel):
    """Server-specific filters of a query."""

    states: list[ServerState] = Field(default_factory=list)
    """Only servers in these states (empty: any)."""


class ServerQuery(ResourceQuery[ServerQuerySpecifics]):
    """A query over Servers."""


class ServerSortBy(StrEnum):
    """Sort orders of `ListServers`."""

    Name = "Name"
    Region = "Region"
    Version = "Version"
    State = "State"
    Cpu = "Cpu"
    Memory = "Memory"
    Disk = "Disk"
    LoadAverage = "LoadAverage"
    Network = "Network"


class ServerActionState(KomodoModel):
    """Actions in progress on a server: prune flags and counts of container operations."""

    pruning_networks: bool = False
    """Pruning networks."""
    pruning_containers: bool = False
    """Pruning containers."""
    pruning_images: bool = False
    """Pruning images."""
    pruning_volumes: bool = False
    """Pruning volumes."""
    pruning_builders: bool = False
    """Pruning docker builders."""
    pruning_buildx: bool = False
    """Pruning the buildx cache."""
    pruning_system: bool = False
    """Pruning the system."""
    starting_containers: int = 0
    """Containers being started."""
    restarting_containers: int = 0
    """Containers being restarted."""
    pausing_containers: int = 0
    """Containers being paused."""
    unpausing_containers: int = 0
    """Containers being unpaused."""
    stopping_containers: int = 0
    """Containers being stopped."""
    destroying_containers: int = 0
    """Containers being destroyed."""


class GetServersSummaryResponse(KomodoModel):
    """Server counts (the answer of `GetServersSummary`)."""

    total: I64 = 0
    """Number of servers."""
    healthy: I64 = 0
    """Servers that are Ok."""
    warning: I64 = 0
    """Servers with warnings (e.g. version mismatch)."""
    unhealthy: I64 = 0
    """Servers that are unreachable."""
    disabled: I64 = 0
    """Servers that are disabled."""


class GetServerStateResponse(KomodoModel):
    """The answer of `GetServerState`."""

    status: ServerState = ServerState.NotOk
    """The server state."""
