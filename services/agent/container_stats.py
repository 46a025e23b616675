"""Container stats: Docker's stats JSON as `docker stats` prints it, and a cache refreshed at a bounded rate.

Reading stats costs the engine a sample of each container's cgroups (about a second of waiting per call), so
the heartbeat never waits for them: it attaches the last readings, and a background refresh reads every running
container again at most every `max(monitoring interval, 30 s)` (Komodo's `container_stats_polling_rate`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping
from typing import Any, Final

from aiodocker.exceptions import DockerError

from contracts.entities.docker import ContainerStats
from services.agent.docker_api import DockerApi
from services.agent.oplog import bytes_size, human_size
from services.common.errors import Unavailable
from services.common.tasks import cancel_and_wait

log = logging.getLogger(__name__)

CONCURRENT_READS: Final = 16
"""Stats calls in flight at once (each mostly waits on the engine's one-second sample)."""
READ_TIMEOUT_SECONDS: Final = 10.0
"""Longest wait for one container's stats."""


def _cpu_percent(stats: Mapping[str, Any]) -> float:
    """CPU use as `docker stats` computes it on Linux: the container's share of the host's CPU time, times CPUs."""
    cpu = stats.get("cpu_stats") or {}
    pre = stats.get("precpu_stats") or {}
    cpu_delta = (cpu.get("cpu_usage") or {}).get("total_usage", 0) - (pre.get("cpu_usage") or {}).get(
        "total_usage", 0
    )
    system_delta = cpu.get("system_cpu_usage", 0) - pre.get("system_cpu_usage", 0)
    online = cpu.get("online_cpus") or len((cpu.get("cpu_usage") or {}).get("percpu_usage") or []) or 1
    if system_delta > 0 and cpu_delta > 0:
        return float(cpu_delta / system_delta * online * 100.0)
    return 0.0


def _memory_usage(memory: Mapping[str, Any]) -> float:
    """Memory use without the page cache, as `docker stats` shows it (cgroup v1 and v2)."""
    usage = float(memory.get("usage", 0))
    details = memory.get("stats") or {}
    for key in ("total_inactive_file", "inactive_file"):
        if key in details and details[key] < usage:
            return usage - float(details[key])
    return usage


def format_stats(stats: Mapping[str, Any], name: str = "") -> ContainerStats:
    """One reading of Docker's stats API as `docker stats --no-stream` formats it (`0.50%`, `20MiB / 1GiB`)."""
    memory = stats.get("memory_stats") or {}
    used = _memory_usage(memory)
    limit = float(memory.get("limit", 0))
    rx = sum(net.get("rx_bytes", 0) for net in (stats.get("networks") or {}).values())
    tx = sum(net.get("tx_bytes", 0) for net in (stats.get("networks") or {}).values())
    read = write = 0
    for entry in (stats.get("blkio_stats") or {}).get("io_service_bytes_recursive") or []:
        op = str(entry.get("op", "")).lower()
        if op == "read":
            read += entry.get("value", 0)
        elif op == "write":
            write += entry.get("value", 0)
    return ContainerStats(
        name=name or str(stats.get("name", "")).lstrip("/"),
        cpu_perc=f"{_cpu_percent(stats):.2f}%",
        mem_perc=f"{(used / limit * 100.0 if limit else 0.0):.2f}%",
        mem_usage=f"{bytes_size(used)} / {bytes_size(limit)}",
        net_io=f"{human_size(rx)} / {human_size(tx)}",
        block_io=f"{human_size(read)} / {human_size(write)}",
        pids=str((stats.get("pids_stats") or {}).get("current", 0)),
    )


async def read_stats(docker: DockerApi, container_id: str, name: str) -> ContainerStats | None:
    """One container's stats now, formatted; None when the engine gave none (e.g. it was just removed)."""
    raw = await docker.container_stats(container_id, READ_TIMEOUT_SECONDS)
    return format_stats(raw, name) if raw else None


class StatsCache:
    """The last stats of each running container, by name, re-read when older than `period` seconds."""

    def __init__(self, docker: DockerApi, period: float) -> None:
        self.docker = docker
        self.period = period
        self.stats: dict[str, ContainerStats] = {}
        self.read_at = 0.0
        """When the last refresh finished (monotonic seconds; 0: never)."""
        self._refreshing: asyncio.Task[None] | None = None

    @property
    def stale(self) -> bool:
        """Whether the readings are older than the period."""
        return time.monotonic() - self.read_at >= self.period

    def expire(self) -> None:
        """Treat the readings as stale (Docker is back: read at the next chance, not a period later)."""
        self.read_at = 0.0

    def refresh_soon(self) -> None:
        """Start a background refresh when the readings are stale and none is running."""
        if self.stale and (self._refreshing is None or self._refreshing.done()):
            self._refreshing = asyncio.create_task(self._refresh())

    async def fresh(self, timeout: float) -> dict[str, ContainerStats]:
        """The readings, refreshed first when stale (waiting up to `timeout` seconds for the refresh)."""
        self.refresh_soon()
        if self._refreshing is not None and not self._refreshing.done():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._refreshing), timeout)
        return self.stats

    async def fill(self, targets: list[tuple[str, str]], timeout: float) -> dict[str, ContainerStats]:
        """Read now the stats of these (id, name) containers, missing from the cache (started since the last
        refresh), and keep them; the readings got within `timeout` seconds, by name."""
        slots = asyncio.Semaphore(CONCURRENT_READS)

        async def one(container_id: str, name: str) -> tuple[str, ContainerStats | None]:
            async with slots:
                try:
                    return name, await read_stats(self.docker, container_id, name)
                except (DockerError, Unavailable, TimeoutError) as err:
                    log.debug("no stats for container %s: %s", name, err)
                    return name, None

        try:
            async with asyncio.timeout(timeout):
                readings = await asyncio.gather(*(one(cid, name) for cid, name in targets))
        except TimeoutError:
            return {}
        found = {name: stats for name, stats in readings if stats is not None}
        self.stats = {**self.stats, **found}
        return found

    async def stop(self) -> None:
        """Cancel a refresh under way."""
        if self._refreshing is not None:
            await cancel_and_wait(self._refreshing)

    async def _refresh(self) -> None:
        try:
            async with self.docker.reachable() as client:
                running = await client.containers.list(filters='{"status":["running"]}')
            slots = asyncio.Semaphore(CONCURRENT_READS)

            async def one(container: Any) -> tuple[str, ContainerStats | None]:
                name = str((container["Names"] or ["/"])[0]).lstrip("/")
                async with slots:
                    try:
                        return name, await read_stats(self.docker, container.id, name)
                    except (DockerError, TimeoutError) as err:
                        log.debug("no stats for container %s: %s", name, err)
                        return name, None

            readings = await asyncio.gather(*(one(container) for container in running))
            self.stats = {name: stats for name, stats in readings if stats is not None}
        except Unavailable:
            self.stats = {}
        except DockerError as err:
            log.warning("could not list running containers for their stats: %s", err)
        finally:
            # A failed refresh also waits a period: retrying at once would hammer an engine in trouble.
            self.read_at = time.monotonic()
