"""Reads the gateway answers from memory never outlive a write, a delete, a revoked permission or another
user's rights, even with two registry replicas behind it; and only reads whose every part is covered by
notices are kept at all."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from contracts.subjects import KEPT_FOR_HEADER, KEPT_FROM_HEADER
from services.common.embedded import free_port
from services.common.settings import Settings
from services.gateway.kept_answers import KeptAnswers
from services.registry.app import Registry
from tests.e2e.conftest import BusClient, grant, running_gateway

READS = 20
"""Reads after each change: with two registry replicas, either answers the misses."""


@pytest.fixture
def kept() -> KeptAnswers:
    """The answers the gateway keeps (looked into by the tests)."""
    return KeptAnswers()


@pytest.fixture
async def gateway(
    registry: Registry, second_registry: Registry, nats_url: str, tmp_path: Path, kept: KeptAnswers
) -> AsyncIterator[str]:
    """The gateway in front of both replicas, keeping its answers in `kept`."""
    settings = Settings(nats_url=nats_url, data_dir=tmp_path / "data", port=free_port())
    async with running_gateway(settings, kept) as url:
        yield url


async def read(http: httpx.AsyncClient, name: str, params: dict[str, Any]) -> httpx.Response:
    """One read over HTTP."""
    return await http.post(f"/read/{name}", json=params)


async def descriptions(http: httpx.AsyncClient, name: str) -> set[str]:
    """What READS GetDeployment answers say the deployment's description is."""
    answers = [await read(http, "GetDeployment", {"deployment": name}) for _ in range(READS)]
    assert {a.status_code for a in answers} == {200}, [a.text for a in answers]
    return {a.json()["description"] for a in answers}


async def test_repeated_reads_come_from_memory_and_a_write_shows_at_once(
    gateway: str, client: BusClient, admin_headers: dict[str, str], kept: KeptAnswers
) -> None:
    await client.write("CreateDeployment", {"name": "web", "config": {}})
    async with httpx.AsyncClient(base_url=gateway, timeout=30, headers=admin_headers) as http:
        assert await descriptions(http, "web") == {""}
        # Not all: the relay of the creation's event writes the document again meanwhile, and drops the answer.
        assert kept.hits >= READS // 2, "repeated reads were not answered from memory"
        for round_ in range(5):
            await client.write(
                "UpdateResourceMeta",
                {"target": {"type": "Deployment", "id": "web"}, "description": f"v{round_}"},
            )
            assert await descriptions(http, "web") == {f"v{round_}"}
        listed = [await read(http, "ListDeployments", {}) for _ in range(READS)]
        assert {tuple(d["name"] for d in answer.json()) for answer in listed} == {("web",)}
        await client.write("CreateDeployment", {"name": "db", "config": {}})
        assert [d["name"] for d in (await read(http, "ListDeployments", {})).json()] == ["db", "web"]


async def test_a_delete_is_a_404_at_once(
    gateway: str, client: BusClient, admin_headers: dict[str, str]
) -> None:
    await client.write("CreateDeployment", {"name": "web", "config": {}})
    async with httpx.AsyncClient(base_url=gateway, timeout=30, headers=admin_headers) as http:
        for _ in range(READS):
            assert (await read(http, "GetDeployment", {"deployment": "web"})).status_code == 200
            assert len((await read(http, "ListDeployments", {})).json()) == 1
        await client.write("DeleteDeployment", {"id": "web"})
        for _ in range(READS):
            assert (await read(http, "GetDeployment", {"deployment": "web"})).status_code == 404
            assert (await read(http, "ListDeployments", {})).json() == []


async def test_a_revoked_permission_ends_reads_at_once_and_answers_are_per_credentials(
    gateway: str,
    client: BusClient,
    registry: Registry,
    admin_headers: dict[str, str],
    alice: tuple[BusClient, str],
    kept: KeptAnswers,
) -> None:
    _, alice_id = alice
    await client.write("CreateDeployment", {"name": "web", "config": {}})
    alice_headers = {"Authorization": registry.signer.issue(alice_id)}
    async with (
        httpx.AsyncClient(base_url=gateway, timeout=30, headers=admin_headers) as admin,
        httpx.AsyncClient(base_url=gateway, timeout=30, headers=alice_headers) as her,
    ):
        for _ in range(READS):
            assert (await read(admin, "GetDeployment", {"deployment": "web"})).status_code == 200
        # The admin's kept answer is not hers: she has no right on it yet.
        assert (await read(her, "GetDeployment", {"deployment": "web"})).status_code == 403
        assert (await read(her, "ListDeployments", {})).json() == []
        await grant(client, "Read", "web")
        hits = kept.hits
        for _ in range(READS):
            assert (await read(her, "GetDeployment", {"deployment": "web"})).status_code == 200
            assert [d["name"] for d in (await read(her, "ListDeployments", {})).json()] == ["web"]
        assert kept.hits > hits, "her repeated reads were not answered from memory"
        await grant(client, "None", "web")
        for _ in range(READS):
            assert (await read(her, "GetDeployment", {"deployment": "web"})).status_code == 403
            assert (await read(her, "ListDeployments", {})).json() == []
        assert (await read(admin, "GetDeployment", {"deployment": "web"})).status_code == 200


