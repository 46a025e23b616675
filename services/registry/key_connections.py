"""Closing the NATS connections of API keys that no longer admit their client.

nats-server asks the auth callout once, when a client connects, so a client that connected with an API key keeps
its connection after the key is deleted or its user disabled or deleted. Every request it sends is refused at once
anyway (each service checks the `X-Api-Key` headers, see `CredentialsChanged`), but the registry also closes the
connection itself, through NATS's system account (user `sys`): it asks every server for the connections of the
account APP (`$SYS.REQ.SERVER.PING.CONNZ`) and kicks (`$SYS.REQ.SERVER.<id>.KICK`) those that connected
as one of the keys (its NATS user is the key). The client's reconnect then asks the callout again, which refuses it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterable
from typing import Any

import nats
import nats.errors
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg

from services.common.nats_auth import APP_ACCOUNT, SYSTEM_NATS_USER

log = logging.getLogger(__name__)

CONNZ_SUBJECT = "$SYS.REQ.SERVER.PING.CONNZ"
"""Every server of the cluster answers with its connections."""
ANSWERS_WAIT_SECONDS = 2.0
"""How long the servers' answers are collected (each answer's matches are kicked as it arrives)."""


class KeyConnections:
    """Kicks the NATS connections made with given API keys (when connected as NATS's system user)."""

    def __init__(self) -> None:
        self.nc: NatsClient | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def connect(self, urls: list[str], password: str) -> None:
        """Connect as the system user; without it (a NATS configured before it existed) only warn."""
        try:
            self.nc = await nats.connect(
                urls,
                user=SYSTEM_NATS_USER,
                password=password,
                name="varanus-registry-system",
                max_reconnect_attempts=-1,
            )
        except (nats.errors.Error, OSError) as err:
            log.warning(
                "cannot connect as the NATS system user %r (%s): a connection made with an API key that is "
                "deleted stays open until it reconnects (its requests are refused meanwhile)",
                SYSTEM_NATS_USER,
                err,
            )

    async def stop(self) -> None:
        """Let kicks in progress end, and disconnect."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=ANSWERS_WAIT_SECONDS + 1)
        if self.nc is not None:
            await self.nc.close()

    def close(self, keys: Iterable[str]) -> None:
        """Start closing every connection made with one of `keys` (the caller does not wait for it)."""
        wanted = {key for key in keys if key}
        if self.nc is None or not wanted:
            return
        task = asyncio.create_task(self._kick(self.nc, wanted))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _kick(self, nc: NatsClient, keys: set[str]) -> None:
        async def answered(msg: Msg) -> None:
            for server_id, cid in connections_of(msg.data, keys):
                # A request: nats-server answers system requests only when they carry a reply subject.
                kick = f"$SYS.REQ.SERVER.{server_id}.KICK"
                try:
                    await nc.request(kick, json.dumps({"cid": cid}).encode(), timeout=ANSWERS_WAIT_SECONDS)
                except nats.errors.Error as err:
                    log.warning("could not close NATS connection %s on %s: %s", cid, server_id, err)
                    continue
                log.info("closed NATS connection %s on %s: its API key no longer admits it", cid, server_id)

        try:
            inbox = nc.new_inbox()
            subscription = await nc.subscribe(inbox, cb=answered)
            try:
                query = {"acc": APP_ACCOUNT, "auth": True, "limit": 1_000_000}
                await nc.publish(CONNZ_SUBJECT, json.dumps(query).encode(), reply=inbox)
                await asyncio.sleep(ANSWERS_WAIT_SECONDS)
            finally:
                await subscription.unsubscribe()
        except nats.errors.Error as err:
            log.warning("could not close the NATS connections of deleted API keys: %s", err)


def connections_of(answer: bytes, keys: set[str]) -> list[tuple[str, int]]:
    """The (server id, connection id) pairs of a CONNZ answer whose client connected as one of `keys`."""
    try:
        data: dict[str, Any] = json.loads(answer)
        server_id = str(data["server"]["id"])
        connections = data["data"].get("connections") or []
    except (ValueError, KeyError, TypeError, AttributeError):
        return []
    return [
        (server_id, int(conn["cid"]))
        for conn in connections
        if isinstance(conn, dict) and conn.get("authorized_user") in keys and "cid" in conn
    ]
