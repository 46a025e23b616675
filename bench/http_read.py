"""Latency of reads over HTTP (through the gateway), over the bus, and of a raw NATS echo of the same size.

Starts nats-server and nx-27017 on free ports (or uses BENCH_NATS_URL / BENCH_MONGO_URL), runs the registry, the
executor and the gateway as their own processes (`python -m services.<name>`), logs in as the init admin, creates
an API key, a server and 100 deployments, then for each read (`GetDeployment` of one deployment, and
`ListDeployments` answering all 100) sends N sequential requests from one client over HTTP and over the bus, and
N more over HTTP with aiohttp (a leaner client than httpx: the difference is the client's), and N to a raw
nats-py echo responder (its own process) answering a body of the same size, and N from each HTTP client to a
bare HTTP server (its own process) answering the same size: the client's own time. The same HTTP requests go
to a second gateway started with `VARANUS_GATEWAY_KEEP_ANSWERS=false`: every read over the bus to the registry,
as a read right after something it shows changed (the first gateway answers repeated reads from memory,
`services/gateway/kept_answers.py`). Prints p50 / p99 in microseconds and the ratios. Every request carries the API key, as a Komodo client sends it (`X-Api-Key` /
`X-Api-Secret`).

With `--py-spy DIR`, py-spy (the dev extra) samples the gateway, the registry and the executor while each HTTP case runs and
writes their collapsed stacks (`DIR/<read>-<service>.txt`, flamegraph.pl's input) and a flat summary of where
the samples fall (`DIR/<read>-<service>-top.txt`). Sampling slows the processes: figures of such a run are not
comparable with the others.

    .venv/bin/python bench/http_read.py [-n 2000] [--py-spy DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import httpx
import nats

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._admin import ADMIN, PASSWORD, api_key_headers, log_in, wait_for_gateway
from bench._servers import percentile, servers
from bench.bus_roundtrip import ECHO, measure, wait_for_registry
from services.common.embedded import free_port

DEPLOYMENTS = 100
"""Deployments created; `ListDeployments` answers all of them."""


@dataclass(frozen=True)
class Read:
    """One read measured: its name, its params, and how many items its answer must hold (None: one object)."""

    name: str
    params: dict[str, object]
    items: int | None


READS = (
    Read("GetDeployment", {"deployment": "bench-web-000"}, None),
    Read("ListDeployments", {"limit": DEPLOYMENTS}, DEPLOYMENTS),
)


BARE_HTTP = """
import asyncio, sys
size = int(sys.argv[1])
answer = b"HTTP/1.1 200 OK\\r\\ncontent-type: application/json\\r\\ncontent-length: %d\\r\\n\\r\\n" % size + b"x" * size

async def serve(reader, writer):
    try:
        while True:
            head = await reader.readuntil(b"\\r\\n\\r\\n")
            length = next(
                (int(line.split(b":")[1]) for line in head.split(b"\\r\\n") if line.lower().startswith(b"content-length:")),
                0,
            )
            await reader.readexactly(length)
            writer.write(answer)
    except (asyncio.IncompleteReadError, ConnectionError):
        writer.close()

async def main():
    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()

