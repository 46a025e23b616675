"""`/ws/update` as Komodo's UI and clients use it: log in, then receive the Updates you may see."""

from __future__ import annotations

import asyncio
import json

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from services.registry.app import Registry
from tests.e2e.conftest import BusClient
from tests.e2e.sockets import next_update, nothing_within, ws_url


async def test_a_logged_in_admin_receives_updates_as_they_happen(gateway_url, client, admin_headers):
    async with connect(ws_url(gateway_url)) as ws:
        await ws.send(json.dumps({"type": "Jwt", "params": {"jwt": admin_headers["Authorization"]}}))
        assert await asyncio.wait_for(ws.recv(), 5) == "LOGGED_IN"
        await client.write("CreateServer", {"name": "ws-host"})
        update = await next_update(ws)
        assert update["operation"] == "CreateServer"
        assert update["target"]["type"] == "Server"
        assert update["username"] == "e2e-admin"
        assert update["status"] == "Complete"
        assert set(update) >= {
            "id",
            "operation",
            "start_ts",
            "success",
            "username",
            "operator",
            "target",
            "status",
        }


async def test_api_keys_log_in_and_a_user_sees_only_what_it_may_read(gateway_url, client, registry: Registry):
    user = await client.write("CreateLocalUser", {"username": "wsuser", "password": "wsuser-password"})
    key = await registry.users.issue_api_key(user["_id"]["$oid"], "ws", 0)
    await client.write("CreateServer", {"name": "seen"})
    await client.write(
        "UpdatePermissionOnTarget",
        {
            "user_target": {"type": "User", "id": "wsuser"},
            "resource_target": {"type": "Server", "id": "seen"},
            "permission": "Read",
        },
    )
    async with connect(ws_url(gateway_url)) as ws:
        await ws.send(json.dumps({"type": "ApiKeys", "params": {"key": key.key, "secret": key.secret}}))
        assert await asyncio.wait_for(ws.recv(), 5) == "LOGGED_IN"
        await client.write("CreateServer", {"name": "hidden"})
        await client.write("UpdateServer", {"id": "seen", "config": {"address": "https://seen:8120"}})
        update = await next_update(ws)
        assert update["operation"] == "UpdateServer"
        assert await nothing_within(ws, 0.5)


async def test_bad_logins_are_answered_and_closed(gateway_url):
    for message, expected in (
        ("not json", "[400]: the login message is not JSON"),
        (json.dumps({"type": "Jwt", "params": {}}), "[400]: the login message must be"),
        (json.dumps({"type": "Jwt", "params": {"jwt": "garbage"}}), "[401]"),
        (json.dumps({"type": "ApiKeys", "params": {"key": "K_x_K", "secret": "S_y_S"}}), "[401]"),
    ):
        async with connect(ws_url(gateway_url)) as ws:
            await ws.send(message)
            answer = await asyncio.wait_for(ws.recv(), 5)
            assert str(answer).startswith(expected), answer
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(ws.recv(), 5)


async def test_a_user_disabled_meanwhile_gets_invalid_user(gateway_url, client, registry: Registry):
    user = await client.write("CreateLocalUser", {"username": "leaver", "password": "leaver-password"})
    user_id = user["_id"]["$oid"]
    await client.write(
        "UpdatePermissionOnResourceType",
        {"user_target": {"type": "User", "id": user_id}, "resource_type": "Server", "permission": "Read"},
    )
    async with connect(ws_url(gateway_url)) as ws:
        await ws.send(json.dumps({"type": "Jwt", "params": {"jwt": registry.signer.issue(user_id)}}))
        assert await asyncio.wait_for(ws.recv(), 5) == "LOGGED_IN"
        await client.write("UpdateUserBasePermissions", {"user_id": user_id, "enabled": False})
        await client.write("CreateServer", {"name": "after-disable"})
        message = await next_update(ws)
        assert message["type"] == "INVALID_USER"
        assert "not enabled" in message["msg"]
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 5)


async def test_executions_stream_their_update_changes(gateway_url, admin_headers, service_client: BusClient):
    async with connect(ws_url(gateway_url)) as ws:
        await ws.send(json.dumps({"type": "Jwt", "params": {"jwt": admin_headers["Authorization"]}}))
        assert await asyncio.wait_for(ws.recv(), 5) == "LOGGED_IN"
        created = await service_client.ok(
            "internal",
            "CreateUpdate",
            {"operation": "RunBuild", "target": {"type": "System", "id": ""}, "operator": "e2e"},
        )
        first = await next_update(ws)
        assert first["id"] == created["_id"]["$oid"] and first["status"] == "InProgress"
        await service_client.ok("internal", "FinishUpdate", {"id": first["id"]})
        finished = await next_update(ws)
        assert finished["id"] == first["id"] and finished["status"] == "Complete"