async def test_without_the_notices_the_old_answer_is_given_until_its_bound(
    gateway: str, client: BusClient, admin_headers: dict[str, str], kept: KeptAnswers
) -> None:
    """The positive control of the tests above: a gateway deaf to the notices gives the answer it kept after
    the write, and the bound on a kept answer still ends it."""
    kept.max_seconds = 1.0
    await client.write("CreateDeployment", {"name": "web", "config": {}})
    async with httpx.AsyncClient(base_url=gateway, timeout=30, headers=admin_headers) as http:
        assert await descriptions(http, "web") == {""}
        subscriptions = kept._link._subscriptions
        assert subscriptions
        for subscription in subscriptions:
            await subscription.unsubscribe()
        await client.write(
            "UpdateResourceMeta", {"target": {"type": "Deployment", "id": "web"}, "description": "new"}
        )
        assert await descriptions(http, "web") == {""}, "the deaf gateway should still give the kept answer"
        await asyncio.sleep(1.1)
        assert await descriptions(http, "web") == {"new"}


async def test_only_answers_covered_by_notices_say_they_may_be_kept(client: BusClient) -> None:
    """Gets and the lists the registry keeps whole carry the headers; a list whose live state is asked each
    time, a list filtered by tag names, a write and an error do not."""
    await client.write("CreateDeployment", {"name": "web", "config": {}})
    await client.write("CreateProcedure", {"name": "nightly", "config": {}})
    await client.write("CreateTag", {"name": "prod"})

    async def headers(kind: str, name: str, params: dict[str, Any]) -> dict[str, str]:
        reply = await client.nc.request(
            f"komodo.{kind}.{name}", json_bytes(params), timeout=10, headers=client.headers
        )
        return dict(reply.headers or {})

    got = await headers("read", "GetDeployment", {"deployment": "web"})
    assert got[KEPT_FROM_HEADER] == "Deployment" and 0 < float(got[KEPT_FOR_HEADER]) <= 5
    listed = (await headers("read", "ListDeployments", {}))[KEPT_FROM_HEADER].split(",")
    assert {"Deployment", "(live)", "Server", "Build"} <= set(listed)
    assert KEPT_FROM_HEADER in await headers("read", "GetProcedure", {"procedure": "nightly"})
    assert KEPT_FROM_HEADER not in await headers("read", "ListProcedures", {})
    assert KEPT_FROM_HEADER not in await headers("read", "ListDeployments", {"query": {"tags": ["prod"]}})
    assert KEPT_FROM_HEADER not in await headers("read", "GetDeployment", {"deployment": "nope"})
    assert KEPT_FROM_HEADER not in await headers(
        "write", "UpdateResourceMeta", {"target": {"type": "Deployment", "id": "web"}, "description": "x"}
    )


async def test_a_gateway_told_to_keep_nothing_asks_the_registry_each_time(
    registry: Registry, client: BusClient, admin_headers: dict[str, str], nats_url: str, tmp_path: Path
) -> None:
    kept = KeptAnswers()
    settings = Settings(
        nats_url=nats_url, data_dir=tmp_path / "data", port=free_port(), gateway_keep_answers=False
    )
    await client.write("CreateDeployment", {"name": "web", "config": {}})
    async with (
        running_gateway(settings, kept) as url,
        httpx.AsyncClient(base_url=url, timeout=30, headers=admin_headers) as http,
    ):
        assert await descriptions(http, "web") == {""}
    assert kept.hits == 0 and len(kept) == 0


def json_bytes(params: dict[str, Any]) -> bytes:
    """A request body as a bus client sends it."""
    return json.dumps(params).encode()
