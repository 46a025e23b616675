"""The system under load: 200 clients reading and 20 executing at once, for a bounded time, on loopback.

Starts nats-server and nx-27017 on free ports, the registry, executor, gateway and an agent for this host as
their own processes (`bench/_system.py`, as the other benchmarks), logs in as the init admin and creates an API
key, then one Deployment per executing client (`local/busybox:1`, a shell that sleeps and ends at once on
SIGTERM), each deployed once. Then for `--seconds` (default 60):

- each of `--readers` (200) clients sends, one after the other, `GetDeployment`, `ListDeployments`,
  `ListServers` and `GetUpdate` (of a finished deploy) over HTTP with an API key: all the same key, or one of
  `--keys` keys (reader i uses key i mod K, each used once before the load), as that many users would;
- each of `--executors` (20) clients runs, on its own deployment, `Deploy` and `RestartDeployment` in turn
  (POST /execute, then `GetUpdate` every 100 ms until the Update is Complete).

Prints per kind the request count, errors (any status but 200, a transport error, or a failed execution),
latency p50 / p99 / max and requests over 1 s; the time executions took to complete; and the RSS of each
process (the services, nats-server, nx-27017) at the start, the middle and the end of the run, so a growing
footprint shows, and the share of a core each used during the load. The clients' process freezes what it
holds before the load (`services.common.gc_freeze.settle`, as every service does), so its own full collector
passes do not count as the system's latency. The figures beside them: the same reads sent by one client alone before the load starts.
Every container it made is removed at the end. The gateway answers repeated reads from memory until what
they show changes (`services/gateway/kept_answers.py`); `--gateway-keeps-nothing` starts it with
`VARANUS_GATEWAY_KEEP_ANSWERS=false`, so every read goes to the registry.

    .venv/bin/python bench/load.py [--seconds 60] [--readers 200] [--executors 20] [--keys 1]
        [--gateway-keeps-nothing]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import json
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import aiodocker
import aiohttp
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._servers import percentile
from bench._system import SERVER, running_system
from bench.deploy import COMMAND, IMAGE, PREVIOUS_SUFFIX
from services.common.gc_freeze import settle

SLOW_SECONDS = 1.0
"""A request slower than this is counted apart."""
POLL_SECONDS = 0.1
"""How often an executing client asks for its Update while it runs."""


class Tally:
    """Latencies (seconds) and errors per kind of request."""

    def __init__(self) -> None:
        self.samples: dict[str, list[float]] = collections.defaultdict(list)
        self.errors: collections.Counter[str] = collections.Counter()
        self.examples: dict[str, str] = {}
        self.slow: list[tuple[float, float, str]] = []
        """(perf_counter at the start, seconds, request) of each request over `SLOW_SECONDS`."""

    def error(self, kind: str, what: str) -> None:
        self.errors[kind] += 1
        self.examples.setdefault(kind, what[:300])


class Api:
    """The gateway over one aiohttp session (a pool as large as the clients), with the API key."""

    def __init__(
        self, session: aiohttp.ClientSession, base: str, creds: dict[str, str], tally: Tally
    ) -> None:
        self.session = session
        self.base = base
        self.creds = creds
        self.tally = tally

    async def ask(self, kind: str, name: str, params: dict[str, Any]) -> Any:
        """POST /<kind>/<name>; the JSON answer, or None after counting an error. Timed under `name`."""
        started = time.perf_counter()
        try:
            async with self.session.post(f"{self.base}/{kind}/{name}", json=params, headers=self.creds) as r:
                body = await r.read()
                status = r.status
        except (aiohttp.ClientError, TimeoutError) as err:
            self.tally.error(name, f"{type(err).__name__}: {err}")
            return None
        took = time.perf_counter() - started
        self.tally.samples[name].append(took)
        if took > SLOW_SECONDS:
            self.tally.slow.append((started, took, name))
        if status != 200:
            self.tally.error(name, f"{status}: {body.decode(errors='replace')}")
            return None
        return json.loads(body)


async def reader(api: Api, deployment: str, update_id: str, until: float) -> None:
    reads: tuple[tuple[str, dict[str, Any]], ...] = (
        ("GetDeployment", {"deployment": deployment}),
        ("ListDeployments", {}),
        ("ListServers", {}),
        ("GetUpdate", {"id": update_id}),
    )
    while time.monotonic() < until:
        for name, params in reads:
            await api.ask("read", name, params)


async def execute(api: Api, name: str, params: dict[str, Any]) -> str | None:
    """Run an execution until its Update is Complete; its id, or None after counting an error."""
    started = time.perf_counter()
    update = await api.ask("execute", name, params)
    while update is not None and update["status"] != "Complete":
        await asyncio.sleep(POLL_SECONDS)
        update = await api.ask("read", "GetUpdate", {"id": update["_id"]["$oid"]})
    if update is None:
        return None
    if not update["success"]:
        api.tally.error(f"{name} completed", str(update["logs"]))
        return None
    api.tally.samples[f"{name} completed"].append(time.perf_counter() - started)
    return str(update["_id"]["$oid"])


async def executor(api: Api, deployment: str, until: float) -> None:
    while time.monotonic() < until:
        for name in ("Deploy", "RestartDeployment"):
            await execute(api, name, {"deployment": deployment})


def processes() -> dict[str, psutil.Process]:
    """This benchmark's service processes, nats-server and nx-27017, by name."""
    found: dict[str, psutil.Process] = {}
    for proc in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.Error):
            cmd = proc.cmdline()
            if "-m" in cmd and cmd.index("-m") + 1 < len(cmd):
                found[cmd[cmd.index("-m") + 1].removeprefix("services.")] = proc
            elif cmd and ("nats-server" in cmd[0] or "nx-27017" in " ".join(cmd[:2])):
                found["nats-server" if "nats-server" in cmd[0] else "nx-27017"] = proc
    return found


