"""`./run` end to end: its help, the production compose file, and `./run up` starting and stopping everything."""

from __future__ import annotations

import asyncio
import json
import os
import queue
import re
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import nats

from services.common.embedded import free_port
from tests.integration.credentials import services_nats_url

ROOT = Path(__file__).resolve().parents[2]
RUN = str(ROOT / "run")
ROW = re.compile(r"^\s+(\w+)\s+(\d+)\s")


def clean_env(data: Path, nats_port: int, mongo_port: int) -> dict[str, str]:
    """The caller's environment without any KOMODO_/VARANUS_ setting, plus a temp data dir and free ports."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KOMODO_", "VARANUS_"))}
    env.update(
        VARANUS_DATA_DIR=str(data),
        VARANUS_NATS_PORT=str(nats_port),
        VARANUS_MONGO_PORT=str(mongo_port),
        KOMODO_PORT=str(free_port()),
    )
    return env


def process_groups_alive(pgids: set[int]) -> list[str]:
    """Live (non-zombie) processes whose process group is one of `pgids`, as 'pid cmd' strings."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        comm_end = stat.rfind(")")
        fields = stat[comm_end + 2 :].split()
        state, pgrp = fields[0], int(fields[2])
        if pgrp in pgids and state != "Z":
            found.append(f"{entry.name} {stat[: comm_end + 1]}")
    return found


def kill_groups(pgids: set[int]) -> None:
    """SIGKILL what is left of these process groups (cleanup after a failed test)."""
    for pgid in pgids:
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)


