"""What a server's Periphery reports about its host: system information, stats, processes and its own setup."""

from __future__ import annotations

from pydantic import Field

from contracts.base import KomodoModel
from contracts.entities.common import I64, SeverityLevel, Timelength

DEFAULT_POLLING_RATE = Timelength.OneMinute
"""Komodo's default Timelength, used where a polling rate is missing."""


class SystemInformation(KomodoModel):
    """Static information about a server's host (the answer of `GetSystemInformation`)."""

    name: str | None = None
    """The system name."""
    os: str | None = None
    """The long OS version."""
    kernel: str | None = None
    """The kernel version."""
    core_count: int | None = None
    """Number of physical cores."""
    logical_core_count: int | None = None
    """Number of logical cores."""
    host_name: str | None = None
    """The host name (from DNS)."""
    cpu_brand: str = ""
    """The CPU brand."""
    cpu_arch: str = ""
    """The CPU architecture (e.g. x86_64, aarch64)."""


class SystemLoadAverage(KomodoModel):
    """Load averages over 1, 5 and 15 minutes."""

    one: float = 0.0
    """1 minute load average."""
    five: float = 0.0
    """5 minute load average."""
    fifteen: float = 0.0
    """15 minute load average."""


class SingleDiskUsage(KomodoModel):
    """Usage of one mounted disk."""

    mount: str = ""
    """The mount point."""
    file_system: str = ""
    """The detected file system."""
    used_gb: float = 0.0
    """Used space in GB."""
    total_gb: float = 0.0
    """Total size in GB."""


class TotalDiskUsage(KomodoModel):
    """Usage of all disks together."""

    used_gb: float = 0.0
    """Used space in GB."""
    total_gb: float = 0.0
    """Total size in GB."""


class SingleNetworkInterfaceUsage(KomodoModel):
    """Traffic on one network interface."""

    name: str = ""
    """The interface name."""
    ingress_bytes: float = 0.0
    """Ingress in bytes."""
    egress_bytes: float = 0.0
    """Egress in bytes."""


class SystemStats(KomodoModel):
    """Current system stats of a server (the answer of `GetSystemStats`)."""

    cpu_perc: float = 0.0
    """CPU usage in percent."""
    load_average: SystemLoadAverage = Field(default_factory=SystemLoadAverage)
    """Load averages (1m, 5m, 15m)."""
    mem_free_gb: float = 0.0
    """Free (not available) memory in GB."""
    mem_used_gb: float = 0.0
    """Used memory in GB: total minus available, without the ZFS ARC cache."""
    mem_total_gb: float = 0.0
    """Total memory in GB."""
    mem_buff_cache_gb: float = 0.0
    """Reclaimable page cache and buffers in GB."""
    mem_zfs_arc_gb: float = 0.0
    """ZFS ARC cache in GB (0 without ZFS)."""
    swap_total_gb: float = 0.0
    """Total swap in GB."""
    swap_used_gb: float = 0.0
    """Used swap in GB."""
    disks: list[SingleDiskUsage] = Field(default_factory=list)
    """Usage of each disk."""
    network_ingress_bytes: float = 0.0
    """Network ingress."""
    network_egress_bytes: float = 0.0
    """Network egress."""
    polling_rate: Timelength = DEFAULT_POLLING_RATE
    """How often the stats are polled on the host."""
    refresh_ts: I64 = 0
    """When the stats were last polled (unix ms)."""
    refresh_list_ts: I64 = 0
    """When the disk list was last refreshed (unix ms)."""


class MinimalSystemStats(KomodoModel):
    """The system stats shown in server lists: disks summed into totals."""

    cpu_perc: float = 0.0
    """CPU usage in percent."""
    load_average: SystemLoadAverage = Field(default_factory=SystemLoadAverage)
    """Load averages (1m, 5m, 15m)."""
    mem_free_gb: float = 0.0
    """Free (not available) memory in GB."""
    mem_used_gb: float = 0.0
    """Used memory in GB: total minus available, without the ZFS ARC cache."""
    mem_total_gb: float = 0.0
    """Total memory in GB."""
    mem_buff_cache_gb: float = 0.0
    """Reclaimable page cache and buffers in GB."""
    mem_zfs_arc_gb: float = 0.0
    """ZFS ARC cache in GB (0 without ZFS)."""
    swap_total_gb: float = 0.0
    """Total swap in GB."""
    swap_used_gb: float = 0.0
    """Used swap in GB."""
    disk_total_gb: float = 0.0
    """Total size of all disks in GB."""
    disk_used_gb: float = 0.0
    """Used space on all disks in GB."""
    network_ingress_bytes: float = 0.0
    """Network ingress."""
    network_egress_bytes: float = 0.0
    """Network egress."""
    polling_rate: Timelength = DEFAULT_POLLING_RATE
    """How often the stats are polled on the host."""
    refresh_ts: I64 = 0
    """When the stats were last polled (unix ms)."""
    refresh_list_ts: I64 = 0
    """When the disk list was last refreshed (unix ms)."""

    @classmethod
    def from_stats(cls, stats: SystemStats) -> MinimalSystemStats:
        """Summarise full stats as Komodo does (disk sizes summed over all disks)."""
        data = stats.model_dump(exclude={"disks"})
        data["disk_total_gb"] = sum(disk.total_gb for disk in stats.disks)
        data["disk_used_gb"] = sum(disk.used_gb for disk in stats.disks)
        return cls.model_validate(data)


