"""The host itself: system information, system stats (CPU, load, memory, swap, disks, network) and processes.

Read with psutil and `/proc`. CPU use and network traffic are measured between two readings, so `HostStats`
keeps the previous reading; a reading younger than the caller's `max_age` is reused, which keeps a PollStatus
between two heartbeats from shortening the heartbeat's measuring window. The disk list is refreshed every
minute (`refresh_list_ts`), the usage of each disk at every reading.
"""

from __future__ import annotations

import asyncio
import os
import platform
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import psutil

from contracts.entities.common import Timelength
from contracts.entities.system import (
    SingleDiskUsage,
    SystemInformation,
    SystemLoadAverage,
    SystemProcess,
    SystemStats,
)

GB: Final = 1024.0**3
"""Bytes in a GB as Komodo counts them (binary)."""
MB: Final = 1024.0**2
KB: Final = 1024.0
DISK_LIST_SECONDS: Final = 60.0
"""How often the list of disks (and of physical network interfaces) is read again."""
PROCESS_SAMPLE_SECONDS: Final = 0.5
"""When processes were not sampled recently, how long GetSystemProcesses measures their CPU use."""
PROCESS_SAMPLE_MAX_AGE: Final = 10.0
"""A previous process sample older than this is too old to measure CPU use against."""
SKIPPED_FILE_SYSTEMS: Final = frozenset({"overlay", "squashfs", "tmpfs", "devtmpfs", "nsfs", "autofs"})
"""File systems that are not disks of the host (container layers, snaps, memory)."""
ZFS_ARC_STATS: Final = Path("/proc/spl/kstat/zfs/arcstats")


def _os_release() -> dict[str, str]:
    values: dict[str, str] = {}
    for candidate in (Path("/etc/os-release"), Path("/usr/lib/os-release")):
        try:
            text = candidate.read_text(encoding="utf-8")
        except OSError:
            continue
        for line in text.splitlines():
            key, sep, value = line.partition("=")
            if sep:
                values[key.strip()] = value.strip().strip('"')
        break
    return values


def _cpu_brand() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                key, sep, value = line.partition(":")
                if sep and key.strip() in {"model name", "Model", "Hardware"}:
                    return value.strip()
    except OSError:
        pass
    return platform.processor()


def system_information() -> SystemInformation:
    """The host's OS, kernel, CPU and name."""
    release = _os_release()
    name = release.get("NAME") or platform.system()
    return SystemInformation(
        name=name,
        os=release.get("PRETTY_NAME") or f"{platform.system()} {platform.release()}",
        kernel=platform.release(),
        core_count=psutil.cpu_count(logical=False),
        logical_core_count=psutil.cpu_count(logical=True),
        host_name=socket.gethostname(),
        cpu_brand=_cpu_brand(),
        cpu_arch=platform.machine(),
    )


def _zfs_arc_bytes() -> int:
    """The size of the ZFS ARC cache (0 without ZFS): Linux counts it as used, Komodo does not."""
    try:
        text = ZFS_ARC_STATS.read_text(encoding="utf-8")
    except OSError:
        return 0
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == "size":
            return int(parts[2])
    return 0


def _physical_interfaces() -> set[str]:
    """Network interfaces backed by a device (not loopback, bridges or veths), so traffic is counted once.

    Inside a network namespace every interface may be virtual; then all but loopback count.
    """
    names = set(psutil.net_if_stats())
    physical = {name for name in names if "/virtual/" not in os.path.realpath(f"/sys/class/net/{name}")}
    return physical or (names - {"lo"})


def _disks() -> list[tuple[str, str]]:
    """(mount point, file system) of each disk, one mount per device (the shortest: `/` before bind mounts)."""
    by_device: dict[str, tuple[str, str]] = {}
    for part in psutil.disk_partitions(all=False):
        if part.fstype in SKIPPED_FILE_SYSTEMS:
            continue
        known = by_device.get(part.device)
        if known is None or len(part.mountpoint) < len(known[0]):
            by_device[part.device] = (part.mountpoint, part.fstype)
    return sorted(by_device.values())


@dataclass
class _Previous:
    at: float = 0.0
    ingress: int = 0
    egress: int = 0


@dataclass
class _ProcessSample:
    at: float = 0.0
    io: dict[int, tuple[int, int]] = field(default_factory=dict)


