"""The registry's kept reads on a real nats-server: a crowd asking the same thing while it is being read shares
one load, and a read that starts after a write never shares a load that began before it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import nats
import pytest

from services.registry.read_cache import ReadCache


class Store:
    """A value behind a load whose start and end the test controls; counts the loads."""

    def __init__(self) -> None:
        self.value = "old"
        self.loads = 0
        self.release = asyncio.Event()

    async def load(self) -> str:
        self.loads += 1
        seen = self.value  # read at the start, as a database read would
        await self.release.wait()
        return seen


@pytest.fixture
async def cache(nats_url: str) -> AsyncIterator[ReadCache]:
    nc = await nats.connect(nats_url)
    kept = ReadCache()
    await kept.watch(nc)
    try:
        yield kept
    finally:
        await kept.stop()
        await nc.close()


async def test_a_crowd_shares_one_load_and_keeps_its_answer(cache: ReadCache) -> None:
    store = Store()
    crowd = [asyncio.create_task(cache.read("Deployment", "web", store.load)) for _ in range(50)]
    await asyncio.sleep(0.05)
    store.release.set()
    assert await asyncio.gather(*crowd) == ["old"] * 50
    assert store.loads == 1 and cache.joined == 49
    assert await cache.read("Deployment", "web", store.load) == "old" and store.loads == 1


async def test_a_read_after_a_write_does_not_share_a_load_from_before_it(cache: ReadCache) -> None:
    store = Store()
    early = asyncio.create_task(cache.read("Deployment", "web", store.load))
    await asyncio.sleep(0.05)
    store.value = "new"
    await cache.wrote("Deployment")
    late = asyncio.create_task(cache.read("Deployment", "web", store.load))
    await asyncio.sleep(0.05)
    store.release.set()
    assert await early == "old"  # it started before the write: either answer is right for it
    assert await late == "new"
    assert store.loads == 2 and cache.joined == 0
    # Only the later one is kept: the next read answers "new" from memory.
    assert await cache.read("Deployment", "web", store.load) == "new" and store.loads == 2


async def test_what_is_derived_from_a_collection_goes_with_it(cache: ReadCache) -> None:
    """A list page built from servers' names is dropped when a server is written, here or on another replica,
    and one built while such a write happened is not kept."""
    cache.depends("built.Deployment", {"Deployment", "Server"})
    store = Store()
    store.release.set()
    assert await cache.read("built.Deployment", "page", store.load) == "old"
    assert await cache.read("built.Deployment", "page", store.load) == "old" and store.loads == 1
    await cache.wrote("Tag")  # the positive control: a collection it was not made of
    assert await cache.read("built.Deployment", "page", store.load) == "old" and store.loads == 1
    store.value = "renamed"
    await cache.wrote("Server")
    assert await cache.read("built.Deployment", "page", store.load) == "renamed" and store.loads == 2
    store.value = "again"
    cache.drop("Server")  # as another replica's notice does
    assert await cache.read("built.Deployment", "page", store.load) == "again" and store.loads == 3

    store.release.clear()
    cache.drop("built.Deployment")
    building = asyncio.create_task(cache.read("built.Deployment", "page", store.load))
    await asyncio.sleep(0.05)
    cache.drop("Deployment")
    store.release.set()
    assert await building == "again"
    assert cache.held("built.Deployment") == 0, "a page built across a write of its source was kept"
