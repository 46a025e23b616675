"""Onboarding keys as an admin manages them: the private key shown once, only its digest stored."""

from __future__ import annotations

import json
import re


async def test_create_list_update_delete(client, registry):
    await client.write("CreateTag", {"name": "edge"})
    await client.write("CreateServer", {"name": "template-host", "config": {"region": "eu"}})
    created = await client.write(
        "CreateOnboardingKey", {"name": "fleet", "tags": ["edge"], "copy_server": "template-host"}
    )
    private = created["private_key"]
    assert re.fullmatch(r"O_[A-Za-z0-9]{28}_O", private)
    key = created["created"]
    assert key["enabled"] is True and key["name"] == "fleet" and len(key["tags"]) == 1
    stored = json.dumps([doc async for doc in registry.db["OnboardingKey"].find({}, {"_id": 0})])
    assert private not in stored
    listed = await client.read("ListOnboardingKeys", {})
    assert [k["public_key"] for k in listed] == [key["public_key"]]
    assert "private_key" not in json.dumps(listed)

    updated = await client.write(
        "UpdateOnboardingKey", {"public_key": key["public_key"], "enabled": False, "name": "paused"}
    )
    assert (updated["enabled"], updated["name"]) == (False, "paused")
    deleted = await client.write("DeleteOnboardingKey", {"public_key": key["public_key"]})
    assert deleted["name"] == "paused"
    assert await client.read("ListOnboardingKeys", {}) == []
    missing = await client.send("write", "DeleteOnboardingKey", {"public_key": key["public_key"]})
    assert missing.status == 404


async def test_bad_input_and_non_admins(client, registry, nats_url):
    import nats

    from tests.e2e.conftest import BusClient

    unknown_tag = await client.send("write", "CreateOnboardingKey", {"name": "k", "tags": ["nope"]})
    assert unknown_tag.status == 400 and "nope" in unknown_tag.error
    unknown_server = await client.send("write", "CreateOnboardingKey", {"name": "k", "copy_server": "ghost"})
    assert unknown_server.status == 404 and "ghost" in unknown_server.error
    user = await client.write("CreateLocalUser", {"username": "plain", "password": "plain-password"})
    nc = await nats.connect(nats_url)
    try:
        plain = BusClient(nc, {"Authorization": registry.signer.issue(user["_id"]["$oid"])})
        assert (await plain.send("write", "CreateOnboardingKey", {"name": "k"})).status == 403
        assert (await plain.send("read", "ListOnboardingKeys", {})).status == 403
    finally:
        await nc.close()