asyncio.run(main())
"""
"""A bare HTTP/1.1 server in its own process, answering every POST with a body of the given size: what a client
costs on its own (the "client alone" lines)."""


async def measure_http(
    http: httpx.AsyncClient, path: str, body: dict[str, object], count: int, headers: dict[str, str]
) -> list[float]:
    content = json.dumps(body).encode()
    headers = {**headers, "Content-Type": "application/json"}
    for _ in range(min(200, count)):  # warm-up
        (await http.post(path, content=content, headers=headers)).raise_for_status()
    samples: list[float] = []
    for _ in range(count):
        start = time.perf_counter()
        answer = await http.post(path, content=content, headers=headers)
        samples.append((time.perf_counter() - start) * 1e6)
        if answer.status_code != 200:
            raise RuntimeError(f"{path} answered {answer.status_code}: {answer.text}")
    return samples


async def measure_aiohttp(
    session: aiohttp.ClientSession, url: str, body: dict[str, object], count: int, headers: dict[str, str]
) -> list[float]:
    content = json.dumps(body).encode()
    headers = {**headers, "Content-Type": "application/json"}
    for _ in range(min(200, count)):  # warm-up
        async with session.post(url, data=content, headers=headers) as answer:
            await answer.read()
    samples: list[float] = []
    for _ in range(count):
        start = time.perf_counter()
        async with session.post(url, data=content, headers=headers) as answer:
            await answer.read()
        samples.append((time.perf_counter() - start) * 1e6)
        if answer.status != 200:
            raise RuntimeError(f"{url} answered {answer.status}")
    return samples


class Sampler:
    """py-spy recording a set of processes while a case runs (nothing when `folder` is None)."""

    def __init__(self, folder: Path | None, pids: dict[str, int]) -> None:
        self.folder = folder
        self.pids = pids
        self.running: dict[str, subprocess.Popen[bytes]] = {}
        self.case = ""

    def start(self, case: str) -> None:
        if self.folder is None:
            return
        spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or "py-spy"
        self.case = case
        for service, pid in self.pids.items():
            out = self.folder / f"{case}-{service}.txt"
            self.running[service] = subprocess.Popen(
                [
                    *(spy, "record", "--pid", str(pid), "--rate", "1000", "--format", "raw", "--nonblocking"),
                    *("--output", str(out)),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        time.sleep(1)  # py-spy attaches

    def stop(self) -> None:
        for service, proc in self.running.items():
            proc.send_signal(signal.SIGINT)
            proc.wait(30)
            assert self.folder is not None
            summarize(self.folder / f"{self.case}-{service}.txt")
        self.running.clear()


def summarize(collapsed: Path) -> None:
    """Write `<name>-top.txt` beside py-spy's collapsed stacks: the share of samples in which each function is
    on the stack (inclusive) and at its top (self), the 60 largest of each."""
    if not collapsed.exists():
        return
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, shown = line.rpartition(" ")
        if not shown.isdigit():
            continue
        frames = [f.split(" (")[0] + " " + f.rsplit("/", 1)[-1].rstrip(")") for f in stack.split(";")]
        total += int(shown)
        own[frames[-1]] += int(shown)
        for frame in set(frames):
            inclusive[frame] += int(shown)
    with (collapsed.parent / f"{collapsed.stem}-top.txt").open("w") as out:
        out.write(f"{total} samples\n\ninclusive\n")
        for frame, count in inclusive.most_common(60):
            out.write(f"{100 * count / total:6.1f}%  {frame}\n")
        out.write("\nself\n")
        for frame, count in own.most_common(60):
            out.write(f"{100 * count / total:6.1f}%  {frame}\n")


async def create_deployments(http: httpx.AsyncClient, creds: dict[str, str]) -> None:
    (await http.post("/write/CreateServer", json={"name": "bench-server"}, headers=creds)).raise_for_status()
    for index in range(DEPLOYMENTS):
        deployment = {
            "name": f"bench-web-{index:03d}",
            "config": {
                "server": "bench-server",
                "image": {"type": "Image", "params": {"image": "local/busybox:1"}},
                "ports": "8080:80",
                "environment": f"INDEX={index}",
            },
        }
        (await http.post("/write/CreateDeployment", json=deployment, headers=creds)).raise_for_status()


async def client_floors(
    read: Read, size: int, count: int, creds: dict[str, str], procs: list[subprocess.Popen[bytes]]
) -> tuple[list[float], list[float]]:
    """The same requests from httpx and from aiohttp to a bare HTTP server (its own process) answering `size`
    bytes: each client's own time, which every HTTP figure above includes."""
    bare = subprocess.Popen([sys.executable, "-c", BARE_HTTP, str(size)], stdout=subprocess.PIPE)
    procs.append(bare)
    assert bare.stdout is not None
    url = f"http://127.0.0.1:{int(bare.stdout.readline())}/read/{read.name}"
    async with httpx.AsyncClient(timeout=10) as http:
        alone_httpx = await measure_http(http, url, read.params, count, creds)
    async with aiohttp.ClientSession() as session:
        alone_aiohttp = await measure_aiohttp(session, url, read.params, count, creds)
    return alone_httpx, alone_aiohttp