@dataclass
class Up:
    """A running `./run up`: its process, the pids of its table and every line it printed."""

    proc: subprocess.Popen[str]
    pids: dict[str, int] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)
    queue: queue.Queue[str | None] = field(default_factory=queue.Queue)

    def read_until(self, marker: str, seconds: float) -> None:
        """Collect output lines until one starts with `marker`; fail with the output so far otherwise."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                line = self.queue.get(timeout=0.5)
            except queue.Empty:
                continue
            if line is None:
                raise AssertionError("./run up exited early:\n" + "".join(self.lines))
            self.lines.append(line)
            match = ROW.match(line)
            if match:
                self.pids[match.group(1)] = int(match.group(2))
            if line.startswith(marker):
                return
        raise AssertionError(f"no {marker!r} within {seconds:g} s:\n" + "".join(self.lines))

    def rest(self) -> str:
        """All output, after the process has exited."""
        while True:
            try:
                line = self.queue.get(timeout=5)
            except queue.Empty:
                break
            if line is None:
                break
            self.lines.append(line)
        return "".join(self.lines)


@contextmanager
def run_up(env: dict[str, str]) -> Iterator[Up]:
    """Start `./run up`; afterwards make sure nothing it started is left, even when the test failed."""
    proc = subprocess.Popen(
        [RUN, "up"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT
    )
    up = Up(proc)

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            up.queue.put(line)
        up.queue.put(None)

    threading.Thread(target=pump, daemon=True).start()
    try:
        yield up
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)  # SIGTERM first so the launcher stops its servers itself
            try:
                proc.wait(25)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        kill_groups(set(up.pids.values()))


async def ask(url: str, subject: str, seconds: float) -> object | None:
    """The JSON reply to `subject` with an empty body, retried until `seconds` pass; None when none came."""
    deadline = time.monotonic() + seconds
    nc = await nats.connect(url, connect_timeout=5)
    try:
        while time.monotonic() < deadline:
            try:
                reply = await nc.request(subject, b"{}", timeout=2)
                return json.loads(reply.data)
            except Exception:
                await asyncio.sleep(0.3)
        return None
    finally:
        await nc.close()


def test_help_down_and_unknown() -> None:
    shown = subprocess.run([RUN, "--help"], capture_output=True, text=True, timeout=30, check=False)
    assert shown.returncode == 0
    for word in (
        "up",
        "test",
        "setup",
        "test-env",
        "down",
        "stats",
        "VARANUS_NATS_PORT",
        "VARANUS_PROCESSES",
    ):
        assert word in shown.stdout
    down = subprocess.run([RUN, "down"], capture_output=True, text=True, timeout=30, check=False)
    assert down.returncode == 0 and "Ctrl-C" in down.stdout
    unknown = subprocess.run([RUN, "frobnicate"], capture_output=True, text=True, timeout=30, check=False)
    assert unknown.returncode != 0 and "usage" in unknown.stderr


def test_production_compose_config(docker_available: None) -> None:
    result = subprocess.run(
        ["docker", "compose", "-f", str(ROOT / "compose" / "compose.yaml"), "config", "--quiet"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr


def test_up_answers_then_stops_cleanly(tmp_path: Path) -> None:
    nats_port, mongo_port = free_port(), free_port()
    env = clean_env(tmp_path / "data", nats_port, mongo_port)
    with run_up(env) as up:
        up.read_until("Press Ctrl-C", 90)
        assert {"nats", "mongo", "registry"} <= set(up.pids), "".join(up.lines)
        for port in (nats_port, mongo_port):
            socket.create_connection(("127.0.0.1", port), 5).close()
        url = services_nats_url(tmp_path / "data", nats_port)
        reply = asyncio.run(ask(url, "komodo.read.ListServers", 30))
        # The registry answers (a list, or an error such as a missing credential: either way it is serving);
        # at the very least its process must still be running.
        assert reply is not None or process_groups_alive({up.pids["registry"]}), "".join(up.lines)
        assert up.proc.poll() is None
        # `./run stats` finds the running system by the launcher's pid file and adds up its processes' memory.
        stats = subprocess.run(
            [RUN, "stats"], env=env, capture_output=True, text=True, timeout=60, check=False
        )
        assert stats.returncode == 0, stats.stderr
        assert "nats-server" in stats.stdout and "nx-27017" in stats.stdout, stats.stdout
        assert "together registry" in stats.stdout and re.search(r"total\s+\d+\.\d", stats.stdout), (
            stats.stdout
        )

        started = time.monotonic()
        up.proc.send_signal(signal.SIGTERM)
        code = up.proc.wait(20)
        took = time.monotonic() - started
        output = up.rest()
        assert code == 0, output
        assert took < 20
        left = process_groups_alive(set(up.pids.values()))
        assert not left, f"still running after ./run up stopped: {left}\n{output}"
    # The services ran together (VARANUS_PROCESSES=one, the default), logging into one file.
    assert (tmp_path / "data" / "logs" / "services.log").exists()
    gone = subprocess.run([RUN, "stats"], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert gone.returncode != 0 and "no ./run up is running" in gone.stderr, gone.stdout + gone.stderr


def test_taken_nats_port_is_named(tmp_path: Path) -> None:
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        taken = blocker.getsockname()[1]
        env = clean_env(tmp_path / "data", taken, free_port())
        result = subprocess.run(
            [RUN, "up"], env=env, capture_output=True, text=True, timeout=120, check=False, cwd=ROOT
        )
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert f"port {taken}" in output and "VARANUS_NATS_PORT" in output, output


def test_up_honours_init_admin_and_port(tmp_path: Path) -> None:
    import httpx

    env = clean_env(tmp_path / "data", free_port(), free_port())
    env.update(KOMODO_INIT_ADMIN_USERNAME="ops", KOMODO_INIT_ADMIN_PASSWORD="ops-chosen-password")
    gateway = f"http://127.0.0.1:{env['KOMODO_PORT']}"
    with run_up(env) as up:
        up.read_until("Press Ctrl-C", 90)
        deadline = time.monotonic() + 30
        while True:
            try:
                login = httpx.post(
                    f"{gateway}/auth/login/LoginLocalUser",
                    json={"username": "ops", "password": "ops-chosen-password"},
                    timeout=5,
                )
                if login.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "".join(up.lines)
            time.sleep(0.3)
        jwt = login.json()["data"]["jwt"]
        me = httpx.get(f"{gateway}/user", headers={"Authorization": jwt}, timeout=5).json()
        assert me["username"] == "ops" and me["admin"] is True
        up.proc.send_signal(signal.SIGTERM)
        assert up.proc.wait(20) == 0
        output = up.rest()
    # The chosen password is neither printed nor stored; no generated one is either.
    assert "ops-chosen-password" not in output
    assert "First admin" not in output
    assert not (tmp_path / "data" / "admin.password").exists()
    logs = "".join(p.read_text() for p in (tmp_path / "data" / "logs").glob("*.log"))
    assert "ops-chosen-password" not in logs
