"""Latency of a registry `GetDeployment` over the bus, beside a raw nats-py request/reply echo.

Starts nats-server and nx-27017 on free ports (or uses BENCH_NATS_URL / BENCH_MONGO_URL), runs the registry
as its own process (`python -m services.registry`), creates a server and a deployment, then sends N sequential
requests of each kind from one nats-py client and prints p50 / p99 in microseconds and their ratio. The echo
responder runs in its own process too, answering with a body of the same size as the GetDeployment answer.

    .venv/bin/python bench/bus_roundtrip.py [-n 2000]
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

import nats

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._servers import percentile, servers
from contracts.service_users import SYSTEM_USER_ID
from contracts.subjects import STATUS_HEADER
from services.common.auth import load_jwt_signer
from services.common.settings import Settings

ECHO = """
import asyncio, sys, nats
async def main():
    nc = await nats.connect(sys.argv[1])
    size = int(sys.argv[2])
    subject = sys.argv[3] if len(sys.argv) > 3 else "bench.echo"
    body = b"x" * size
    async def reply(msg):
        await msg.respond(body)
    await nc.subscribe(subject, queue="echo", cb=reply)
    await nc.flush()
    print("ready", flush=True)
    await asyncio.Event().wait()
asyncio.run(main())
"""


async def wait_for_registry(nc: nats.NATS, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            await nc.request("komodo.read.ListServers", b"{}", timeout=1)
            return
        except Exception:
            await asyncio.sleep(0.2)
    raise RuntimeError("the registry did not answer within 60 s")


async def measure(
    nc: nats.NATS, subject: str, body: bytes, count: int, headers: dict[str, str]
) -> list[float]:
    for _ in range(min(200, count)):  # warm-up
        await nc.request(subject, body, timeout=5, headers=headers)
    samples: list[float] = []
    for _ in range(count):
        start = time.perf_counter()
        await nc.request(subject, body, timeout=5, headers=headers)
        samples.append((time.perf_counter() - start) * 1e6)
    return samples


async def run(count: int) -> None:
    with servers() as (nats_url, mongo_url):
        data_dir = tempfile.mkdtemp(prefix="varanus-bench-data-")
        # The benchmark acts as the built-in System user, with a JWT signed by the key the registry reads.
        token = load_jwt_signer(Settings(data_dir=Path(data_dir))).issue(SYSTEM_USER_ID)
        creds = {"Authorization": token}
        env = {
            **os.environ,
            "KOMODO_NATS_URL": nats_url,
            "KOMODO_DATABASE_URI": mongo_url,
            "VARANUS_DB_PREFIX": "bench",
            "VARANUS_DATA_DIR": data_dir,
            "KOMODO_LOGGING_LEVEL": "WARNING",
        }
        registry = subprocess.Popen([sys.executable, "-m", "services.registry"], env=env)
        echo = None
        try:
            nc = await nats.connect(nats_url)
            await wait_for_registry(nc, time.monotonic() + 60)
            await nc.request(
                "komodo.write.CreateServer", b'{"name": "bench-server"}', timeout=5, headers=creds
            )
            await nc.request(
                "komodo.write.CreateDeployment",
                b'{"name": "bench-web", "config": {"server": "bench-server", '
                b'"image": {"type": "Image", "params": {"image": "local/busybox:1"}}, "ports": "8080:80"}}',
                timeout=5,
                headers=creds,
            )
            answer = await nc.request(
                "komodo.read.GetDeployment", b'{"deployment": "bench-web"}', timeout=5, headers=creds
            )
            if (answer.headers or {}).get(STATUS_HEADER) != "200":
                raise RuntimeError(f"GetDeployment failed: {answer.data!r}")
            echo = subprocess.Popen(
                [sys.executable, "-c", ECHO, nats_url, str(len(answer.data))], stdout=subprocess.PIPE
            )
            assert echo.stdout is not None
            echo.stdout.readline()
            bus = await measure(nc, "komodo.read.GetDeployment", b'{"deployment": "bench-web"}', count, creds)
            raw = await measure(nc, "bench.echo", b'{"deployment": "bench-web"}', count, creds)
            await nc.close()
        finally:
            for proc in (registry, echo):
                if proc is not None:
                    proc.terminate()
                    proc.wait(10)
    b50, b99 = percentile(bus, 50), percentile(bus, 99)
    r50, r99 = percentile(raw, 50), percentile(raw, 99)
    print(f"requests per case: {count} (sequential, one client), reply size {len(answer.data)} bytes")
    print(f"{'case':<40}{'p50 us':>10}{'p99 us':>10}")
    print(f"{'registry GetDeployment over the bus':<40}{b50:>10.0f}{b99:>10.0f}")
    print(f"{'raw nats-py request/reply echo':<40}{r50:>10.0f}{r99:>10.0f}")
    print(f"{'ratio (registry / echo)':<40}{b50 / r50:>10.1f}{b99 / r99:>10.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", "--count", type=int, default=2000, help="requests per case (default 2000)")
    args = parser.parse_args()
    asyncio.run(run(args.count))


if __name__ == "__main__":
    main()
