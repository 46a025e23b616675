"""Image update results per deployment and per stack service, and the registry digests recently seen per image.

Both live in the executor's database, so every replica shows the same `update_available` in ListDeployments
and a digest asked by one replica saves the others a registry request.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from pymongo.asynchronous.database import AsyncDatabase

from services.common.mongo import Document

DIGEST_CACHE_SECONDS: Final = 600.0
"""How long a registry digest is reused by polls (Komodo caches them for 10 minutes too)."""


def now_ms() -> int:
    """Unix time in milliseconds."""
    return int(time.time() * 1000)


@dataclass(frozen=True)
class UpdateRecord:
    """The last check of one deployment."""

    deployment_id: str
    """The deployment checked."""
    update_available: bool
    """Whether the registry's image under the tag differs from the one the container runs."""
    image: str = ""
    """The image reference that was checked."""
    latest_digest: str = ""
    """The digest the tag had in the registry then."""
    running_image_id: str = ""
    """The id of the image the container ran then (a redeploy with another image makes the record stale)."""
    checked_ts: int = 0
    """When the check ran (unix ms)."""

    def to_document(self) -> Document:
        """The record as stored (`_id` is the deployment id)."""
        return {
            "_id": self.deployment_id,
            "update_available": self.update_available,
            "image": self.image,
            "latest_digest": self.latest_digest,
            "running_image_id": self.running_image_id,
            "checked_ts": self.checked_ts,
        }

    @classmethod
    def from_document(cls, doc: Document) -> UpdateRecord:
        """A stored record."""
        return cls(
            deployment_id=str(doc["_id"]),
            update_available=bool(doc.get("update_available")),
            image=str(doc.get("image", "")),
            latest_digest=str(doc.get("latest_digest", "")),
            running_image_id=str(doc.get("running_image_id", "")),
            checked_ts=int(doc.get("checked_ts", 0)),
        )

    def shows_update(self, running_image_id: str | None) -> bool:
        """Whether a list should show an update, given the image the container runs now (None: not known).

        A container redeployed since the check runs another image, and the result no longer applies to it.
        """
        if not self.update_available:
            return False
        return (
            running_image_id is None or not self.running_image_id or running_image_id == self.running_image_id
        )


@dataclass(frozen=True)
class ServiceUpdate:
    """The last check of one service of a stack."""

    service: str
    """The compose service."""
    image: str
    """The image reference of the service."""
    update_available: bool
    """Whether the registry's image under the tag differs from the one the service's container runs."""
    latest_digest: str = ""
    """The digest the tag had in the registry then ("" when the service was not compared)."""
    running_image_id: str = ""
    """The id of the image the container ran then."""

    def shows_update(self, running_image_id: str | None) -> bool:
        """Whether a list should show an update, given the image the container runs now (None: not known)."""
        return self.update_available and (
            running_image_id is None or not self.running_image_id or running_image_id == self.running_image_id
        )


@dataclass(frozen=True)
class StackUpdateRecord:
    """The last check of one stack: a result per service."""

    stack_id: str
    """The stack checked."""
    services: tuple[ServiceUpdate, ...]
    """Each service's result, in the stack's order."""
    checked_ts: int = 0
    """When the check ran (unix ms)."""

    def to_document(self) -> Document:
        """The record as stored (`_id` is the stack id)."""
        return {
            "_id": self.stack_id,
            "services": [
                {
                    "service": s.service,
                    "image": s.image,
                    "update_available": s.update_available,
                    "latest_digest": s.latest_digest,
                    "running_image_id": s.running_image_id,
                }
                for s in self.services
            ],
            "checked_ts": self.checked_ts,
        }

    @classmethod
    def from_document(cls, doc: Document) -> StackUpdateRecord:
        """A stored record."""
        return cls(
            stack_id=str(doc["_id"]),
            services=tuple(
                ServiceUpdate(
                    service=str(s.get("service", "")),
                    image=str(s.get("image", "")),
                    update_available=bool(s.get("update_available")),
                    latest_digest=str(s.get("latest_digest", "")),
                    running_image_id=str(s.get("running_image_id", "")),
                )
                for s in doc.get("services") or []
            ),
            checked_ts=int(doc.get("checked_ts", 0)),
        )

    def updated(self) -> list[ServiceUpdate]:
        """The services with an update available."""
        return [s for s in self.services if s.update_available]


