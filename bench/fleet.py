"""How many agents one executor holds: N simulated agents heartbeat at an interval against the real executor.

Starts nats-server and nx-27017 on free ports (or uses BENCH_NATS_URL / BENCH_MONGO_URL) and the executor as
its own process (`python -m services.executor`). A publisher process plays N agents with 20 containers each,
once per interval, spread evenly, in one of two protocols:

- `full` (the old protocol, and agents with VARANUS_AGENT_FULL_EVERY_SECONDS=0): every heartbeat is the full
  AgentStatus (about 11 KB of JSON, as a real agent sends);
- `beats` (today's agent): a full AgentStatus first, when the lists change (`--change`, default 1 % of the
  heartbeats), every 60 s as the safety net, and when the executor asks on `komodo.agent.<id>.resend`; a small
  AgentBeat otherwise, one in six of them carrying all 20 containers' stats (read every 30 s).

For growing N it measures, once the executor holds every agent and one more interval passed, over a window of
three intervals, the executor's heartbeat handling time, the lag
from an agent taking its status to the executor holding it, heartbeats left pending, and the executor's CPU.
N is held when the lag p99 stays under one second and nothing piles up. It prints the largest fleet held in
each protocol, beside the peer: a bare `json.loads` of one full heartbeat, the floor any Python consumer of the
old protocol pays.

    .venv/bin/python bench/fleet.py [--interval 5] [--max 16000] [--protocol both|beats|full] [--change 0.01]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nats
from nats.aio.client import Client as NatsClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._servers import percentile, servers
from contracts.api.internal.fleet import FleetStats, GetFleetStats
from contracts.entities.agent import AgentBeat, AgentContainer, AgentStatus, DockerLists, PollStatusResponse
from contracts.entities.docker import ContainerStateStatusEnum, ContainerStats
from contracts.entities.system import PeripheryInformation, SingleDiskUsage, SystemInformation, SystemStats
from contracts.service_users import SYSTEM_USER_ID
from services.agent.heartbeat import status_digest
from services.agent.settings import FULL_EVERY_DEFAULT_SECONDS
from services.common.auth import load_jwt_signer
from services.common.bus import request_over
from services.common.errors import Unavailable
from services.common.settings import Settings

TS = 1_111_111_111_111
"""Placeholder timestamp, replaced in the serialized heartbeat at each send."""

PUBLISHER = r"""
import asyncio, random, sys, time, nats
async def main():
    url, n, interval, protocol, change, full_every = (
        sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4], float(sys.argv[5]), float(sys.argv[6])
    )
    full, beat, beat_stats = (open(path, "rb").read() for path in sys.argv[7:10])
    nc = await nats.connect(url, pending_size=256 * 1024 * 1024)
    ids = [f"{i:024x}" for i in range(n)]
    index = {server_id: i for i, server_id in enumerate(ids)}
    asked = set()

    async def resend(msg):
        i = index.get(msg.subject.split(".")[2])
        if i is not None:
            asked.add(i)

    await nc.subscribe("komodo.agent.*.resend", cb=resend)
    last_full = [float("-inf")] * n
    beats = [0] * n
    rng = random.Random(1)

    async def send(i, body, kind):
        ts = str(int(time.time() * 1000)).encode()
        payload = body.replace(b"SERVERID00000000000000000", ids[i].encode()).replace(b"1111111111111", ts)
        await nc.publish(f"komodo.agent.{ids[i]}.{kind}", payload)

    start = time.monotonic()
    sent = 0
    while True:
        now = time.monotonic()
        for i in list(asked):
            asked.discard(i)
            last_full[i] = now
            await send(i, full, "status")
        due = int((now - start) / interval * n)
        while sent < due:
            i = sent % n
            sent += 1
            beats[i] += 1
            if protocol == "full" or now - last_full[i] >= full_every or rng.random() < change:
                last_full[i] = now
                await send(i, full, "status")
            else:
                await send(i, beat_stats if beats[i] % 6 == 0 else beat, "beat")
        await asyncio.sleep(0.02)