class HostStats:
    """System stats of this host, measured between consecutive readings."""

    def __init__(self, polling_rate: Timelength) -> None:
        self.polling_rate = polling_rate
        self.info = system_information()
        self._stats_lock = threading.Lock()
        self._process_lock = threading.Lock()
        self._last: SystemStats | None = None
        self._last_at = 0.0
        self._previous = _Previous()
        self._disks: list[tuple[str, str]] = []
        self._interfaces: set[str] = set()
        self._list_ts = 0
        self._list_at = -DISK_LIST_SECONDS
        self._processes = _ProcessSample()
        # The first cpu_percent() call only starts the measurement.
        psutil.cpu_percent(interval=None)
        self._previous = self._network_reading()

    def _network_reading(self) -> _Previous:
        counters = psutil.net_io_counters(pernic=True)
        interfaces = self._interfaces or _physical_interfaces()
        ingress = sum(c.bytes_recv for name, c in counters.items() if name in interfaces)
        egress = sum(c.bytes_sent for name, c in counters.items() if name in interfaces)
        return _Previous(at=time.monotonic(), ingress=ingress, egress=egress)

    def read(self, max_age: float = 0.0) -> SystemStats:
        """The stats now, or the last reading when it is younger than `max_age` seconds (blocking: run in a thread)."""
        with self._stats_lock:
            now = time.monotonic()
            if self._last is not None and now - self._last_at < max_age:
                return self._last
            if now - self._list_at >= DISK_LIST_SECONDS:
                self._disks = _disks()
                self._interfaces = _physical_interfaces()
                self._list_at = now
                self._list_ts = int(time.time() * 1000)
            memory = psutil.virtual_memory()
            swap = psutil.swap_memory()
            arc = _zfs_arc_bytes()
            network = self._network_reading()
            previous, self._previous = self._previous, network
            one, five, fifteen = os.getloadavg()
            disks = []
            for mount, file_system in self._disks:
                try:
                    usage = psutil.disk_usage(mount)
                except OSError:
                    continue  # unmounted since the list was read
                # Like Komodo: used is total minus what is available to users (reserved blocks count as used).
                disks.append(
                    SingleDiskUsage(
                        mount=mount,
                        file_system=file_system,
                        used_gb=(usage.total - usage.free) / GB,
                        total_gb=usage.total / GB,
                    )
                )
            stats = SystemStats(
                cpu_perc=psutil.cpu_percent(interval=None),
                load_average=SystemLoadAverage(one=one, five=five, fifteen=fifteen),
                mem_free_gb=memory.free / GB,
                mem_used_gb=max(memory.total - memory.available - arc, 0) / GB,
                mem_total_gb=memory.total / GB,
                mem_buff_cache_gb=(getattr(memory, "buffers", 0) + getattr(memory, "cached", 0)) / GB,
                mem_zfs_arc_gb=arc / GB,
                swap_total_gb=swap.total / GB,
                swap_used_gb=swap.used / GB,
                disks=disks,
                network_ingress_bytes=float(max(network.ingress - previous.ingress, 0)),
                network_egress_bytes=float(max(network.egress - previous.egress, 0)),
                polling_rate=self.polling_rate,
                refresh_ts=int(time.time() * 1000),
                refresh_list_ts=self._list_ts,
            )
            self._last, self._last_at = stats, now
            return stats

    async def current(self, max_age: float = 0.0) -> SystemStats:
        """`read` in a worker thread (it reads a dozen files under /proc and /sys)."""
        return await asyncio.to_thread(self.read, max_age)

    def processes(self) -> list[SystemProcess]:
        """The processes of the host, busiest first (blocking: run in a thread).

        CPU use is measured since the previous call; when that was long ago (or never), the processes are
        sampled twice, half a second apart.
        """
        attrs = ["pid", "name", "exe", "cmdline", "create_time", "memory_info", "io_counters"]
        with self._process_lock:
            if time.monotonic() - self._processes.at > PROCESS_SAMPLE_MAX_AGE:
                for process in psutil.process_iter():
                    try:
                        process.cpu_percent(interval=None)
                    except psutil.Error:
                        continue
                self._processes = _ProcessSample(at=time.monotonic(), io=self._processes.io)
                time.sleep(PROCESS_SAMPLE_SECONDS)
            now = time.monotonic()
            elapsed = max(now - self._processes.at, 1e-3)
            previous_io = self._processes.io
            current_io: dict[int, tuple[int, int]] = {}
            found: list[SystemProcess] = []
            for process in psutil.process_iter(attrs, ad_value=None):
                info: dict[str, Any] = process.info
                try:
                    cpu = process.cpu_percent(interval=None)
                except psutil.Error:
                    continue
                io = info.get("io_counters")
                read_kb = write_kb = 0.0
                if io is not None:
                    current_io[process.pid] = (io.read_bytes, io.write_bytes)
                    before = previous_io.get(process.pid)
                    if before is not None:
                        read_kb = max(io.read_bytes - before[0], 0) / KB / elapsed
                        write_kb = max(io.write_bytes - before[1], 0) / KB / elapsed
                memory = info.get("memory_info")
                found.append(
                    SystemProcess(
                        pid=process.pid,
                        name=info.get("name") or "",
                        exe=info.get("exe") or "",
                        cmd=list(info.get("cmdline") or []),
                        start_time=float(info.get("create_time") or 0.0) * 1000,
                        cpu_perc=cpu,
                        mem_mb=(memory.rss / MB) if memory is not None else 0.0,
                        disk_read_kb=read_kb,
                        disk_write_kb=write_kb,
                    )
                )
            self._processes = _ProcessSample(at=now, io=current_io)
        found.sort(key=lambda p: (p.cpu_perc, p.mem_mb), reverse=True)
        return found

    async def list_processes(self) -> list[SystemProcess]:
        """`processes` in a worker thread."""
        return await asyncio.to_thread(self.processes)
