"""Latency of `GetDeployment` over HTTP (through the gateway), over the bus, and of a raw NATS echo.

Starts nats-server and nx-27017 on free ports (or uses BENCH_NATS_URL / BENCH_MONGO_URL), runs the registry and
the gateway as their own processes (`python -m services.registry`, `python -m services.gateway`), logs in as the
init admin, creates an API key, a server and a deployment, then sends N sequential requests of each case from
one client and prints p50 / p99 in microseconds with the ratios. Every request carries the API key, as a
Komodo client sends it (`X-Api-Key` / `X-Api-Secret`).

    .venv/bin/python bench/http_read.py [-n 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import nats

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._servers import percentile, servers
from bench.bus_roundtrip import ECHO, measure, wait_for_registry
from services.common.embedded import free_port

ADMIN, PASSWORD = "bench-admin", "bench-admin-password"


async def wait_for_gateway(http: httpx.AsyncClient, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            if (await http.get("/version")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.2)
    raise RuntimeError("the gateway did not answer within 60 s")


async def measure_http(
    http: httpx.AsyncClient, path: str, body: dict[str, str], count: int, headers: dict[str, str]
) -> list[float]:
    for _ in range(min(200, count)):  # warm-up
        (await http.post(path, json=body, headers=headers)).raise_for_status()
    samples: list[float] = []
    for _ in range(count):
        start = time.perf_counter()
        answer = await http.post(path, json=body, headers=headers)
        samples.append((time.perf_counter() - start) * 1e6)
        if answer.status_code != 200:
            raise RuntimeError(f"{path} answered {answer.status_code}: {answer.text}")
    return samples


async def run(count: int) -> None:
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
        registry = subprocess.Popen([sys.executable, "-m", "services.registry"], env=env)
        gateway = subprocess.Popen([sys.executable, "-m", "services.gateway"], env=env)
        echo = None
        try:
            nc = await nats.connect(nats_url)
            await wait_for_registry(nc, time.monotonic() + 60)
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
                await wait_for_gateway(http, time.monotonic() + 60)
                login = await http.post(
                    "/auth/login/LoginLocalUser", json={"username": ADMIN, "password": PASSWORD}
                )
                jwt = login.json()["data"]["jwt"]
                key = (
                    await http.post(
                        "/auth/manage/CreateApiKey", json={"name": "bench"}, headers={"Authorization": jwt}
                    )
                ).json()
                creds = {"X-Api-Key": key["key"], "X-Api-Secret": key["secret"]}
                (
                    await http.post("/write/CreateServer", json={"name": "bench-server"}, headers=creds)
                ).raise_for_status()
                deployment = {
                    "name": "bench-web",
                    "config": {
                        "server": "bench-server",
                        "image": {"type": "Image", "params": {"image": "local/busybox:1"}},
                        "ports": "8080:80",
                    },
                }
                (
                    await http.post("/write/CreateDeployment", json=deployment, headers=creds)
                ).raise_for_status()
                body = {"deployment": "bench-web"}
                size = len((await http.post("/read/GetDeployment", json=body, headers=creds)).content)
                echo = subprocess.Popen(
                    [sys.executable, "-c", ECHO, nats_url, str(size)], stdout=subprocess.PIPE
                )
                assert echo.stdout is not None
                echo.stdout.readline()
                over_http = await measure_http(http, "/read/GetDeployment", body, count, creds)
                over_bus = await measure(
                    nc, "komodo.read.GetDeployment", b'{"deployment": "bench-web"}', count, creds
                )
                raw = await measure(nc, "bench.echo", b'{"deployment": "bench-web"}', count, creds)
            await nc.close()
        finally:
            for proc in (gateway, registry, echo):
                if proc is not None:
                    proc.terminate()
                    proc.wait(10)
    h50, h99 = percentile(over_http, 50), percentile(over_http, 99)
    b50, b99 = percentile(over_bus, 50), percentile(over_bus, 99)
    r50, r99 = percentile(raw, 50), percentile(raw, 99)
    print(
        f"requests per case: {count} (sequential, one client, API key on every request), reply size {size} bytes"
    )
    print(f"{'case':<44}{'p50 us':>10}{'p99 us':>10}")
    print(f"{'GetDeployment over HTTP (gateway -> bus)':<44}{h50:>10.0f}{h99:>10.0f}")
    print(f"{'GetDeployment over the bus (nats-py)':<44}{b50:>10.0f}{b99:>10.0f}")
    print(f"{'raw nats-py request/reply echo':<44}{r50:>10.0f}{r99:>10.0f}")
    print(f"{'ratio HTTP / bus':<44}{h50 / b50:>10.1f}{h99 / b99:>10.1f}")
    print(f"{'ratio HTTP / echo':<44}{h50 / r50:>10.1f}{h99 / r99:>10.1f}")
    print(f"{'ratio bus / echo':<44}{b50 / r50:>10.1f}{b99 / r99:>10.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", "--count", type=int, default=2000, help="requests per case (default 2000)")
    args = parser.parse_args()
    asyncio.run(run(args.count))


if __name__ == "__main__":
    main()
