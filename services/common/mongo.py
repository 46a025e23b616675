"""MongoDB through pymongo's AsyncMongoClient; each service owns the database `<prefix>_<service>`.

Queries stay in the subset that works on both real MongoDB and the embedded nx-27017: no `$not`, no regex
values (only `{"$regex": ...}`), no pipeline updates, no `$setOnInsert` in find_one_and_update.
"""

from __future__ import annotations

from typing import Any, Final

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from services.common.settings import Settings

Document = dict[str, Any]


def connect(settings: Settings) -> AsyncMongoClient[Document]:
    """A client for the configured MongoDB (connections are made lazily, on first use)."""
    return AsyncMongoClient(
        settings.mongo_uri(),
        appname=settings.database_app_name,
        tz_aware=False,
        serverSelectionTimeoutMS=10_000,
    )


def service_database(
    client: AsyncMongoClient[Document], settings: Settings, service: str
) -> AsyncDatabase[Document]:
    """The database `service` owns."""
    return client[settings.database_name(service)]


DUPLICATE_KEY: Final = 11000
"""MongoDB's error code for an insert whose `_id` (or other unique key) is already stored."""


def only_duplicates(err: BulkWriteError) -> bool:
    """Whether an unordered `insert_many` failed only on documents already stored (the rest were written)."""
    details = err.details
    return not details.get("writeConcernErrors") and all(
        e.get("code") == DUPLICATE_KEY for e in details.get("writeErrors", [])
    )
