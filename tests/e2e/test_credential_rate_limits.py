"""Repeated bad credentials are rate-limited per client where credentials are checked: at the gateway
(`/read`, `/write`, `/execute` and the log-in, per client address) and on the bus (per API key, or per user a
token claims). `X-Forwarded-For` names the client only when it comes from a proxy named in the settings."""

from __future__ import annotations

from pathlib import Path

import httpx
import jwt

from services.common.embedded import free_port
from services.common.rate_limit import RATE_LIMIT_ATTEMPTS
from services.common.settings import Settings
from services.executor.app import Executor
from services.registry.app import Registry
from tests.e2e.conftest import BusClient, running_gateway

KINDS = ("read", "write", "execute")
REQUESTS = {"read": "ListServers", "write": "CreateTag", "execute": "GlobalAutoUpdate"}


def bad_key(n: int) -> dict[str, str]:
    """A different unknown key each time, so only the per-address limit can be what stops it."""
    return {"X-Api-Key": f"K_guess{n}_K", "X-Api-Secret": "S_guess_S"}


def http_from(gateway_url: str, address: str) -> httpx.AsyncClient:
    """An HTTP client whose connections come from `address` (any 127.x address reaches a loopback server)."""
    transport = httpx.AsyncHTTPTransport(local_address=address)
    return httpx.AsyncClient(base_url=gateway_url, timeout=30, transport=transport)


async def test_bad_credentials_on_the_api_are_limited_per_address_whatever_x_forwarded_for_says(
    gateway_url: str, admin_headers: dict[str, str], executor: Executor
) -> None:
    async with http_from(gateway_url, "127.0.0.1") as http, http_from(gateway_url, "127.0.0.2") as other:
        for n in range(RATE_LIMIT_ATTEMPTS):
            kind = KINDS[n % 3]
            spoofed = {**bad_key(n), "X-Forwarded-For": f"198.51.100.{n}", "X-Real-IP": f"198.51.100.{n}"}
            answer = await http.post(f"/{kind}/{REQUESTS[kind]}", json={}, headers=spoofed)
            assert answer.status_code == 401, answer.text
        for kind in KINDS:
            spoofed = {**bad_key(99), "X-Forwarded-For": "198.51.100.99"}
            limited = await http.post(f"/{kind}/{REQUESTS[kind]}", json={}, headers=spoofed)
            assert limited.status_code == 429, limited.text
            assert "too many failed attempts from 127.0.0.1; try again in" in limited.json()["error"]
        # Positive control: another client's good credentials are unaffected.
        assert (await other.post("/read/ListServers", json={}, headers=admin_headers)).status_code == 200


async def test_the_log_in_limit_is_not_dodged_with_x_forwarded_for(gateway_url: str, admin_headers) -> None:
    async with http_from(gateway_url, "127.0.0.1") as http, http_from(gateway_url, "127.0.0.2") as other:
        wrong = {"username": "e2e-admin", "password": "not-the-password"}
        for n in range(RATE_LIMIT_ATTEMPTS):
            answer = await http.post(
                "/auth/login/LoginLocalUser", json=wrong, headers={"X-Forwarded-For": f"203.0.113.{n}"}
            )
            assert answer.status_code == 401, answer.text
        limited = await http.post(
            "/auth/login/LoginLocalUser", json=wrong, headers={"X-Forwarded-For": "203.0.113.200"}
        )
        assert limited.status_code == 429 and "try again in" in limited.json()["error"]
        right = {"username": "e2e-admin", "password": "e2e-admin-password"}
        assert (await other.post("/auth/login/LoginLocalUser", json=right)).status_code == 200


async def test_x_forwarded_for_is_honoured_from_a_trusted_proxy(
    registry: Registry, nats_url: str, tmp_path: Path, admin_headers: dict[str, str]
) -> None:
    settings = Settings(
        nats_url=nats_url, data_dir=tmp_path / "data", port=free_port(), trusted_proxies="127.0.0.1, ::1"
    )
    async with running_gateway(settings) as url, http_from(url, "127.0.0.1") as proxy:
        for n in range(RATE_LIMIT_ATTEMPTS):
            answer = await proxy.post(
                "/read/ListServers", json={}, headers={**bad_key(n), "X-Forwarded-For": "203.0.113.7"}
            )
            assert answer.status_code == 401, answer.text
        limited = await proxy.post(
            "/read/ListServers", json={}, headers={**bad_key(9), "X-Forwarded-For": "203.0.113.7"}
        )
        assert limited.status_code == 429
        assert "too many failed attempts from 203.0.113.7" in limited.json()["error"]
        # Another client behind the same proxy is another client.
        other = await proxy.post(
            "/read/ListServers", json={}, headers={**admin_headers, "X-Forwarded-For": "203.0.113.8"}
        )
        assert other.status_code == 200, other.text


async def test_bad_credentials_on_the_bus_are_limited_per_key_and_per_claimed_user(
    client: BusClient, registry: Registry
) -> None:
    user = await registry.users.create_local(
        "guessed", "guessed-password", enabled=True, admin=False, super_admin=False
    )
    guessed = await registry.users.issue_api_key(user.id, "guessed", 0)
    spare = await registry.users.issue_api_key(user.id, "spare", 0)
    wrong_secret = {"X-Api-Key": guessed.key, "X-Api-Secret": "S_wrong_S"}
    for _ in range(RATE_LIMIT_ATTEMPTS):
        answer = await client.send("read", "ListServers", {}, headers=wrong_secret)
        assert answer.status == 401, answer
    limited = await client.send("read", "ListServers", {}, headers=wrong_secret)
    assert limited.status == 429 and f"from API key {guessed.key}; try again in" in limited.error
    # Positive control: another key of the same user is unaffected.
    good = await client.send(
        "read", "ListServers", {}, headers={"X-Api-Key": spare.key, "X-Api-Secret": spare.secret}
    )
    assert good.status == 200, good

    forged = {
        "Authorization": jwt.encode(
            {"sub": user.id, "exp": 4102444800}, "not-the-signing-key-of-this-deployment", "HS256"
        )
    }
    for _ in range(RATE_LIMIT_ATTEMPTS):
        assert (await client.send("read", "ListServers", {}, headers=forged)).status == 401
    limited = await client.send("read", "ListServers", {}, headers=forged)
    assert limited.status == 429 and f"from a token for user {user.id}; try again in" in limited.error
    # A forged token cannot lock its user out: the user's real token still works.
    real = await client.send(
        "read", "ListServers", {}, headers={"Authorization": registry.signer.issue(user.id)}
    )
    assert real.status == 200, real
