"""The registry as its own process: it starts from the environment, stops cleanly on SIGTERM, and keeps data."""

from __future__ import annotations

import json
from pathlib import Path

import nats

from contracts.subjects import STATUS_HEADER
from tests.e2e.processes import ServiceProcess, start_service, wait_until
from tests.integration.credentials import system_token


async def request(
    nc: nats.NATS, subject: str, body: dict[str, object], headers: dict[str, str]
) -> tuple[int, object]:
    reply = await nc.request(subject, json.dumps(body).encode(), timeout=5, headers=headers)
    return int((reply.headers or {}).get(STATUS_HEADER, "200")), json.loads(reply.data)


async def wait_ready(nc: nats.NATS, registry: ServiceProcess) -> None:
    async def answering() -> bool:
        assert registry.proc.poll() is None, registry.log()[-3000:]
        try:
            await nc.request("komodo.read.ListServers", b"{}", timeout=1)
        except Exception:
            return False
        return True

    await wait_until(answering, 30, "the registry answering")


async def test_registry_process_keeps_data_and_stops_cleanly(
    nats_url: str, mongo_url: str, db_prefix: str, tmp_path: Path
) -> None:
    nc = await nats.connect(nats_url)
    creds = system_token(tmp_path)
    try:
        first = start_service("registry", nats_url, mongo_url, db_prefix, tmp_path)
        try:
            await wait_ready(nc, first)
            status, body = await request(
                nc,
                "komodo.write.CreateVariable",
                {"name": "TOKEN", "value": "t0p-secret-v4lue", "is_secret": True},
                creds,
            )
            assert status == 200, body
            status, body = await request(nc, "komodo.write.CreateServer", {"name": "keeper"}, creds)
            assert status == 200, body
        finally:
            code, log = first.stop(), first.log()
        assert code == 0
        assert "t0p-secret-v4lue" not in log
        lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
        assert any(line["msg"] == "registry stopped" for line in lines)
        assert (tmp_path / "secrets.key").exists()

        second = start_service("registry", nats_url, mongo_url, db_prefix, tmp_path)
        try:
            await wait_ready(nc, second)
            status, body = await request(nc, "komodo.read.GetServer", {"server": "keeper"}, creds)
            assert status == 200 and body["name"] == "keeper"  # type: ignore[index]
            status, body = await request(nc, "komodo.read.GetVariable", {"name": "TOKEN"}, creds)
            assert status == 200 and body["value"] == "t0p-secret-v4lue"  # type: ignore[index]
        finally:
            assert second.stop() == 0
    finally:
        await nc.close()
