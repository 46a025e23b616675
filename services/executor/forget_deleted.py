"""Forgetting what the executor keeps about a deployment, stack, server or action once the registry deletes it.

The executor's database keeps, per resource, the last image-update check of each deployment (`ImageUpdate`) and
stack (`StackImageUpdate`), the stats history of each server (`Stats`, otherwise kept for
`keep_stats_for_days`), and the latest run of each action (`ActionLastRun`). Nothing reads them after the resource is deleted, so the durable consumer
`executor-forget-deleted` removes them when the registry's `ResourceChanged` says `Deleted`. Deleting is
idempotent, as a consumer's handler must be.
"""

from __future__ import annotations

import logging
from typing import Final

from pymongo.asynchronous.database import AsyncDatabase

from contracts.entities.common import ResourceTargetVariant
from contracts.events.base import Event
from contracts.events.resource import ResourceChange, ResourceChanged
from services.common.consumer import Consumer
from services.common.mongo import Document

log = logging.getLogger(__name__)

CONSUMER: Final = "executor-forget-deleted"
"""The durable name of the consumer (shared by every executor replica)."""


async def forget(db: AsyncDatabase[Document], event: Event) -> int:
    """Delete what is kept about the resource a `ResourceChanged` deletion is about; answers how many
    documents went. Any other event is ignored."""
    if (
        not isinstance(event, ResourceChanged)
        or event.change != ResourceChange.Deleted
        or event.resource is None
    ):
        return 0
    resource_id = event.resource.id
    variant = event.resource.type
    if variant == ResourceTargetVariant.Deployment:
        removed = (await db["ImageUpdate"].delete_many({"_id": resource_id})).deleted_count
    elif variant == ResourceTargetVariant.Stack:
        removed = (await db["StackImageUpdate"].delete_many({"_id": resource_id})).deleted_count
    elif variant == ResourceTargetVariant.Action:
        removed = (await db["ActionLastRun"].delete_many({"_id": resource_id})).deleted_count
    elif variant == ResourceTargetVariant.Server:
        removed = (await db["Stats"].delete_many({"sid": resource_id})).deleted_count
    else:
        return 0
    if removed:
        log.info("forgot %d record(s) of deleted %s %s", removed, variant.value, resource_id)
    return removed


def forget_deleted(db: AsyncDatabase[Document]) -> Consumer:
    """The consumer that runs `forget` on each `ResourceChanged`."""

    async def handle(event: Event) -> None:
        await forget(db, event)

    return Consumer(CONSUMER, ResourceChanged.SUBJECT, handle, db)
