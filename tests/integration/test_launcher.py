"""`./run up`'s launcher: starts everything, restarts a dead service, stops everything on SIGTERM, keeps data."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import nats
from pymongo import AsyncMongoClient

from services.common.embedded import free_port
from services.common.launcher import docker_socket
from tests.integration.credentials import services_nats_url


def launcher_env(data: Path, nats_port: int, mongo_port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KOMODO_", "VARANUS_"))}
    env.update(
        VARANUS_DATA_DIR=str(data),
        VARANUS_NATS_PORT=str(nats_port),
        VARANUS_MONGO_PORT=str(mongo_port),
        KOMODO_PORT=str(free_port()),
    )
    return env


admin_line: list[str] = []


@contextmanager
def launched(env: dict[str, str]) -> Iterator[tuple[subprocess.Popen[str], dict[str, int]]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "services.common.launcher", "up"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    pids: dict[str, int] = {}
    admin_line.clear()
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 60
        lines: list[str] = []
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                raise AssertionError("launcher exited early:\n" + "".join(lines))
            lines.append(line)
            match = re.match(r"^\s+(\w+)\s+(\d+)\s", line)
            if match:
                pids[match.group(1)] = int(match.group(2))
            if line.startswith("First admin: "):
                admin_line.append(line.strip())
            if line.startswith("Press Ctrl-C"):
                break
        yield proc, pids
    finally:
        if proc.poll() is None:  # a failed test: stop it as a user would, so it takes its children along
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(25)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie child of an exited parent is reaped by init; treat it as gone.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except OSError:
        return False


async def ask(
    nats_url: str, subject: str, body: dict[str, object], jwt: str, wait: float = 30
) -> dict[str, object]:
    """A bus request with the admin's JWT, retried while the services start."""
    nc = await nats.connect(nats_url)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                reply = await nc.request(
                    subject, json.dumps(body).encode(), timeout=2, headers={"Authorization": jwt}
                )
                return json.loads(reply.data)  # type: ignore[no-any-return]
            except Exception:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.3)
    finally:
        await nc.close()


def http_post(url: str, body: dict[str, object], headers: dict[str, str] | None = None) -> httpx.Response:
    """An HTTP call, retried on connection errors while the gateway starts."""
    deadline = time.monotonic() + 30
    while True:
        try:
            return httpx.post(url, json=body, headers=headers, timeout=10)
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def login(gateway: str, password: str) -> str:
    """The admin's JWT, from the gateway's /auth/login (503 while the registry is not up yet: retried)."""
    deadline = time.monotonic() + 30
    while True:
        answer = http_post(
            f"{gateway}/auth/login/LoginLocalUser", {"username": "admin", "password": password}
        )
        if answer.status_code != 503 or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert answer.status_code == 200 and answer.json()["type"] == "Jwt", answer.text
    return str(answer.json()["data"]["jwt"])


async def servers_answer(nats_url: str, mongo_port: int) -> None:
    """nats-server and nx-27017 answer their own protocols."""
    nc = await nats.connect(nats_url)
    await nc.flush()
    await nc.close()
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(
        f"mongodb://127.0.0.1:{mongo_port}", serverSelectionTimeoutMS=5000
    )
    try:
        assert (await client.admin.command("ping"))["ok"] == 1
    finally:
        await client.close()


def test_up_restart_and_stop(tmp_path: Path) -> None:
    nats_port, mongo_port = free_port(), free_port()
    env = launcher_env(tmp_path / "data", nats_port, mongo_port)
    gateway = f"http://127.0.0.1:{env['KOMODO_PORT']}"
    # With a Docker socket, the first start also creates the server "Local" for this host.
    expected = ["Local", "kept"] if docker_socket(env) else ["kept"]
    with launched(env) as (proc, pids):
        assert {"nats", "mongo", "registry", "gateway"} <= set(pids)
        # NATS admits only the users the registry's auth callout knows: the services' user here.
        url = services_nats_url(tmp_path / "data", nats_port)
        asyncio.run(servers_answer(url, mongo_port))
        # The first start generates the admin's password, prints it once and keeps it (0600) in the data folder.
        password_file = tmp_path / "data" / "admin.password"
        assert oct(password_file.stat().st_mode & 0o777) == "0o600"
        password = password_file.read_text().strip()
        assert admin_line == [
            f"First admin: admin / {password}  (shown once; stored in {password_file}, mode 0600)"
        ]
        jwt = login(gateway, password)
        created = asyncio.run(ask(url, "komodo.write.CreateServer", {"name": "kept"}, jwt))
        assert created.get("name") == "kept", created
        # The gateway process serves the same over HTTP.
        listed_http = http_post(f"{gateway}/read/ListServers", {}, {"Authorization": jwt})
        assert listed_http.status_code == 200 and [s["name"] for s in listed_http.json()] == expected

        os.kill(pids["registry"], signal.SIGKILL)  # a crash: the launcher restarts it
        listed = asyncio.run(ask(url, "komodo.read.ListServers", {}, jwt))
        assert [item["name"] for item in listed] == expected  # type: ignore[attr-defined, index]

        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0
        assert time.monotonic() - started < 20
        output = proc.stdout.read() if proc.stdout else ""
        # The services run in one process by default (VARANUS_PROCESSES=one): the registry's is that process.
        assert "services (registry, " in output and "exited with code -9; restarting in 1 s" in output
        for name, pid in pids.items():
            assert not alive(pid), f"{name} (pid {pid}) is still running"
        assert (tmp_path / "data" / "secrets.key").exists()

    # The next start finds the data again, and does not print the password again.
    with launched(env) as (proc, pids):
        assert admin_line == []
        jwt = login(gateway, password)
        listed = asyncio.run(ask(url, "komodo.read.ListServers", {}, jwt))
        assert [item["name"] for item in listed] == expected  # type: ignore[attr-defined, index]
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0
        for name, pid in pids.items():
            assert not alive(pid), f"{name} (pid {pid}) is still running"


def test_taken_port_is_named(tmp_path: Path) -> None:
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        taken = blocker.getsockname()[1]
        env = launcher_env(tmp_path / "data", taken, free_port())
        result = subprocess.run(
            [sys.executable, "-m", "services.common.launcher", "up"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode != 0
    assert f"NATS port {taken} (VARANUS_NATS_PORT) is already in use" in result.stdout


def test_bad_port_value(tmp_path: Path) -> None:
    env = launcher_env(tmp_path / "data", free_port(), free_port())
    env["VARANUS_MONGO_PORT"] = "mongo"
    result = subprocess.run(
        [sys.executable, "-m", "services.common.launcher", "up"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "VARANUS_MONGO_PORT='mongo' is not a port number" in result.stdout
