"""Onboarding keys: what a new host's agent presents to create or claim its Server.

The private key (`O_<28 random characters>_O`) is shown once, when the key is created; only the public key, a
SHA-256 digest of it, is stored, so a leaked database does not let anyone onboard a host.
"""

from __future__ import annotations

import secrets
import string
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from contracts.entities.onboarding_key import CreateOnboardingKeyResponse, OnboardingKey
from services.common.errors import BadRequest, Conflict, NotFound, Unauthorized
from services.common.mongo import Document
from services.common.nats_auth import public_key_of
from services.registry.documents import set_changed
from services.registry.updates import now_ms

ALPHABET = string.ascii_letters + string.digits


def new_private_key() -> str:
    """A fresh onboarding private key in Komodo's format."""
    return "O_" + "".join(secrets.choice(ALPHABET) for _ in range(28)) + "_O"


class OnboardingKeyStore:
    """Onboarding keys in the registry's database (public keys only)."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.coll = db["OnboardingKey"]

    async def ensure_indexes(self) -> None:
        """Unique public keys."""
        await self.coll.create_index([("public_key", ASCENDING)], unique=True)

    async def create(self, fields: dict[str, Any], private_key: str | None) -> CreateOnboardingKeyResponse:
        """Store a new, enabled key; answers the private key once."""
        if private_key is not None and len(private_key) < 16:
            raise BadRequest("private_key must be at least 16 characters long")
        private = private_key or new_private_key()
        key = OnboardingKey.model_validate(
            {**fields, "public_key": public_key_of(private), "enabled": True, "created_at": now_ms()}
        )
        try:
            await self.coll.insert_one(key.model_dump(mode="json"))
        except DuplicateKeyError:
            raise Conflict("an onboarding key with this private key already exists") from None
        return CreateOnboardingKeyResponse(private_key=private, created=key)

    async def get(self, public_key: str) -> OnboardingKey:
        """The key with that public key, or a 404."""
        doc = await self.coll.find_one({"public_key": public_key})
        if doc is None:
            raise NotFound(f"no onboarding key with public key {public_key!r}")
        return OnboardingKey.model_validate(doc)

    async def update(self, public_key: str, changes: dict[str, Any]) -> OnboardingKey:
        """Change some fields of a key."""
        seen: list[OnboardingKey] = []

        async def changes_of(doc: Document) -> dict[str, Any]:
            seen.clear()
            current = OnboardingKey.model_validate(doc)
            seen.append(OnboardingKey.model_validate({**current.model_dump(mode="json"), **changes}))
            stored = seen[0].model_dump(mode="json")
            return {k: stored[k] for k in changes if k in stored}

        await set_changed(
            self.coll,
            {"public_key": public_key},
            changes_of,
            f"onboarding key with public key {public_key!r}",
        )
        return seen[0]

    async def delete(self, public_key: str) -> OnboardingKey:
        """Remove a key."""
        current = await self.get(public_key)
        await self.coll.delete_one({"public_key": public_key})
        return current

    async def usable(self, private_key: str) -> OnboardingKey:
        """The enabled, unexpired key of a private key; Unauthorized (never naming which check failed first)."""
        doc = await self.coll.find_one({"public_key": public_key_of(private_key)})
        if doc is None:
            raise Unauthorized("invalid onboarding key")
        key = OnboardingKey.model_validate(doc)
        check_usable(key)
        return key

    async def claim_once(self, public_key: str) -> None:
        """Spend a single-use key: disable it if it is still enabled; Unauthorized when another onboarding got
        it first (the conditional update lets only one of two at once through)."""
        spent = await self.coll.update_one(
            {"public_key": public_key, "enabled": True}, {"$set": {"enabled": False}}
        )
        if spent.modified_count != 1:
            raise Unauthorized("invalid onboarding key")

    async def record_onboarded(self, public_key: str, server_id: str) -> None:
        """Remember that a key onboarded a server."""
        current = await self.get(public_key)
        onboarded = list(dict.fromkeys([*current.onboarded, server_id]))
        await self.coll.update_one({"public_key": public_key}, {"$set": {"onboarded": onboarded}})

    async def list_keys(self) -> list[OnboardingKey]:
        """Every key, newest first."""
        cursor = self.coll.find({}).sort("created_at", -1)
        return [OnboardingKey.model_validate(doc) async for doc in cursor]


def check_usable(key: OnboardingKey) -> None:
    """Nothing when the key may onboard now; Unauthorized saying why not otherwise."""
    if not key.enabled:
        raise Unauthorized(f"onboarding key {key.name!r} is disabled")
    if key.expires and key.expires < now_ms():
        raise Unauthorized(f"onboarding key {key.name!r} has expired")