class SystemStatsRecord(KomodoModel):
    """System stats stored in the database for history (items of `GetHistoricalServerStats`)."""

    ts: I64 = 0
    """When the stats were taken (unix ms)."""
    sid: str = ""
    """The server id."""
    cpu_perc: float = 0.0
    """CPU usage in percent."""
    load_average: SystemLoadAverage = Field(default_factory=SystemLoadAverage)
    """Load averages (1m, 5m, 15m)."""
    mem_used_gb: float = 0.0
    """Used memory in GB."""
    mem_total_gb: float = 0.0
    """Total memory in GB."""
    mem_buff_cache_gb: float = 0.0
    """Reclaimable page cache and buffers in GB."""
    mem_zfs_arc_gb: float = 0.0
    """ZFS ARC cache in GB (0 without ZFS)."""
    swap_total_gb: float = 0.0
    """Total swap in GB."""
    swap_used_gb: float = 0.0
    """Used swap in GB."""
    disk_used_gb: float = 0.0
    """Used disk space in GB."""
    disk_total_gb: float = 0.0
    """Total disk size in GB."""
    disks: list[SingleDiskUsage] = Field(default_factory=list)
    """Usage of each disk."""
    network_ingress_bytes: float = 0.0
    """Total network ingress in bytes."""
    network_egress_bytes: float = 0.0
    """Total network egress in bytes."""


class SystemProcess(KomodoModel):
    """A process running on the host (items of `ListSystemProcesses`)."""

    pid: int = 0
    """The process id."""
    name: str = ""
    """The process name."""
    exe: str = ""
    """Path of the executable."""
    cmd: list[str] = Field(default_factory=list)
    """The command line."""
    start_time: float = 0.0
    """When the process started."""
    cpu_perc: float = 0.0
    """CPU usage in core-percent (100 is one full core)."""
    mem_mb: float = 0.0
    """Memory usage in MB."""
    disk_read_kb: float = 0.0
    """Disk reads in KB/s."""
    disk_write_kb: float = 0.0
    """Disk writes in KB/s."""


class PeripheryInformation(KomodoModel):
    """How a server's Periphery agent is set up (the answer of `GetPeripheryInformation`)."""

    version: str = ""
    """The Periphery version."""
    public_key: str = ""
    """The Periphery public key."""
    terminals_disabled: bool = False
    """Whether terminals are disabled on this Periphery."""
    container_terminals_disabled: bool = False
    """Whether container exec is disabled on this Periphery."""
    stats_polling_rate: Timelength = DEFAULT_POLLING_RATE
    """How often system stats are polled on the host."""
    docker_connected: bool = False
    """Whether Periphery is connected to the docker daemon."""
    public_ip: str | None = None
    """The host's public IP, if it could be resolved."""


GetPeripheryInformationResponse = PeripheryInformation
"""The answer of `GetPeripheryInformation`."""


class ServerHealthState(KomodoModel):
    """Health of one part of a server (CPU, memory or a disk)."""

    level: SeverityLevel = SeverityLevel.Ok
    """The severity of the current state."""
    should_close_alert: bool = False
    """Whether the health is good enough to close an open alert."""


class ServerHealth(KomodoModel):
    """Health of a server's CPU, memory and disks, as the alerting uses it."""

    cpu: ServerHealthState = Field(default_factory=ServerHealthState)
    """CPU health."""
    mem: ServerHealthState = Field(default_factory=ServerHealthState)
    """Memory health."""
    disks: dict[str, ServerHealthState] = Field(default_factory=dict)
    """Health of each disk, by mount point."""


class GetHistoricalServerStatsResponse(KomodoModel):
    """One page of a server's stats history (the answer of `GetHistoricalServerStats`)."""

    stats: list[SystemStatsRecord] = Field(default_factory=list)
    """The records of this page."""
    next_page: int | None = None
    """The page to ask for next, if there is one."""
