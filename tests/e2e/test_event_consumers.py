"""Delivered events at work: the registry's changes are published after its relay was stopped, and the executor
forgets what it kept about deployments, stacks and servers the registry deletes (a durable consumer of
`ResourceChanged`), and nothing else."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time

import nats
from nats.js.api import ConsumerConfig, DeliverPolicy

from contracts.events.resource import ResourceChanged
from services.common.outbox import Publisher
from services.executor.app import Executor
from services.registry.app import Registry
from tests.e2e.conftest import BusClient


async def test_the_executor_forgets_what_it_kept_about_deleted_resources(
    client: BusClient, executor: Executor
) -> None:
    server = await client.write("CreateServer", {"name": "doomed-server"})
    gone = await client.write("CreateDeployment", {"name": "doomed"})
    kept = await client.write("CreateDeployment", {"name": "kept"})
    stack = await client.write("CreateStack", {"name": "doomed-stack"})
    server_id, gone_id, kept_id, stack_id = (r["_id"]["$oid"] for r in (server, gone, kept, stack))
    db = executor.db
    await db["ImageUpdate"].insert_many([{"_id": gone_id}, {"_id": kept_id}])
    await db["StackImageUpdate"].insert_one({"_id": stack_id})
    await db["Stats"].insert_many([{"sid": server_id, "ts": 1}, {"sid": server_id, "ts": 2}])

    await client.write("DeleteDeployment", {"id": "doomed"})
    await client.write("DeleteStack", {"id": "doomed-stack"})
    await client.write("DeleteServer", {"id": "doomed-server"})

    async def forgotten() -> bool:
        return (
            await db["ImageUpdate"].count_documents({"_id": gone_id}) == 0
            and await db["StackImageUpdate"].count_documents({}) == 0
            and await db["Stats"].count_documents({"sid": server_id}) == 0
        )

    deadline = time.monotonic() + 20
    while not await forgotten():
        assert time.monotonic() < deadline, "the executor did not forget the deleted resources"
        await asyncio.sleep(0.1)
    assert await db["ImageUpdate"].count_documents({"_id": kept_id}) == 1  # a kept deployment's check stays
    assert await db["HandledEvent"].count_documents({}) >= 3


async def test_changes_written_while_the_relay_is_stopped_are_published_when_it_starts(
    client: BusClient, registry: Registry, nats_url: str
) -> None:
    outbox = registry.bus.outbox
    assert outbox is not None
    await outbox.stop()
    await client.write("CreateDeployment", {"name": "quiet"})
    await client.write("UpdateDeployment", {"id": "quiet", "config": {"command": "sleep 1"}})
    await client.write("RenameDeployment", {"id": "quiet", "name": "quieter"})
    await client.write("CreateDeployment", {"name": "short-lived"})
    await client.write("DeleteDeployment", {"id": "short-lived"})
    coll = registry.db["Deployment"]
    # The events ride in the document's writes; the delete's, and the creation the deleted document still carried,
    # are in the Outbox collection. Nothing is published yet.
    assert (await coll.find_one({"name": "quieter"}) or {}).get("_outbox_n") == 3
    assert await registry.db["Outbox"].count_documents({}) == 2

    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        sub = await js.subscribe(
            ResourceChanged.SUBJECT,
            ordered_consumer=True,
            config=ConsumerConfig(deliver_policy=DeliverPolicy.NEW),
        )
        outbox.start(Publisher(lambda: registry.bus.js))
        seen: list[tuple[str, str]] = []
        deadline = time.monotonic() + 20
        while len(seen) < 5:
            assert time.monotonic() < deadline, f"events seen: {seen}"
            with contextlib.suppress(nats.errors.TimeoutError):
                msg = await sub.next_msg(timeout=1)
                body = json.loads(msg.data)
                seen.append((body["change"], body["name"]))
        assert sorted(seen) == sorted(
            [
                ("Created", "quiet"),
                ("Updated", "quiet"),
                ("Renamed", "quieter"),
                ("Created", "short-lived"),
                ("Deleted", "short-lived"),
            ]
        )
        with contextlib.suppress(nats.errors.TimeoutError):  # nothing more: each was published once
            extra = await sub.next_msg(timeout=1)
            raise AssertionError(f"published twice: {extra.data!r}")
        await sub.unsubscribe()
    finally:
        await nc.close()
    assert (await coll.find_one({"name": "quieter"}) or {}).get("_outbox_n") == 0
    assert await registry.db["Outbox"].count_documents({}) == 0