asyncio.run(main())
"""


def heartbeat_templates(interval_ms: int) -> tuple[bytes, bytes, bytes]:
    """The full status, a beat without container stats, and a beat carrying every container's stats."""
    containers = [
        AgentContainer(
            name=f"service-{i:02d}",
            id=f"{i:064x}",
            image=f"registry.example.com/team/app-{i}:1.{i}.0",
            image_id=f"sha256:{i:064x}",
            state=ContainerStateStatusEnum.Running,
            status="Up 3 hours",
            networks=["bridge"],
            labels={"com.docker.compose.project": "shop", "com.docker.compose.service": f"service-{i:02d}"},
            stats=ContainerStats(
                name=f"service-{i:02d}", cpu_perc="0.50%", mem_perc="1.20%", mem_usage="20MiB / 1GiB"
            ),
        )
        for i in range(20)
    ]
    status = AgentStatus(
        server_id="SERVERID00000000000000000",
        ts=TS,
        interval_ms=interval_ms,
        status=PollStatusResponse(
            periphery_info=PeripheryInformation(version="0.1.0", docker_connected=True),
            system_info=SystemInformation(
                name="Debian", core_count=4, logical_core_count=8, host_name="host"
            ),
            system_stats=SystemStats(
                cpu_perc=12.5,
                mem_used_gb=3.1,
                mem_total_gb=16.0,
                disks=[SingleDiskUsage(mount="/", used_gb=40, total_gb=200)],
            ),
            docker=DockerLists(containers=containers),
        ),
    )
    status = status.model_copy(update={"digest": status_digest(status.status)})
    beat = AgentBeat(
        server_id=status.server_id,
        ts=TS,
        interval_ms=interval_ms,
        digest=status.digest,
        version="0.1.0",
        system_stats=status.status.system_stats,
    )
    with_stats = beat.model_copy(
        update={"container_stats": {c.name: c.stats for c in containers if c.stats is not None}}
    )
    return tuple(  # type: ignore[return-value]
        one.model_dump_json(by_alias=True).encode() for one in (status, beat, with_stats)
    )


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def step(
    nc: NatsClient,
    headers: dict[str, str],
    nats_url: str,
    templates: list[Path],
    protocol: str,
    change: float,
    n: int,
    interval: float,
    executor_pid: int,
) -> tuple[FleetStats, float]:
    publisher = subprocess.Popen(
        [
            sys.executable,
            "-c",
            PUBLISHER,
            nats_url,
            str(n),
            str(interval),
            protocol,
            str(change),
            str(FULL_EVERY_DEFAULT_SECONDS),
            *map(str, templates),
        ]
    )
    try:
        await asyncio.sleep(interval * 1.5)  # every agent has reported once
        # Steady state: the executor holds every agent, and the first-time work (a ServerStateChanged event
        # for each server newly Ok) is behind it, before the window starts.
        deadline = time.monotonic() + 20 * interval
        while time.monotonic() < deadline:
            try:
                held: FleetStats = await request_over(nc, GetFleetStats(), headers, 30)
            except Unavailable:  # too far behind to answer (or reconnecting after NATS cut it off)
                held = FleetStats()
            if held.servers >= n and held.pending < n / 10:
                break
            await asyncio.sleep(interval / 2)
        await asyncio.sleep(interval)
        await request_over(nc, GetFleetStats(reset=True), headers, 10)
        cpu_start, wall_start = cpu_seconds(executor_pid), time.monotonic()
        await asyncio.sleep(interval * 3)
        try:
            stats: FleetStats = await request_over(nc, GetFleetStats(reset=True), headers, 30)
        except Unavailable:
            # An executor this far behind cannot even answer: the fleet is not held.
            stats = FleetStats(lag_p99_ms=float("inf"), pending=n)
        cpu = (cpu_seconds(executor_pid) - cpu_start) / (time.monotonic() - wall_start) * 100
        return stats, cpu
    finally:
        publisher.terminate()
        publisher.wait(10)
        # Let the executor drain, but start the next step before these agents count as silent (two intervals):
        # servers flapping NotOk and Ok again would be measured as state-change work.
        await asyncio.sleep(0.5)
        for _ in range(int(interval / 0.5)):
            try:
                drained: FleetStats = await request_over(nc, GetFleetStats(), headers, 30)
            except Unavailable:
                drained = FleetStats(pending=1)
            if drained.pending == 0:
                break
            await asyncio.sleep(0.5)


async def series(
    nc: NatsClient,
    headers: dict[str, str],
    nats_url: str,
    templates: list[Path],
    protocol: str,
    change: float,
    interval: float,
    first: int,
    most: int,
    executor_pid: int,
) -> int:
    """Grow the fleet (doubling, then `most`) until one is not held; the largest held."""
    print(
        f"{'protocol':>9}{'agents':>8}{'beats/s':>10}{'handle p50 us':>15}{'handle p99 us':>15}"
        f"{'lag p50 ms':>12}{'lag p99 ms':>12}{'pending':>9}{'cpu %':>8}  held"
    )
    held = 0
    n = first
    while True:
        stats, cpu = await step(nc, headers, nats_url, templates, protocol, change, n, interval, executor_pid)
        ok = stats.lag_p99_ms < 1000 and stats.pending < n and stats.heartbeats >= 2.5 * n
        print(
            f"{protocol:>9}{n:>8}{stats.heartbeats / (3 * interval):>10.0f}{stats.handling_p50_us:>15.0f}"
            f"{stats.handling_p99_us:>15.0f}{stats.lag_p50_ms:>12.1f}{stats.lag_p99_ms:>12.1f}"
            f"{stats.pending:>9}{cpu:>8.0f}  {'yes' if ok else 'no'}",
            flush=True,
        )
        if not ok:
            return held
        held = n
        if n >= most:
            return held
        n = min(n * 2, most)


