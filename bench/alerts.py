"""How fast the alerter evaluates heartbeats: 10,000 simulated servers, on one core, in one process.

Each server sends an AgentStatus as a real agent does (20 containers and 3 disks, about 4 KB of JSON); its CPU
walks randomly, a tenth of the servers hover around their warning threshold (the flapping case), a tenth sit
high, and disks fill slowly. The timed loop is what the alerter does per heartbeat before any write:
`parse_heartbeat` (reads the numbers out of the JSON body) and the pure `evaluate` of the lifecycle. Figures:
heartbeats per second for parse + evaluate and for evaluate alone, beside the goal (2,000/s: a 10,000-server fleet
at a 5 s interval in one process) and the floor any Python consumer pays (a bare `json.loads` of the same body),
and how many lifecycle changes (writes) the run produced.

With `--deaths N` it also starts the whole system (`bench/_system.py`: registry, executor, gateway, the alerter
and an agent for this host, as their own processes, monitoring interval 5 s), deploys a busybox Deployment, and
N times kills its container with aiodocker (as `docker kill` does, outside the system), timing from the kill
until `ListAlerts` over HTTP shows its ContainerStateChange alert (polled every 50 ms) and until a Custom Alerter's
endpoint (a local HTTP receiver, `tests/receivers.py`) receives it, beside the goal of two monitoring
intervals; the container is started again between kills. Needs Docker and `local/busybox:1`.

    .venv/bin/python bench/alerts.py [--servers 10000] [--rounds 3] [--deaths 10]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import json

from contracts.entities.agent import AgentContainer, AgentStatus, DockerLists, PollStatusResponse
from contracts.entities.docker import ContainerStateStatusEnum
from contracts.entities.system import PeripheryInformation, SingleDiskUsage, SystemStats
from services.alerter.lifecycle import Policy, Rules, Sample, Track, evaluate
from services.alerter.servers import parse_heartbeat
from services.common.version import VERSION

GOAL = 2000.0
"""Heartbeats per second one core must evaluate (10,000 servers every 5 s)."""
CONTAINERS = 20
"""Containers per heartbeat, as in bench/fleet.py."""


def body(server_id: str, cpu: float, disk: float, ts: int) -> bytes:
    """An agent's heartbeat for `server_id` with these numbers."""
    containers = [
        AgentContainer(
            name=f"app-{i}", id=f"{i:064x}", image="local/busybox:1", state=ContainerStateStatusEnum.Running
        )
        for i in range(CONTAINERS)
    ]
    status = AgentStatus(
        server_id=server_id,
        ts=ts,
        interval_ms=5000,
        status=PollStatusResponse(
            periphery_info=PeripheryInformation(version=VERSION, docker_connected=True),
            system_stats=SystemStats(
                cpu_perc=cpu,
                mem_used_gb=3.0,
                mem_total_gb=8.0,
                disks=[
                    SingleDiskUsage(mount="/", used_gb=disk, total_gb=100.0),
                    SingleDiskUsage(mount="/data", used_gb=20.0, total_gb=500.0),
                    SingleDiskUsage(mount="/boot", used_gb=0.2, total_gb=1.0),
                ],
            ),
            docker=DockerLists(containers=containers),
        ),
    )
    return status.model_dump_json(by_alias=True).encode()


INTERVAL_SECONDS = 5
"""The monitoring interval of the death benchmark's agent."""