def cpu(procs: dict[str, psutil.Process]) -> dict[str, float]:
    """CPU seconds (user + system) used so far per process."""
    out: dict[str, float] = {}
    for name, proc in procs.items():
        with contextlib.suppress(psutil.Error):
            times = proc.cpu_times()
            out[name] = times.user + times.system
    return out


def rss(procs: dict[str, psutil.Process]) -> dict[str, float]:
    """RSS in MiB per process (0 for one that is gone)."""
    out: dict[str, float] = {}
    for name, proc in procs.items():
        try:
            out[name] = proc.memory_info().rss / 2**20
        except psutil.Error:
            out[name] = 0.0
    return out


async def alone(api: Api, deployment: str, update_id: str, count: int) -> Tally:
    """The same reads from one client, before the load: the peer figures."""
    solo = Tally()
    solo_api = Api(api.session, api.base, api.creds, solo)
    for _ in range(count):
        for name, params in (
            ("GetDeployment", {"deployment": deployment}),
            ("ListDeployments", {}),
            ("ListServers", {}),
            ("GetUpdate", {"id": update_id}),
        ):
            await solo_api.ask("read", name, params)
    return solo


async def more_keys(
    session: aiohttp.ClientSession, base: str, creds: dict[str, str], count: int
) -> list[dict[str, str]]:
    """`count` API keys of the admin (the first is `creds`), each used once, as the headers a client sends."""
    keys = [creds]
    for i in range(1, count):
        async with session.post(
            f"{base}/auth/manage/CreateApiKey", json={"name": f"load-{i}"}, headers=creds
        ) as r:
            if r.status != 200:
                raise SystemExit(f"CreateApiKey answered {r.status}: {await r.text()}")
            key = await r.json()
        keys.append({"X-Api-Key": key["key"], "X-Api-Secret": key["secret"]})
    for headers in keys:
        async with session.post(f"{base}/read/GetVersion", json={}, headers=headers) as r:
            if r.status != 200:
                raise SystemExit(f"a new API key was refused: {r.status}")
    return keys


