"""The registry as its own process: it starts from the environment, stops cleanly on SIGTERM, and keeps data."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nats

from contracts.subjects import STATUS_HEADER
from tests.integration.credentials import system_token


def start_registry(nats_url: str, mongo_url: str, prefix: str, data_dir: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "KOMODO_NATS_URL": nats_url,
        "KOMODO_DATABASE_URI": mongo_url,
        "VARANUS_DB_PREFIX": prefix,
        "VARANUS_DATA_DIR": str(data_dir),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "services.registry"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


async def request(
    nc: nats.NATS, subject: str, body: dict[str, object], headers: dict[str, str]
) -> tuple[int, object]:
    reply = await nc.request(subject, json.dumps(body).encode(), timeout=5, headers=headers)
    return int((reply.headers or {}).get(STATUS_HEADER, "200")), json.loads(reply.data)


async def wait_ready(nc: nats.NATS, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else "registry exited"
        try:
            await nc.request("komodo.read.ListServers", b"{}", timeout=1)
            return
        except Exception:
            await asyncio.sleep(0.2)
    raise AssertionError("registry did not answer within 30 s")


def stop(proc: subprocess.Popen[bytes]) -> tuple[int, str]:
    proc.send_signal(signal.SIGTERM)
    try:
        code = proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    return code, proc.stderr.read().decode() if proc.stderr else ""


async def test_registry_process_keeps_data_and_stops_cleanly(
    nats_url: str, mongo_url: str, db_prefix: str, tmp_path: Path
) -> None:
    nc = await nats.connect(nats_url)
    creds = system_token(tmp_path)
    try:
        first = start_registry(nats_url, mongo_url, db_prefix, tmp_path)
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
            code, log = stop(first)
        assert code == 0
        assert "t0p-secret-v4lue" not in log
        lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
        assert any(line["msg"] == "registry stopped" for line in lines)
        assert (tmp_path / "secrets.key").exists()

        second = start_registry(nats_url, mongo_url, db_prefix, tmp_path)
        try:
            await wait_ready(nc, second)
            status, body = await request(nc, "komodo.read.GetServer", {"server": "keeper"}, creds)
            assert status == 200 and body["name"] == "keeper"  # type: ignore[index]
            status, body = await request(nc, "komodo.read.GetVariable", {"name": "TOKEN"}, creds)
            assert status == 200 and body["value"] == "t0p-secret-v4lue"  # type: ignore[index]
        finally:
            assert stop(second)[0] == 0
    finally:
        await nc.close()
