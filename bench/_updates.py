"""Waiting for an execution's end on the gateway's update stream (`/ws/update`), as Komodo's UI does.

A benchmark that polls `GetUpdate` adds half its poll interval and a read to every figure, and its reads
compete with the execution for the machine; its peer (a Docker call by hand) simply returns when the work is
done. The stream is the push form of that return: the gateway sends each Update as it changes, so the client
learns of the end a few milliseconds after the registry recorded it, and asks nothing meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from bench._system import Client

LOGIN_SECONDS = 10.0
"""How long the login on the socket may take."""


class UpdateStream:
    """One logged-in `/ws/update` socket and the Updates seen Complete on it."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.complete: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.reader = asyncio.create_task(self._read())

    def _slot(self, update_id: str) -> asyncio.Future[dict[str, Any]]:
        if update_id not in self.complete:
            self.complete[update_id] = asyncio.get_running_loop().create_future()
        return self.complete[update_id]

    async def _read(self) -> None:
        async for message in self.ws:
            item = json.loads(message)
            if not isinstance(item, dict) or "status" not in item:
                continue
            if item["status"] == "Complete":
                slot = self._slot(str(item["id"]))
                if not slot.done():
                    slot.set_result(item)

    async def execute(self, client: Client, name: str, params: dict[str, Any]) -> str:
        """Run an execution and wait until the stream says its Update is Complete; the Update's id (an error
        with its logs, read then, when it failed)."""
        update: dict[str, Any] = await client.ask("execute", name, params)
        update_id = str(update["_id"]["$oid"])
        success = bool(update["success"])
        if update["status"] != "Complete":
            success = bool((await asyncio.wait_for(self._slot(update_id), 900))["success"])
        self.complete.pop(update_id, None)
        if not success:
            failed = await client.ask("read", "GetUpdate", {"id": update_id})
            raise RuntimeError(f"{name} failed: {failed['logs']}")
        return update_id


@contextlib.asynccontextmanager
async def update_stream(client: Client) -> AsyncIterator[UpdateStream]:
    """A socket on the gateway's `/ws/update`, logged in with the client's API key."""
    url = str(client.http.base_url).rstrip("/").replace("http://", "ws://") + "/ws/update"
    async with connect(url) as ws:
        login = {
            "type": "ApiKeys",
            "params": {"key": client.creds["X-Api-Key"], "secret": client.creds["X-Api-Secret"]},
        }
        await ws.send(json.dumps(login))
        answer = await asyncio.wait_for(ws.recv(), LOGIN_SECONDS)
        if answer != "LOGGED_IN":
            raise RuntimeError(f"/ws/update refused the login: {answer!r}")
        stream = UpdateStream(ws)
        try:
            yield stream
        finally:
            stream.reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await stream.reader
