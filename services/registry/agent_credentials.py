"""Agent credentials: the token a host's agent connects to NATS with, stored only as a hash.

The auth callout lets `agent:<server_id>` in when the token matches and the server exists and is enabled, so
deleting or disabling a server shuts its agent out at its next connect.
"""

from __future__ import annotations

import asyncio
import secrets
from functools import cache

from bson import ObjectId
from pymongo.asynchronous.database import AsyncDatabase

from contracts.api.internal.agent import AgentCredential
from services.common.auth import hash_secret, verify_secret
from services.common.errors import Unauthorized
from services.common.mongo import Document
from services.registry.updates import now_ms


@cache
def _dummy_hash() -> str:
    return hash_secret("no such agent")


class AgentCredentialStore:
    """One credential per server, in the registry's database."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.coll = db["AgentCredential"]
        self.servers = db["Server"]

    async def issue(self, server_id: str) -> AgentCredential:
        """A new token for the server's agent (replacing any earlier one)."""
        token = f"A_{secrets.token_urlsafe(30)}_A"
        hashed = await asyncio.to_thread(hash_secret, token)
        await self.coll.update_one(
            {"_id": server_id}, {"$set": {"hash": hashed, "created_at": now_ms()}}, upsert=True
        )
        return AgentCredential(server_id=server_id, token=token)

    async def verify(self, server_id: str, token: str) -> None:
        """Nothing when the token is the server's and the server is enabled; Unauthorized saying why otherwise."""
        doc = await self.coll.find_one({"_id": server_id})
        stored = str(doc["hash"]) if doc else _dummy_hash()
        ok = await asyncio.to_thread(verify_secret, token, stored)
        if doc is None or not ok:
            raise Unauthorized(f"invalid agent credential for server {server_id!r}")
        server = (
            await self.servers.find_one({"_id": ObjectId(server_id)})
            if ObjectId.is_valid(server_id)
            else None
        )
        if server is None:
            raise Unauthorized(f"server {server_id!r} no longer exists")
        if not (server.get("config") or {}).get("enabled"):
            raise Unauthorized(f"server {server.get('name')!r} is disabled")

    async def forget(self, server_id: str) -> None:
        """Drop the credential of a deleted server."""
        await self.coll.delete_one({"_id": server_id})