async def deaths(count: int) -> tuple[list[float], list[float]]:
    """Seconds from killing a deployment's container to its ContainerStateChange alert listed, and to it
    received by an Alerter's endpoint, `count` times."""
    import aiodocker

    from bench._system import SERVER, running_system
    from tests.receivers import http_receiver

    name = f"bench-alert-{os.getpid()}"
    env = {"KOMODO_MONITORING_INTERVAL": f"{INTERVAL_SECONDS}-sec"}
    times: list[float] = []
    delivered: list[float] = []
    async with (
        running_system(f"alerts_{os.getpid()}", extra=("alerter",), env_extra=env) as client,
        http_receiver() as receiver,
    ):
        docker = aiodocker.Docker()
        try:
            config = {
                "server_id": SERVER,
                "image": {"type": "Image", "params": {"image": "local/busybox:1"}},
                "command": "sleep 3600",
                "termination_timeout": 1,
            }
            created = await client.ask("write", "CreateDeployment", {"name": name, "config": config})
            target = created["_id"]["$oid"]
            endpoint = {"type": "Custom", "params": {"url": receiver.url("/alert")}}
            alerter = {"enabled": True, "endpoint": endpoint, "alert_types": ["ContainerStateChange"]}
            await client.ask("write", "CreateAlerter", {"name": f"{name}-alerter", "config": alerter})

            def received(state: str) -> int:
                bodies = [r.json() for r in receiver.at("/alert")]
                return sum(
                    1 for b in bodies if b["data"]["data"].get("to") == state and b["target"]["id"] == target
                )

            async def alerts_to(state: str) -> int:
                query = {"data.type": "ContainerStateChange", "target.id": target, "data.data.to": state}
                found = await client.ask("read", "ListAlerts", {"query": query})
                return len(found["alerts"])

            async def wait(state: str, more_than: int, seconds: float = 60.0) -> None:
                deadline = time.monotonic() + seconds
                while await alerts_to(state) <= more_than:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"no ContainerStateChange to {state} within {seconds:g} s")
                    await asyncio.sleep(0.05)

            await client.execute("Deploy", {"deployment": name})
            await wait("running", 0)
            for _ in range(count):
                exited = await alerts_to("exited")
                running = await alerts_to("running")
                # At a random moment: the executor derives states on a 5 s tick, which a kill right after the
                # last alert would always meet at the same phase.
                await asyncio.sleep(random.uniform(0, INTERVAL_SECONDS))
                sent = received("exited")
                started = time.perf_counter()
                await (await docker.containers.get(name)).kill()
                await wait("exited", exited)
                times.append(time.perf_counter() - started)
                deadline = time.monotonic() + 60
                while received("exited") <= sent:
                    if time.monotonic() > deadline:
                        raise RuntimeError("the alert did not reach the Alerter's endpoint within 60 s")
                    await asyncio.sleep(0.01)
                delivered.append(time.perf_counter() - started)
                await client.execute("StartDeployment", {"deployment": name})
                await wait("running", running)
        finally:
            with contextlib.suppress(aiodocker.DockerError):
                await (await docker.containers.get(name)).delete(force=True)
            await docker.close()
    return times, delivered


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--servers", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3, help="heartbeats per server")
    parser.add_argument("--deaths", type=int, default=0, help="container kills to time (0: none)")
    args = parser.parse_args()
    if args.deaths:
        from bench._servers import percentile

        times, delivered = asyncio.run(deaths(args.deaths))
        goal = 2 * INTERVAL_SECONDS
        print(
            f"container killed -> ContainerStateChange alert, {len(times)} kills, interval {INTERVAL_SECONDS} s"
        )
        print(f"{'case':<48}{'p50 s':>8}{'p90 s':>8}{'max s':>8}{'goal s':>8}")
        for label, values in (
            ("kill to alert (ListAlerts over HTTP)", times),
            ("kill to alert received (Custom Alerter)", delivered),
        ):
            p50, p90 = percentile(values, 50), percentile(values, 90)
            print(f"{label:<48}{p50:>8.1f}{p90:>8.1f}{max(values):>8.1f}{goal:>8}")
    with_affinity = hasattr(os, "sched_setaffinity")
    if with_affinity:
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    rng = random.Random(7)
    policy = Policy(open_after=2, margin=5.0, core_version=VERSION)
    rules = Rules(name="srv", cpu=(80.0, 95.0), mem=(75.0, 95.0), disk=(75.0, 95.0))
    ids = [f"{i:024x}" for i in range(args.servers)]
    # The bodies are made before timing (making them is the agent's work, not the alerter's).
    template = body("0" * 24, 0.0, 0.0, 0)
    print(f"heartbeat body: {len(template)} bytes ({CONTAINERS} containers, 3 disks)", flush=True)
    messages: list[tuple[str, bytes]] = []
    cpu = {sid: rng.uniform(5, 60) for sid in ids}
    now = int(time.time() * 1000)
    for round_ in range(args.rounds):
        for n, sid in enumerate(ids):
            if n % 10 == 0:
                value = 80.0 + rng.choice((-1.0, 1.0))  # hovering around the warning threshold
            elif n % 10 == 1:
                value = rng.uniform(85, 99)  # high
            else:
                cpu[sid] = min(100.0, max(0.0, cpu[sid] + rng.uniform(-5, 5)))
                value = cpu[sid]
            raw = template.replace(b'"' + b"0" * 24 + b'"', f'"{sid}"'.encode(), 1)
            raw = raw.replace(b'"cpu_perc":0.0', f'"cpu_perc":{value:.1f}'.encode(), 1)
            raw = raw.replace(b'"used_gb":0.0', f'"used_gb":{50 + round_ + n % 30:.1f}'.encode(), 1)
            raw = raw.replace(b'"ts":0', f'"ts":{now + round_ * 5000}'.encode(), 1)
            messages.append((f"komodo.agent.{sid}.status", raw))
    tracks = {sid: Track(last_seen_ms=now) for sid in ids}

    started = time.perf_counter()
    for _subject, raw in messages:
        json.loads(raw)
    floor = len(messages) / (time.perf_counter() - started)

    samples: list[tuple[str, Sample]] = []
    changes = 0
    started = time.perf_counter()
    for subject, raw in messages:
        parsed = parse_heartbeat(subject, raw)
        assert parsed is not None
        server_id, _interval, sample = parsed
        changes += len(evaluate(server_id, tracks[server_id], rules, sample, policy))
        samples.append((server_id, sample))
    full = len(messages) / (time.perf_counter() - started)

    tracks = {sid: Track(last_seen_ms=now) for sid in ids}
    started = time.perf_counter()
    for server_id, sample in samples:
        evaluate(server_id, tracks[server_id], rules, sample, policy)
    pure = len(samples) / (time.perf_counter() - started)

    core = "one core (sched_setaffinity)" if with_affinity else "one process"
    print(f"{args.servers} servers x {args.rounds} heartbeats = {len(messages)} heartbeats, {core}")
    print(f"{'case':<48}{'heartbeats/s':>14}{'goal':>10}")
    print(f"{'parse_heartbeat + evaluate (the alerter)':<48}{full:>14,.0f}{GOAL:>10,.0f}")
    print(f"{'evaluate alone (pure lifecycle)':<48}{pure:>14,.0f}{GOAL:>10,.0f}")
    print(f"{'json.loads of the same body (peer floor)':<48}{floor:>14,.0f}{'':>10}")
    print(f"lifecycle changes (writes) produced: {changes}")
    print(f"goal {'met' if full >= GOAL else 'NOT met'}: {full / GOAL:.1f}x")


if __name__ == "__main__":
    main()
