"""Lists at scale: `ListServers`, `ListDeployments` and `ListAllContainers` pages with 10,000 servers, 10,000
deployments and 200,000 containers, over HTTP (through the gateway) and over the bus, each with an API key.

Starts nats-server and nx-27017 on free ports (or uses BENCH_NATS_URL / BENCH_MONGO_URL) and the registry,
executor and gateway as their own processes. One server and one deployment are created through the API; the
other 9,999 of each are copies of their documents inserted in bulk into the registry's collections (creating
10,000 of each through the API would take minutes on nx-27017, and the list path does not care how they came).
Then one heartbeat per server (the 20-container heartbeat of `bench/fleet.py`, with a 10 minute interval so the
servers stay Ok) is published, so the executor holds 200,000 containers; deployment i runs as container
`service-<i mod 20>` of server i, so its live state is found.

For each list it times the first page, a middle page, a page not asked before (a new one each request, so the
registry cannot answer it from memory; servers and deployments) and a search, 100 items per page, and prints
p50 / p99 in ms beside two peers: a raw pymongo `find` of one page of servers (sorted by name, skipped and
limited by the database) and a raw nats-py request/reply echo of the size of a container page.

    .venv/bin/python bench/lists.py [-n 30] [--servers 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import nats
from bson import ObjectId
from pymongo import ASCENDING, AsyncMongoClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._admin import ADMIN, PASSWORD, api_key_headers, log_in, stop, wait_for_gateway
from bench._servers import percentile, servers
from bench.bus_roundtrip import ECHO
from bench.fleet import heartbeat_templates
from services.common.embedded import free_port

PREFIX = "bench_lists"
PAGE = 100
INTERVAL_MS = 600_000
"""The heartbeats' interval: long, so every server stays Ok while the benchmark runs."""


def server_name(i: int) -> str:
    return f"bench-server-{i:05d}"


async def fill(mongo_url: str, servers_n: int) -> list[str]:
    """Copy the server and deployment created through the API into `servers_n` of each; the server ids."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_url)
    db = client[f"{PREFIX}_registry"]
    server = await db["Server"].find_one({"name": server_name(0)})
    deployment = await db["Deployment"].find_one({"name": "bench-deploy-00000"})
    assert server is not None and deployment is not None
    for doc in (server, deployment):
        for field in ("_outbox", "_outbox_n"):
            doc.pop(field, None)
    ids = [str(server["_id"])]
    for start in range(1, servers_n, 1000):
        batch_servers, batch_deployments = [], []
        for i in range(start, min(servers_n, start + 1000)):
            sid = ObjectId()
            ids.append(str(sid))
            batch_servers.append({**server, "_id": sid, "name": server_name(i)})
            config = {**deployment["config"], "server_id": str(sid), "custom_name": f"service-{i % 20:02d}"}
            batch_deployments.append(
                {**deployment, "_id": ObjectId(), "name": f"bench-deploy-{i:05d}", "config": config}
            )
        await db["Server"].insert_many(batch_servers)
        await db["Deployment"].insert_many(batch_deployments)
    await client.close()
    return ids


async def heartbeats(nc: nats.NATS, ids: list[str]) -> None:
    """One 20-container heartbeat per server."""
    body = heartbeat_templates(INTERVAL_MS)[0]  # the full status; no beats follow within the run
    ts = str(int(time.time() * 1000)).encode()
    # Paced at 2,000 a second, what 10,000 agents at a 5 s interval send at most: all 200,000 containers at once
    # (110 MB) overran the executor's connection, which NATS then cut as a slow consumer.
    for start in range(0, len(ids), 200):
        for sid in ids[start : start + 200]:
            payload = body.replace(b"SERVERID00000000000000000", sid.encode()).replace(b"1111111111111", ts)
            await nc.publish(f"komodo.agent.{sid}.status", payload)
        await nc.flush()
        await asyncio.sleep(0.1)


Params = dict[str, Any] | Callable[[], dict[str, Any]]
"""A request's params, or a function giving new ones for each request (a page not asked before)."""


