"""Request bodies: any body the gateway accepts reaches the service; one over the limit gets a 413 the client can
read, naming the limit, and the connection serves the next request. The limit fits the connected NATS's
`max_payload`."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from services.common import embedded
from services.common.settings import Settings
from services.gateway.app import MAX_BODY_BYTES
from services.registry.app import Registry
from tests.e2e.conftest import running_gateway
from tests.e2e.raw_http import RawConnection, raw_connection

MIB = 1024 * 1024


def create_server(description_bytes: int) -> bytes:
    """A CreateServer body of exactly `description_bytes` plus the JSON around the description."""
    return json.dumps({"name": "big", "description": "d" * description_bytes}).encode()


async def next_request_works(conn: RawConnection) -> None:
    version = await conn.request("GET", "/version")
    assert version.status == 200 and version.body


async def test_a_body_just_under_the_limit_reaches_the_service(gateway_url: str, registry: Registry) -> None:
    body = create_server(MAX_BODY_BYTES - 200)
    assert len(body) <= MAX_BODY_BYTES
    async with raw_connection(gateway_url) as conn:
        answer = await conn.request("POST", "/write/CreateServer", body)
        # No credentials: the registry itself answers, so the body went over the bus.
        assert answer.status == 401 and answer.json()["error"].startswith("missing credentials"), answer.body[
            :200
        ]
        await next_request_works(conn)


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
async def test_a_body_over_the_limit_gets_a_readable_413_and_the_connection_stays_usable(
    gateway_url: str, chunked: bool
) -> None:
    async with raw_connection(gateway_url) as conn:
        answer = await conn.request("POST", "/write/CreateServer", create_server(11 * MIB), chunked=chunked)
        assert answer.status == 413
        assert answer.json()["error"] == "request body over the limit of 10 MiB (10485760 bytes)"
        await next_request_works(conn)


@pytest.fixture
async def small_nats(tmp_path: Path) -> AsyncIterator[str]:
    """A NATS of someone else's, whose `max_payload` is 1 MiB (nats-server's default)."""
    config = tmp_path / "small.conf"
    config.write_text(f"max_payload: {MIB}\n")
    port = embedded.free_port()
    proc = embedded.start_nats(port, tmp_path / "js", tmp_path / "nats.log", config)
    try:
        yield f"nats://127.0.0.1:{port}"
    finally:
        embedded.stop(proc)


async def test_a_nats_with_a_smaller_max_payload_lowers_the_limit(small_nats: str, tmp_path: Path) -> None:
    settings = Settings(nats_url=small_nats, data_dir=tmp_path / "data", port=embedded.free_port())
    limit = MIB - 64 * 1024  # what the gateway keeps for the headers
    async with running_gateway(settings) as url, raw_connection(url) as conn:
        over = await conn.request("POST", "/write/CreateServer", create_server(limit))
        assert over.status == 413
        assert over.json()["error"] == "request body over the limit of 960 KiB (983040 bytes)"
        await on_the_bus(conn)

        # Right at the limit, the body goes onto the bus (which has no registry here to answer it).
        at_limit = create_server(limit - len(create_server(0)))
        assert len(at_limit) == limit
        await on_the_bus(conn, at_limit)

        # Within the limit as sent, but over NATS's once the gateway re-encodes the params (each "é" becomes
        # "\u00e9"): a 413 naming NATS's limit, and the gateway's bus connection survives it.
        envelope = {"type": "CreateServer", "params": {"name": "big", "description": "é" * (400 * 1024)}}
        grown = await conn.request("POST", "/write", json.dumps(envelope, ensure_ascii=False).encode())
        assert grown.status == 413
        assert (
            grown.json()["error"]
            == "CreateServer request with its headers over the limit of 1023 KiB (1047552 bytes)"
        )
        await on_the_bus(conn)


async def on_the_bus(conn: RawConnection, body: bytes | None = None) -> None:
    """A request goes over the gateway's bus connection (503: nothing answers on this NATS, but it is up)."""
    answer = await conn.request("POST", "/write/CreateServer", body or create_server(10))
    assert answer.status == 503 and "no service answers CreateServer" in answer.json()["error"], answer.body[
        :200
    ]
