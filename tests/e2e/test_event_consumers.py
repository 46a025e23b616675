"""Durable consumers at work: the executor forgets what it kept about deployments, stacks and servers the registry
deletes (reacting to `ResourceChanged`), and nothing else."""

from __future__ import annotations

import asyncio
import time

from services.executor.app import Executor
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