@dataclass(frozen=True)
class FollowUp:
    """An auto update's redeploy whose outcome is still to be announced (`*AutoUpdated`) and checked again.

    Kept in the database while the redeploy runs, so that when the replica that started it dies, the next poll
    (on whichever replica) finishes the job once the Update is complete."""

    update_id: str
    """The redeploy's Update."""
    kind: str
    """`Deployment` or `Stack`."""
    resource_id: str
    """The deployment or stack."""
    latest_digest: str = ""
    """A deployment's digest the redeploy is for."""
    services: tuple[str, ...] = ()
    """A stack's services redeployed (empty: all)."""
    images: tuple[str, ...] = ()
    """A stack's images with updates."""
    checked_ts: int = 0
    """When the check that started it ran (unix ms)."""

    def to_document(self) -> Document:
        """The follow-up as stored (`_id` is the Update id)."""
        return {
            "_id": self.update_id,
            "kind": self.kind,
            "resource_id": self.resource_id,
            "latest_digest": self.latest_digest,
            "services": list(self.services),
            "images": list(self.images),
            "checked_ts": self.checked_ts,
        }

    @classmethod
    def from_document(cls, doc: Document) -> FollowUp:
        """A stored follow-up."""
        return cls(
            update_id=str(doc["_id"]),
            kind=str(doc.get("kind", "")),
            resource_id=str(doc.get("resource_id", "")),
            latest_digest=str(doc.get("latest_digest", "")),
            services=tuple(str(s) for s in doc.get("services") or []),
            images=tuple(str(i) for i in doc.get("images") or []),
            checked_ts=int(doc.get("checked_ts", 0)),
        )


class UpdateStore:
    """The `ImageUpdate` (deployments) and `StackImageUpdate` results and the `ImageDigest` cache."""

    def __init__(self, db: AsyncDatabase[Document], on_change: Callable[[], None] = lambda: None) -> None:
        self.on_change = on_change
        """Called after a check's result is kept or cleared (lists show it as `update_available`)."""
        self.results = db["ImageUpdate"]
        self.stack_results = db["StackImageUpdate"]
        self.digests = db["ImageDigest"]
        self.follow_ups = db["AutoUpdateFollowUp"]

    async def add_follow_up(self, follow_up: FollowUp) -> None:
        """Remember a redeploy to announce."""
        await self.follow_ups.replace_one({"_id": follow_up.update_id}, follow_up.to_document(), upsert=True)

    async def pending_follow_ups(self) -> list[FollowUp]:
        """The redeploys not announced yet, oldest first."""
        return [FollowUp.from_document(doc) async for doc in self.follow_ups.find({}).sort("checked_ts", 1)]

    async def drop_follow_up(self, update_id: str) -> None:
        """Forget a redeploy once announced."""
        await self.follow_ups.delete_one({"_id": update_id})

    async def get_stack(self, stack_id: str) -> StackUpdateRecord | None:
        """The last check of a stack, if any."""
        doc = await self.stack_results.find_one({"_id": stack_id})
        return StackUpdateRecord.from_document(doc) if doc is not None else None

    async def get_stacks(self, stack_ids: list[str]) -> dict[str, StackUpdateRecord]:
        """The last checks of these stacks, by id (those never checked are missing)."""
        if not stack_ids:
            return {}
        return {
            str(doc["_id"]): StackUpdateRecord.from_document(doc)
            async for doc in self.stack_results.find({"_id": {"$in": stack_ids}})
        }

    async def save_stack(self, record: StackUpdateRecord) -> None:
        """Keep a stack check's result (replacing the previous one)."""
        try:
            await self.stack_results.replace_one({"_id": record.stack_id}, record.to_document(), upsert=True)
        finally:
            self.on_change()

    async def get(self, deployment_id: str) -> UpdateRecord | None:
        """The last check of a deployment, if any."""
        doc = await self.results.find_one({"_id": deployment_id})
        return UpdateRecord.from_document(doc) if doc is not None else None

    async def get_many(self, deployment_ids: list[str]) -> dict[str, UpdateRecord]:
        """The last checks of these deployments, by id (those never checked are missing)."""
        if not deployment_ids:
            return {}
        found: dict[str, UpdateRecord] = {}
        async for doc in self.results.find({"_id": {"$in": deployment_ids}}):
            record = UpdateRecord.from_document(doc)
            found[record.deployment_id] = record
        return found

    async def save(self, record: UpdateRecord) -> None:
        """Keep a check's result (replacing the previous one)."""
        try:
            await self.results.replace_one({"_id": record.deployment_id}, record.to_document(), upsert=True)
        finally:
            self.on_change()

    async def clear(self, deployment_id: str) -> None:
        """Forget a deployment's result (its container is gone or stopped: nothing to compare with)."""
        try:
            await self.results.delete_one({"_id": deployment_id})
        finally:
            self.on_change()

    async def cached_digest(self, key: str, max_age_seconds: float) -> str | None:
        """The digest seen for an image key within `max_age_seconds`, or None."""
        if max_age_seconds <= 0:
            return None
        doc = await self.digests.find_one(
            {"_id": key, "ts": {"$gte": now_ms() - int(max_age_seconds * 1000)}}
        )
        return str(doc["digest"]) if doc is not None else None

    async def remember_digest(self, key: str, digest: str) -> None:
        """Keep the digest just read from the registry for an image key."""
        await self.digests.replace_one(
            {"_id": key}, {"_id": key, "digest": digest, "ts": now_ms()}, upsert=True
        )
