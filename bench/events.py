"""What delivered events cost: a registry write with its event in the outbox, and the lag to a durable consumer.

Starts nats-server and nx-27017 on free ports (or uses BENCH_NATS_URL / BENCH_MONGO_URL) and the registry as its
own process, creates a deployment, then measures from one nats-py client:

- `UpdateDeployment` over the bus (its `ResourceChanged` rides in the document's write, the relay publishes it),
  N sequential requests, p50 / p99;
- the peers, in this process on the same Mongo and NATS: a plain `update_one`, the same `update_one` carrying an
  outbox entry, and a plain `update_one` followed by an inline `js.publish` (what the registry did before the
  outbox: write, then publish, failures lost);
- event lag: M further `UpdateDeployment`s, one at a time, each timed from sending the request until a durable
  consumer (`services.common.consumer.Consumer`, in this process) has handled its event.

    .venv/bin/python bench/events.py [-n 1000] [-m 200]

The registry runs from the current directory (`python -m services.registry`): run the script from a checkout
without the outbox (e.g. `git archive` of an older commit, with this repository's .venv) to compare.
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
from faststream.nats import NatsBroker
from pymongo import AsyncMongoClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._servers import percentile, servers
from bench.bus_roundtrip import wait_for_registry
from contracts.events.base import Event
from contracts.events.resource import ResourceChange, ResourceChanged
from contracts.service_users import SYSTEM_USER_ID
from contracts.subjects import EVENTS_STREAM, STATUS_HEADER
from services.common.auth import load_jwt_signer
from services.common.consumer import Consumer, ensure_deadletter_stream
from services.common.mongo import Document
from services.common.outbox import with_event
from services.common.settings import Settings


def timed_row(name: str, samples: list[float]) -> str:
    return f"{name:<52}{percentile(samples, 50):>10.0f}{percentile(samples, 99):>10.0f}"


async def run(count: int, lag_count: int) -> None:
    with servers() as (nats_url, mongo_url):
        data_dir = tempfile.mkdtemp(prefix="varanus-bench-data-")
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
        mongo: AsyncMongoClient[Document] = AsyncMongoClient(mongo_url)
        try:
            nc = await nats.connect(nats_url)
            js = nc.jetstream()
            await wait_for_registry(nc, time.monotonic() + 60)
            await nc.request(
                "komodo.write.CreateDeployment", b'{"name": "bench-web"}', timeout=5, headers=creds
            )

            async def update(i: int) -> None:
                body = json.dumps({"id": "bench-web", "config": {"command": f"run {i}"}}).encode()
                answer = await nc.request("komodo.write.UpdateDeployment", body, timeout=5, headers=creds)
                if (answer.headers or {}).get(STATUS_HEADER) != "200":
                    raise RuntimeError(f"UpdateDeployment failed: {answer.data!r}")

            async def timed(step: object, n: int) -> list[float]:
                samples = []
                for i in range(n):
                    start = time.perf_counter()
                    await step(i)  # type: ignore[operator]
                    samples.append((time.perf_counter() - start) * 1e6)
                    # Untimed: empty the peer's outbox, as the relay would, so the document does not grow.
                    await scratch.update_one(
                        {"_id": 1}, {"$unset": {"_outbox": ""}, "$set": {"_outbox_n": 0}}
                    )
                return samples

            scratch = mongo["bench_peer"]["Thing"]
            await scratch.insert_one({"_id": 1, "v": 0})
            for i in range(min(100, count)):  # warm-up
                await update(i)
            over_bus = await timed(update, count)

            async def plain(i: int) -> None:
                await scratch.update_one({"_id": 1}, {"$set": {"v": i}, "$inc": {"_rev": 1}})

            async def with_outbox(i: int) -> None:
                event = ResourceChanged(change=ResourceChange.Updated, name="peer")
                await scratch.update_one(
                    {"_id": 1}, with_event({"$set": {"v": i}, "$inc": {"_rev": 1}}, event)
                )

            async def then_publish(i: int) -> None:
                await scratch.update_one({"_id": 1}, {"$set": {"v": i}, "$inc": {"_rev": 1}})
                event = ResourceChanged(change=ResourceChange.Updated, name="peer")
                await js.publish(
                    event.SUBJECT,
                    event.model_dump_json().encode(),
                    headers={"Nats-Msg-Id": event.id},
                    stream=EVENTS_STREAM,
                )

            peers = {
                name: await timed(step, count)
                for name, step in (
                    ("update_one", plain),
                    ("update_one carrying an outbox entry", with_outbox),
                    ("update_one, then js.publish (no outbox)", then_publish),
                )
            }

            # Event lag: a durable consumer in this process, fed by the registry's relay.
            seen: asyncio.Queue[float] = asyncio.Queue()

            async def handle(event: Event) -> None:
                if isinstance(event, ResourceChanged) and event.name == "bench-web":
                    seen.put_nowait(time.perf_counter())

            await ensure_deadletter_stream(js)
            broker = NatsBroker(nats_url, logger=None)
            Consumer("bench-lag", ResourceChanged.SUBJECT, handle, mongo["bench_lag"]).register(broker)
            await broker.start()
            lags: list[float] = []
            try:
                await asyncio.sleep(0.5)
                for i in range(lag_count):
                    start = time.perf_counter()
                    await update(count + 1000 + i)
                    handled = await asyncio.wait_for(seen.get(), 10)
                    lags.append((handled - start) * 1e6)
            finally:
                await broker.stop()
            await nc.close()
        finally:
            registry.terminate()
            registry.wait(10)
            await mongo.close()
    print(f"writes per case: {count} (sequential, one client); lag samples: {lag_count}")
    print(f"{'case':<52}{'p50 us':>10}{'p99 us':>10}")
    print(timed_row("registry UpdateDeployment over the bus", over_bus))
    for name, samples in peers.items():
        print(timed_row(f"peer: {name}", samples))
    print(timed_row("lag: UpdateDeployment sent -> consumer handled", lags))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", "--count", type=int, default=1000, help="writes per case (default 1000)")
    parser.add_argument("-m", "--lag", type=int, default=200, help="event lag samples (default 200)")
    args = parser.parse_args()
    asyncio.run(run(args.count, args.lag))


if __name__ == "__main__":
    main()