def params_of(params: Params) -> dict[str, Any]:
    return params() if callable(params) else params


async def time_http(
    http: httpx.AsyncClient, creds: dict[str, str], name: str, params: Params, n: int
) -> tuple[list[float], int]:
    """Seconds per request over HTTP, and the reply's size."""
    samples, size = [], 0
    for i in range(n + 2):
        body = {"type": name, "params": params_of(params)}
        start = time.perf_counter()
        answer = await http.post("/read", json=body, headers=creds)
        elapsed = time.perf_counter() - start
        if answer.status_code != 200:
            raise RuntimeError(f"{name} answered {answer.status_code}: {answer.text[:300]}")
        size = len(answer.content)
        if i >= 2:  # two warm-ups
            samples.append(elapsed)
    return samples, size


async def time_bus(nc: nats.NATS, creds: dict[str, str], name: str, params: Params, n: int) -> list[float]:
    """Seconds per request over the bus."""
    samples = []
    for i in range(n + 2):
        body = json.dumps(params_of(params)).encode()
        start = time.perf_counter()
        reply = await nc.request(f"komodo.read.{name}", body, timeout=120, headers=creds)
        elapsed = time.perf_counter() - start
        if reply.headers and reply.headers.get("Status", "200") != "200":
            raise RuntimeError(f"{name} over the bus: {reply.data[:300]!r}")
        if i >= 2:
            samples.append(elapsed)
    return samples


