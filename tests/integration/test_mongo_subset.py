"""The Mongo operations Varanus relies on behave the same on the embedded nx-27017 and on real MongoDB.

Run against real MongoDB with `--mongo-url mongodb://...`; by default it runs against nx-27017. Each case is
an operation the services use; the two known nx-27017 gaps they avoid are checked to stay avoided.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from services.common.mongo import Document
from services.registry.resources import terms_pattern


@pytest.fixture
async def db(mongo_url: str, db_prefix: str) -> AsyncIterator[AsyncDatabase[Document]]:
    client: AsyncMongoClient[Document] = AsyncMongoClient(mongo_url)
    try:
        yield client[f"{db_prefix}_subset"]
    finally:
        await client.drop_database(f"{db_prefix}_subset")
        await client.close()


async def test_unique_name_index(db: AsyncDatabase[Document]) -> None:
    await db["Server"].create_index("name", unique=True)
    await db["Server"].insert_one({"name": "a"})
    with pytest.raises(DuplicateKeyError):
        await db["Server"].insert_one({"name": "a"})


async def test_compare_and_set_on_array_size(db: AsyncDatabase[Document]) -> None:
    coll = db["Updates"]
    await coll.insert_one({"_id": 1, "logs": [], "status": "InProgress"})
    first = await coll.update_one({"_id": 1, "logs": {"$size": 0}}, {"$set": {"logs": [{"stage": "a"}]}})
    stale = await coll.update_one({"_id": 1, "logs": {"$size": 0}}, {"$set": {"logs": [{"stage": "b"}]}})
    assert (first.matched_count, stale.matched_count) == (1, 0)
    doc = await coll.find_one({"_id": 1})
    assert doc is not None and doc["logs"] == [{"stage": "a"}]


async def test_pull_and_all_and_in_on_string_arrays(db: AsyncDatabase[Document]) -> None:
    coll = db["Deployment"]
    await coll.insert_many(
        [{"name": "a", "tags": ["t1", "t2"]}, {"name": "b", "tags": ["t2"]}, {"name": "c", "tags": []}]
    )
    assert [d["name"] async for d in coll.find({"tags": {"$all": ["t1", "t2"]}})] == ["a"]
    assert sorted([d["name"] async for d in coll.find({"tags": {"$in": ["t1", "t2"]}})]) == ["a", "b"]
    await coll.update_many({"tags": "t2"}, {"$pull": {"tags": "t2"}})
    assert [d["tags"] async for d in coll.find({}).sort("name", 1)] == [["t1"], [], []]


async def test_case_insensitive_regex_operator(db: AsyncDatabase[Document]) -> None:
    coll = db["Stack"]
    await coll.insert_many([{"name": "Web-EU"}, {"name": "api"}])
    found = [d["name"] async for d in coll.find({"name": {"$regex": "web", "$options": "i"}})]
    assert found == ["Web-EU"]


async def test_sort_skip_limit_and_projection(db: AsyncDatabase[Document]) -> None:
    coll = db["Updates"]
    await coll.insert_many([{"start_ts": i, "logs": [{"stage": str(i)}]} for i in range(7)])
    page = await coll.find({}, {"logs": 0}).sort("start_ts", -1).skip(2).limit(3).to_list(None)
    assert [d["start_ts"] for d in page] == [4, 3, 2]
    assert all("logs" not in d for d in page)


async def test_nested_field_filters_and_update_many(db: AsyncDatabase[Document]) -> None:
    coll = db["Deployment"]
    await coll.insert_many([{"config": {"server_id": "s1"}}, {"config": {"server_id": "s2"}}])
    result = await coll.update_many({"config.server_id": "s1"}, {"$set": {"config.server_id": ""}})
    assert result.modified_count == 1
    assert await coll.count_documents({"config.server_id": ""}) == 1


async def test_inline_case_flag_regex_and_lookaheads_for_search_terms(db: AsyncDatabase[Document]) -> None:
    """List searches send one pattern with `(?i)` inline (several terms as lookaheads), which nx-27017 runs in SQL."""
    coll = db["Server"]
    await coll.insert_many([{"name": n} for n in ("Web-EU", "web-us", "db-eu", "api.eu")])

    async def names(terms: list[str]) -> list[str]:
        found = coll.find({"name": {"$regex": terms_pattern(terms)}}).sort("name", 1)
        return [d["name"] async for d in found]

    assert await names(["WEB"]) == ["Web-EU", "web-us"]
    assert await names(["eu", "w"]) == ["Web-EU"]
    assert await names(["."]) == ["api.eu"]  # escaped: a dot is a dot


async def test_group_count_and_max(db: AsyncDatabase[Document]) -> None:
    """The executor's server directory stamp: how many documents and their latest `updated_at`."""
    coll = db["Server"]
    stamp = [{"$group": {"_id": None, "n": {"$sum": 1}, "latest": {"$max": "$updated_at"}}}]
    assert await (await coll.aggregate(stamp)).to_list(None) == []
    await coll.insert_many([{"name": "a", "updated_at": 5}, {"name": "b", "updated_at": 9}])
    found = await (await coll.aggregate(stamp)).to_list(None)
    assert (found[0]["n"], found[0]["latest"]) == (2, 9)