async def run(count: int, py_spy: Path | None) -> None:
    with servers() as (nats_url, mongo_url):
        port = free_port()
        env = {
            **os.environ,
            "KOMODO_NATS_URL": nats_url,
            "KOMODO_DATABASE_URI": mongo_url,
            "VARANUS_DB_PREFIX": "bench_http",
            "VARANUS_DATA_DIR": tempfile.mkdtemp(prefix="varanus-bench-data-"),
            "KOMODO_LOGGING_LEVEL": "WARNING",
            "KOMODO_PORT": str(port),
            "KOMODO_INIT_ADMIN_USERNAME": ADMIN,
            "KOMODO_INIT_ADMIN_PASSWORD": PASSWORD,
        }
        procs = {
            service: subprocess.Popen([sys.executable, "-m", f"services.{service}"], env=env)
            for service in ("registry", "executor", "gateway")
        }
        # A second gateway that keeps no answer: every read goes over the bus to the registry, as a read does
        # after something it shows changed.
        plain_port = free_port()
        procs["gateway (keeping nothing)"] = subprocess.Popen(
            [sys.executable, "-m", "services.gateway"],
            env={**env, "KOMODO_PORT": str(plain_port), "VARANUS_GATEWAY_KEEP_ANSWERS": "false"},
        )
        sampler = Sampler(py_spy, {s: procs[s].pid for s in ("gateway", "registry", "executor")})
        echoes: list[subprocess.Popen[bytes]] = []
        results: list[tuple[Read, int, dict[str, list[float]]]] = []
        try:
            nc = await nats.connect(nats_url)
            await wait_for_registry(nc, time.monotonic() + 60)
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
                await wait_for_gateway(http, time.monotonic() + 60)
                creds = await api_key_headers(http, await log_in(http, time.monotonic() + 60))
                await create_deployments(http, creds)
                for read in READS:
                    answer = await http.post(f"/read/{read.name}", json=read.params, headers=creds)
                    answer.raise_for_status()
                    if read.items is not None and len(answer.json()) != read.items:
                        raise RuntimeError(
                            f"{read.name} answered {len(answer.json())} items, not {read.items}"
                        )
                    size = len(answer.content)
                    subject = f"bench.echo.{read.name}"
                    echo = subprocess.Popen(
                        [sys.executable, "-c", ECHO, nats_url, str(size), subject], stdout=subprocess.PIPE
                    )
                    echoes.append(echo)
                    assert echo.stdout is not None
                    echo.stdout.readline()
                    sampler.start(read.name)
                    over_http = await measure_http(http, f"/read/{read.name}", read.params, count, creds)
                    sampler.stop()
                    async with aiohttp.ClientSession() as session:
                        url = f"http://127.0.0.1:{port}/read/{read.name}"
                        lean = await measure_aiohttp(session, url, read.params, count, creds)
                    async with httpx.AsyncClient(
                        base_url=f"http://127.0.0.1:{plain_port}", timeout=10
                    ) as plain:
                        await wait_for_gateway(plain, time.monotonic() + 60)
                        plain_http = await measure_http(
                            plain, f"/read/{read.name}", read.params, count, creds
                        )
                    async with aiohttp.ClientSession() as session:
                        url = f"http://127.0.0.1:{plain_port}/read/{read.name}"
                        plain_lean = await measure_aiohttp(session, url, read.params, count, creds)
                    body = json.dumps(read.params).encode()
                    over_bus = await measure(nc, f"komodo.read.{read.name}", body, count, creds)
                    raw = await measure(nc, subject, body, count, creds)
                    alone_httpx, alone_aiohttp = await client_floors(read, size, count, creds, echoes)
                    results.append(
                        (
                            read,
                            size,
                            {
                                "http": over_http,
                                "aiohttp": lean,
                                "plain http": plain_http,
                                "plain aiohttp": plain_lean,
                                "bus": over_bus,
                                "echo": raw,
                                "alone httpx": alone_httpx,
                                "alone aiohttp": alone_aiohttp,
                            },
                        )
                    )
            await nc.close()
        finally:
            sampler.stop()
            for proc in [*reversed(procs.values()), *echoes]:
                proc.terminate()
                proc.wait(10)
    print(f"requests per case: {count} (sequential, one client, API key on every request)")
    rows = (
        ("http", "over HTTP (gateway -> bus), httpx client"),
        ("aiohttp", "over HTTP, aiohttp client"),
        ("plain http", "gateway keeping nothing, httpx client"),
        ("plain aiohttp", "gateway keeping nothing, aiohttp client"),
        ("bus", "over the bus (nats-py)"),
        ("echo", "raw nats-py request/reply echo, same size"),
        ("alone httpx", "client alone: httpx, bare HTTP server"),
        ("alone aiohttp", "client alone: aiohttp, bare HTTP server"),
    )
    ratios = (
        ("http", "bus", "ratio HTTP / bus"),
        ("http", "echo", "ratio HTTP / echo"),
        ("aiohttp", "echo", "ratio HTTP (aiohttp) / echo"),
        ("plain http", "echo", "ratio keeping nothing / echo"),
        ("plain aiohttp", "echo", "ratio keeping nothing (aiohttp) / echo"),
        ("bus", "echo", "ratio bus / echo"),
    )
    for read, size, samples in results:
        p50 = {case: percentile(values, 50) for case, values in samples.items()}
        p99 = {case: percentile(values, 99) for case, values in samples.items()}
        shown = f"{read.name} ({read.items} items)" if read.items is not None else read.name
        print(f"\n{shown}, reply {size} bytes")
        print(f"{'case':<44}{'p50 us':>10}{'p99 us':>10}{'p99/p50':>10}")
        for case, label in rows:
            print(f"{label:<44}{p50[case]:>10.0f}{p99[case]:>10.0f}{p99[case] / p50[case]:>10.1f}")
        for top, bottom, label in ratios:
            print(f"{label:<44}{p50[top] / p50[bottom]:>10.1f}{p99[top] / p99[bottom]:>10.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", "--count", type=int, default=2000, help="requests per case (default 2000)")
    parser.add_argument(
        "--py-spy",
        type=Path,
        default=None,
        metavar="DIR",
        help="sample the gateway, registry and executor into DIR",
    )
    args = parser.parse_args()
    if args.py_spy is not None:
        args.py_spy.mkdir(parents=True, exist_ok=True)
    asyncio.run(run(args.count, args.py_spy))


if __name__ == "__main__":
    main()