async def time_mongo(mongo_url: str, skip: int, n: int) -> list[float]:
    """Seconds per raw find of one page of servers by name."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_url)
    coll = client[f"{PREFIX}_registry"]["Server"]
    samples = []
    for i in range(n + 2):
        start = time.perf_counter()
        await coll.find({}).sort("name", ASCENDING).skip(skip).limit(PAGE).to_list(None)
        if i >= 2:
            samples.append(time.perf_counter() - start)
    await client.close()
    return samples


async def time_echo(nc: nats.NATS, n: int) -> list[float]:
    samples = []
    for i in range(n + 2):
        start = time.perf_counter()
        await nc.request("bench.echo", b"{}", timeout=5)
        if i >= 2:
            samples.append(time.perf_counter() - start)
    return samples


def row(label: str, samples: list[float]) -> None:
    print(
        f"{label:<60}{percentile(samples, 50) * 1e3:>10.1f}{percentile(samples, 99) * 1e3:>10.1f}", flush=True
    )


async def wait_for_containers(nc: nats.NATS, creds: dict[str, str], total: int) -> float:
    started = time.monotonic()
    while time.monotonic() - started < 300:
        reply = await nc.request("komodo.read.GetContainersSummary", b"{}", timeout=120, headers=creds)
        if json.loads(reply.data).get("total") == total:
            return time.monotonic() - started
        await asyncio.sleep(1)
    raise RuntimeError(f"the executor did not hold {total} containers within 300 s")


async def run(n: int, servers_n: int) -> None:
    with servers() as (nats_url, mongo_url):
        port = free_port()
        env = {
            **os.environ,
            "KOMODO_NATS_URL": nats_url,
            "KOMODO_DATABASE_URI": mongo_url,
            "VARANUS_DB_PREFIX": PREFIX,
            "VARANUS_DATA_DIR": tempfile.mkdtemp(prefix="varanus-bench-data-"),
            "KOMODO_LOGGING_LEVEL": "WARNING",
            "KOMODO_PORT": str(port),
            "KOMODO_INIT_ADMIN_USERNAME": ADMIN,
            "KOMODO_INIT_ADMIN_PASSWORD": PASSWORD,
        }
        procs = [
            subprocess.Popen([sys.executable, "-m", f"services.{service}"], env=env)
            for service in ("registry", "executor", "gateway")
        ]
        try:
            nc = await nats.connect(nats_url)
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=300) as http:
                await wait_for_gateway(http, time.monotonic() + 60)
                creds = await api_key_headers(http, await log_in(http, time.monotonic() + 60))
                for path, body in (
                    ("/write/CreateServer", {"name": server_name(0), "config": {"enabled": True}}),
                    (
                        "/write/CreateDeployment",
                        {
                            "name": "bench-deploy-00000",
                            "config": {
                                "server": server_name(0),
                                "custom_name": "service-00",
                                "image": {"type": "Image", "params": {"image": "local/busybox:1"}},
                            },
                        },
                    ),
                ):
                    (await http.post(path, json=body, headers=creds)).raise_for_status()
                started = time.monotonic()
                ids = await fill(mongo_url, servers_n)
                filled = time.monotonic() - started
                await heartbeats(nc, ids)
                held = await wait_for_containers(nc, creds, servers_n * 20)
                print(
                    f"{servers_n} servers and {servers_n} deployments inserted in {filled:.1f} s; "
                    f"{servers_n * 20} containers held {held:.1f} s after the heartbeats; "
                    f"{n} requests per case, {PAGE} items per page"
                )
                middle = servers_n // PAGE // 2
                pages = max(1, servers_n // PAGE)
                fresh_servers, fresh_deployments = itertools.count(), itertools.count()
                cases: list[tuple[str, str, Params]] = [
                    ("ListServers first page", "ListServers", {"limit": PAGE}),
                    ("ListServers middle page", "ListServers", {"limit": PAGE, "page": middle}),
                    (
                        "ListServers a page not asked before",
                        "ListServers",
                        lambda: {"limit": PAGE, "page": next(fresh_servers) % pages},
                    ),
                    (
                        "ListServers search '0042'",
                        "ListServers",
                        {"limit": PAGE, "query": {"terms": ["0042"]}},
                    ),
                    ("ListDeployments first page", "ListDeployments", {"limit": PAGE}),
                    ("ListDeployments middle page", "ListDeployments", {"limit": PAGE, "page": middle}),
                    (
                        "ListDeployments a page not asked before",
                        "ListDeployments",
                        lambda: {"limit": PAGE, "page": next(fresh_deployments) % pages},
                    ),
                    (
                        "ListDeployments search '0042'",
                        "ListDeployments",
                        {"limit": PAGE, "query": {"terms": ["0042"]}},
                    ),
                    ("ListAllContainers first page", "ListAllContainers", {"limit": PAGE}),
                    (
                        "ListAllContainers middle page",
                        "ListAllContainers",
                        {"limit": PAGE, "page": middle * 20},
                    ),
                    (
                        "ListAllContainers search 'service-07'",
                        "ListAllContainers",
                        {"limit": PAGE, "terms": ["service-07"]},
                    ),
                ]
                print(f"{'case (API key on every request)':<60}{'p50 ms':>10}{'p99 ms':>10}")
                size = 0
                for label, name, params in cases:
                    over_http, size = await time_http(http, creds, name, params, n)
                    row(f"{label} over HTTP", over_http)
                    row(f"{label} over the bus", await time_bus(nc, creds, name, params, n))
                row("peer: raw pymongo find of the first page of servers", await time_mongo(mongo_url, 0, n))
                row(
                    "peer: raw pymongo find of the middle page of servers",
                    await time_mongo(mongo_url, middle * PAGE, n),
                )
                echo = subprocess.Popen(
                    [sys.executable, "-c", ECHO, nats_url, str(size)], stdout=subprocess.PIPE
                )
                procs.append(echo)
                assert echo.stdout is not None
                echo.stdout.readline()
                row(f"peer: raw nats-py echo of {size} bytes (a container page)", await time_echo(nc, n))
            await nc.close()
        finally:
            stop(procs)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", "--count", type=int, default=30, help="timed requests per case (default 30)")
    parser.add_argument(
        "--servers", type=int, default=10_000, help="servers, 20 containers each (default 10000)"
    )
    args = parser.parse_args()
    asyncio.run(run(args.count, args.servers))


if __name__ == "__main__":
    main()
