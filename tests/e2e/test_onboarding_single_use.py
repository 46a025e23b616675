"""Single-use onboarding keys (the extension cloud launches use): one agent onboards, every other is refused,
also when two ask at the same instant; a key without the flag onboards several (the positive control)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import nats

from contracts.subjects import ONBOARD_SUBJECT, STATUS_HEADER
from tests.e2e.conftest import BusClient


async def test_a_single_use_key_onboards_one_agent_only(
    registry: Any, client: BusClient, nats_url: str
) -> None:
    once = await client.write("CreateOnboardingKey", {"name": "launch", "single_use": True})
    many = await client.write("CreateOnboardingKey", {"name": "hosts"})
    nc = await nats.connect(nats_url)
    try:

        async def ask(key: str, name: str) -> int:
            body = json.dumps({"onboarding_key": key, "connect_as": name}).encode()
            reply = await nc.request(ONBOARD_SUBJECT, body, timeout=10)
            return int((reply.headers or {}).get(STATUS_HEADER, "200"))

        statuses = await asyncio.gather(*(ask(once["private_key"], f"cloud-{i}") for i in range(3)))
        assert sorted(statuses) == [200, 401, 401], statuses
        assert [await ask(many["private_key"], f"host-{i}") for i in range(2)] == [200, 200]
    finally:
        await nc.close()
    keys = {k["name"]: k for k in await client.read("ListOnboardingKeys", {})}
    assert keys["launch"]["enabled"] is False and len(keys["launch"]["onboarded"]) == 1
    assert keys["hosts"]["enabled"] is True and len(keys["hosts"]["onboarded"]) == 2
    names = sorted(s["name"] for s in await client.read("ListServers", {}))
    assert len([n for n in names if n.startswith("cloud-")]) == 1 and "host-0" in names and "host-1" in names