async def run(seconds: float, readers: int, executors: int, keys: int, keep_nothing: bool) -> None:
    tag = uuid.uuid4().hex[:8]
    names = [f"bench-load-{tag}-{i:02d}" for i in range(executors)]
    docker = aiodocker.Docker()
    tally = Tally()
    memory: list[tuple[str, dict[str, float]]] = []
    env = {"VARANUS_GATEWAY_KEEP_ANSWERS": "false"} if keep_nothing else None
    try:
        async with running_system(f"load_{tag}", env_extra=env) as client:
            base = str(client.http.base_url).rstrip("/")
            connector = aiohttp.TCPConnector(limit=0)
            timeout = aiohttp.ClientTimeout(total=60)
            async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
                api = Api(session, base, client.creds, tally)
                config = {
                    "server_id": SERVER,
                    "image": {"type": "Image", "params": {"image": IMAGE}},
                    "network": "bridge",
                    "command": COMMAND,
                }
                for name in names:
                    await client.ask("write", "CreateDeployment", {"name": name, "config": config})
                setup = Api(session, base, client.creds, Tally())
                first = await asyncio.gather(*(execute(setup, "Deploy", {"deployment": n}) for n in names))
                update_id = next((u for u in first if u), None)
                if update_id is None or setup.tally.errors:
                    raise SystemExit(f"the first deploys failed: {setup.tally.examples}")
                solo = await alone(api, names[0], update_id, 50)
                credentials = await more_keys(session, base, client.creds, keys)
                procs = {**processes(), "bench (clients)": psutil.Process()}
                # The clients' own full collector passes (up to 135 ms measured) would stall every request in
                # flight here and count as the system's latency: the clients settle as the services do.
                settle()
                memory.append(("start", rss(procs)))
                cpu_before = cpu(procs)
                started = time.monotonic()
                load_started = time.perf_counter()
                until = started + seconds

                async def middle() -> None:
                    await asyncio.sleep(seconds / 2)
                    memory.append(("middle", rss(procs)))

                await asyncio.gather(
                    middle(),
                    *(
                        reader(
                            Api(session, base, credentials[i % len(credentials)], tally),
                            names[i % len(names)],
                            update_id,
                            until,
                        )
                        for i in range(readers)
                    ),
                    *(executor(api, name, until) for name in names),
                )
                elapsed = time.monotonic() - started
                memory.append(("end", rss(procs)))
                cpu_used = {k: v - cpu_before.get(k, 0.0) for k, v in cpu(procs).items()}
    finally:
        for name in names:
            for container in (name, name + PREVIOUS_SUFFIX):
                with contextlib.suppress(aiodocker.DockerError):
                    await (await docker.containers.get(container)).delete(force=True)
        await docker.close()
    print(
        f"{readers} reading and {executors} executing clients for {elapsed:.0f} s, over HTTP on loopback; "
        f"readers on {keys} API key(s); the gateway {'keeping nothing' if keep_nothing else 'keeping answers'}"
    )
    total = sum(len(s) for s in tally.samples.values())
    print(f"requests: {total} ({total / elapsed:.0f}/s), errors: {sum(tally.errors.values())}")
    print(
        f"{'kind':<28}{'count':>8}{'errors':>8}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'>1 s':>7}"
        f"{'alone p50':>11}{'alone p99':>11}"
    )
    for kind in sorted(set(tally.samples) | set(tally.errors)):
        samples = tally.samples.get(kind) or [0.0]
        peer = solo.samples.get(kind)
        peer_cols = (
            f"{percentile(peer, 50) * 1e3:>11.1f}{percentile(peer, 99) * 1e3:>11.1f}" if peer else f"{'':>22}"
        )
        slow = sum(1 for s in samples if s > SLOW_SECONDS) if "completed" not in kind else 0
        print(
            f"{kind:<28}{len(tally.samples.get(kind, [])):>8}{tally.errors[kind]:>8}"
            f"{percentile(samples, 50) * 1e3:>9.1f}{percentile(samples, 99) * 1e3:>9.1f}"
            f"{max(samples) * 1e3:>9.1f}{slow:>7}{peer_cols}"
        )
    print("(`... completed`: from POST /execute until GetUpdate says Complete; not a request, not in `>1 s`)")
    for kind, example in tally.examples.items():
        print(f"first error of {kind}: {example}")
    if tally.slow:
        # Requests over 1 s that started together point at a stall of the whole system, not of one path.
        print(
            "requests over 1 s, by when they started (s into the load): "
            + ", ".join(
                f"{name} at {begun - load_started:.1f} ({took:.2f} s)"
                for begun, took, name in sorted(tally.slow)[:12]
            )
        )
    print(f"\n{'RSS MiB':<14}" + "".join(f"{label:>10}" for label, _ in memory) + f"{'CPU %':>10}")
    for name in memory[0][1]:
        share = 100 * cpu_used.get(name, 0.0) / elapsed
        print(
            f"{name:<14}"
            + "".join(f"{sizes.get(name, 0.0):>10.1f}" for _, sizes in memory)
            + f"{share:>10.0f}"
        )
    print(f"{'total':<14}" + "".join(f"{sum(sizes.values()):>10.1f}" for _, sizes in memory))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=60.0, help="how long the load lasts (default 60)")
    parser.add_argument("--readers", type=int, default=200, help="reading clients (default 200)")
    parser.add_argument("--executors", type=int, default=20, help="executing clients (default 20)")
    parser.add_argument(
        "--keys", type=int, default=1, help="API keys the readers are spread over (default 1: all the same)"
    )
    parser.add_argument(
        "--gateway-keeps-nothing",
        action="store_true",
        help="start the gateway with VARANUS_GATEWAY_KEEP_ANSWERS=false (every read to the registry)",
    )
    args = parser.parse_args()
    if args.keys < 1:
        parser.error("--keys must be at least 1")
    asyncio.run(run(args.seconds, args.readers, args.executors, args.keys, args.gateway_keeps_nothing))


if __name__ == "__main__":
    main()
