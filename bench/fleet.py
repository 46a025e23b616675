"""How many agents one executor holds: N simulated agents heartbeat at an interval against the real executor.

Starts nats-server and nx-27017 on free ports (or uses BENCH_NATS_URL / BENCH_MONGO_URL) and the executor as
its own process (`python -m services.executor`). A publisher process plays N agents, each sending an
AgentStatus with 20 containers (about 8 KB of JSON, as a real agent sends) once per interval, spread evenly.
For growing N it measures, over a window of three intervals, the executor's heartbeat handling time, the lag
from an agent taking its status to the executor holding it, heartbeats left pending, and the executor's CPU.
N is held when the lag p99 stays under one second and nothing piles up. The peer figure beside it is a bare
`json.loads` of the same heartbeat: the floor any Python consumer pays.

    .venv/bin/python bench/fleet.py [--interval 5] [--max 16000]
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._servers import percentile, servers
from contracts.api.internal.fleet import FleetStats, GetFleetStats
from contracts.entities.agent import AgentContainer, AgentStatus, DockerLists, PollStatusResponse
from contracts.entities.docker import ContainerStateStatusEnum, ContainerStats
from contracts.entities.system import PeripheryInformation, SingleDiskUsage, SystemInformation, SystemStats
from contracts.service_users import SYSTEM_USER_ID
from services.common.auth import load_jwt_signer
from services.common.bus import request_over
from services.common.errors import Unavailable
from services.common.settings import Settings

TS = 1_111_111_111_111
"""Placeholder timestamp, replaced in the serialized heartbeat at each send."""

PUBLISHER = r"""
import asyncio, sys, time, nats
async def main():
    url, n, interval, template = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
    body = open(template, "rb").read()
    nc = await nats.connect(url, pending_size=256 * 1024 * 1024)
    ids = [f"{i:024x}" for i in range(n)]
    start = time.monotonic()
    sent = 0
    late = 0.0
    while True:
        now = time.monotonic()
        due = int((now - start) / interval * n)
        while sent < due:
            i = sent % n
            ts = str(int(time.time() * 1000)).encode()
            payload = body.replace(b"SERVERID00000000000000000", ids[i].encode()).replace(b"1111111111111", ts)
            await nc.publish(f"komodo.agent.{ids[i]}.status", payload)
            sent += 1
        late = max(late, time.monotonic() - now)
        await asyncio.sleep(0.02)
asyncio.run(main())
"""


def heartbeat_template(interval_ms: int) -> bytes:
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
    return status.model_dump_json(by_alias=True).encode()


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def step(
    nc: nats.NATS,
    headers: dict[str, str],
    nats_url: str,
    template: Path,
    n: int,
    interval: float,
    executor_pid: int,
) -> tuple[FleetStats, float]:
    publisher = subprocess.Popen(
        [sys.executable, "-c", PUBLISHER, nats_url, str(n), str(interval), str(template)]
    )
    try:
        await asyncio.sleep(interval * 1.5)  # every agent has reported once
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
        await asyncio.sleep(interval)  # let the executor drain before the next step


async def run(interval: float, most: int) -> None:
    template_bytes = heartbeat_template(int(interval * 1000))
    json_samples = []
    for _ in range(2000):
        started = time.perf_counter()
        json.loads(template_bytes)
        json_samples.append((time.perf_counter() - started) * 1e6)
    with servers() as (nats_url, mongo_url):
        data_dir = tempfile.mkdtemp(prefix="varanus-bench-data-")
        template = Path(data_dir) / "heartbeat.json"
        template.write_bytes(template_bytes)
        headers = {"Authorization": load_jwt_signer(Settings(data_dir=Path(data_dir))).issue(SYSTEM_USER_ID)}
        env = {
            **os.environ,
            "KOMODO_NATS_URL": nats_url,
            "KOMODO_DATABASE_URI": mongo_url,
            "VARANUS_DB_PREFIX": "bench_fleet",
            "VARANUS_DATA_DIR": data_dir,
            "KOMODO_LOGGING_LEVEL": "WARNING",
        }
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
            print(
                f"heartbeat: {len(template_bytes)} bytes, 20 containers; interval {interval:g} s; window {3 * interval:g} s"
            )
            print(
                f"{'agents':>8}{'beats/s':>10}{'handle p50 us':>15}{'handle p99 us':>15}{'lag p50 ms':>12}{'lag p99 ms':>12}{'pending':>9}{'cpu %':>8}  held"
            )
            held = 0
            n = 250
            while n <= most:
                stats, cpu = await step(nc, headers, nats_url, template, n, interval, executor.pid)
                ok = stats.lag_p99_ms < 1000 and stats.pending < n and stats.heartbeats >= 2.5 * n
                print(
                    f"{n:>8}{stats.heartbeats / (3 * interval):>10.0f}{stats.handling_p50_us:>15.0f}{stats.handling_p99_us:>15.0f}"
                    f"{stats.lag_p50_ms:>12.1f}{stats.lag_p99_ms:>12.1f}{stats.pending:>9}{cpu:>8.0f}  {'yes' if ok else 'no'}",
                    flush=True,
                )
                if not ok:
                    break
                held = n
                n *= 2
            await nc.close()
        finally:
            executor.terminate()
            executor.wait(15)
    print(f"largest fleet held at {interval:g} s: {held} agents ({held * 20} containers)")
    print(
        f"peer: bare json.loads of one heartbeat p50 {percentile(json_samples, 50):.0f} us, p99 {percentile(json_samples, 99):.0f} us"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--interval", type=float, default=5.0, help="heartbeat interval in seconds (default 5)"
    )
    parser.add_argument("--max", type=int, default=16000, help="largest fleet tried (default 16000)")
    args = parser.parse_args()
    asyncio.run(run(args.interval, args.max))


if __name__ == "__main__":
    main()
