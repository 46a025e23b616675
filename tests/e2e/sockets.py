"""Helpers of the `/ws/update` tests: where the socket is, logging in, and waiting for what it sends."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from websockets.asyncio.client import ClientConnection


def ws_url(gateway_url: str) -> str:
    return gateway_url.replace("http://", "ws://") + "/ws/update"


async def log_in(ws: ClientConnection, login: dict[str, Any]) -> None:
    """Send a login message (`{"type": "Jwt" | "ApiKeys", "params": ...}`) and expect LOGGED_IN."""
    await ws.send(json.dumps(login))
    assert await asyncio.wait_for(ws.recv(), 5) == "LOGGED_IN"


async def next_update(ws: ClientConnection, timeout: float = 5.0) -> dict[str, Any]:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def nothing_within(ws: ClientConnection, seconds: float) -> bool:
    try:
        await asyncio.wait_for(ws.recv(), seconds)
    except TimeoutError:
        return True
    return False