async def run(interval: float, most: int, first: int, protocols: list[str], change: float) -> None:
    full, beat, beat_stats = heartbeat_templates(int(interval * 1000))

    def loads_us(body: bytes) -> list[float]:
        samples = []
        for _ in range(2000):
            started = time.perf_counter()
            json.loads(body)
            samples.append((time.perf_counter() - started) * 1e6)
        return samples

    json_full, json_beat = loads_us(full), loads_us(beat)
    held: dict[str, int] = {}
    with servers() as (nats_url, mongo_url):
        data_dir = tempfile.mkdtemp(prefix="varanus-bench-data-")
        templates = [Path(data_dir) / name for name in ("status.json", "beat.json", "beat-stats.json")]
        for path, body in zip(templates, (full, beat, beat_stats), strict=True):
            path.write_bytes(body)
        headers = {"Authorization": load_jwt_signer(Settings(data_dir=Path(data_dir))).issue(SYSTEM_USER_ID)}
        env = {
            **os.environ,
            "KOMODO_NATS_URL": nats_url,
            "KOMODO_DATABASE_URI": mongo_url,
            "VARANUS_DB_PREFIX": "bench_fleet",
            "VARANUS_DATA_DIR": data_dir,
            "KOMODO_LOGGING_LEVEL": "ERROR",
        }
        print(
            f"full status {len(full)} bytes (20 containers), beat {len(beat)} bytes, beat with container "
            f"stats {len(beat_stats)} bytes; interval {interval:g} s; window {3 * interval:g} s; "
            f"lists change in {change:.1%} of heartbeats"
        )
        for protocol in protocols:
            # A fresh executor (and database) per protocol: one series' overload must not weigh on the next.
            env["VARANUS_DB_PREFIX"] = f"bench_fleet_{protocol}"
            executor = subprocess.Popen([sys.executable, "-m", "services.executor"], env=env)
            try:
                nc = await nats.connect(nats_url)
                deadline = time.monotonic() + 60
                while True:
                    try:
                        await request_over(nc, GetFleetStats(), headers, 2)
                        break
                    except Exception:
                        if time.monotonic() > deadline:
                            raise
                        await asyncio.sleep(0.3)
                held[protocol] = await series(
                    nc, headers, nats_url, templates, protocol, change, interval, first, most, executor.pid
                )
                await nc.close()
            finally:
                executor.terminate()
                executor.wait(15)
    for protocol, count in held.items():
        label = "full status every heartbeat (old)" if protocol == "full" else "full on change + beats (new)"
        print(f"largest fleet held at {interval:g} s, {label}: {count} agents ({count * 20} containers)")
    print(
        f"peer: bare json.loads of one full heartbeat p50 {percentile(json_full, 50):.0f} us, "
        f"p99 {percentile(json_full, 99):.0f} us; of one beat p50 {percentile(json_beat, 50):.0f} us"
    )
    print(
        f"      a consumer doing only json.loads of full heartbeats at {interval:g} s tops out near "
        f"{int(interval * 1e6 / percentile(json_full, 50)):,} agents per core"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--interval", type=float, default=5.0, help="heartbeat interval in seconds (default 5)"
    )
    parser.add_argument("--max", type=int, default=16000, help="largest fleet tried (default 16000)")
    parser.add_argument("--start", type=int, default=1000, help="smallest fleet tried (default 1000)")
    parser.add_argument(
        "--protocol",
        choices=("both", "beats", "full"),
        default="both",
        help="beats (full on change), full (every heartbeat full), or both, full first (default)",
    )
    parser.add_argument(
        "--change", type=float, default=0.01, help="share of heartbeats whose lists changed (default 0.01)"
    )
    args = parser.parse_args()
    protocols = ["full", "beats"] if args.protocol == "both" else [args.protocol]
    asyncio.run(run(args.interval, args.max, args.start, protocols, args.change))


if __name__ == "__main__":
    main()
