"""The idle footprint of `./run up` and how soon it answers, on a first start and on a restart over its data.

`bench/footprint.py [--idle S] [--processes one|each]` runs `./run up` with a temporary `VARANUS_DATA_DIR` and
free ports, and times from the command to the first answers: `GET /version` (the gateway), the admin's log-in
(`/auth/login/LoginLocalUser`, through the registry and MongoDB) and a `ListServers` read with its JWT (through
the registry, as a client's first refresh). After S seconds idle it sums the RSS of the launcher's whole
process tree (NATS, MongoDB, the services, the local agent), stops it (SIGTERM, as Ctrl-C), and starts it again
on the same data to measure the restart. Peers: a bare `python -c pass` times the Python processes it ran,
and nats-server and nx-27017 started alone on empty folders.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil

from services.common import embedded
from services.common.stats import ProcessMemory, format_table, tree_memory

ROOT = Path(__file__).resolve().parents[1]
MB = 2**20


@dataclass
class Start:
    """One `./run up`: seconds from the command to each first answer, and the idle memory."""

    version: float
    login: float
    read: float
    memory: list[ProcessMemory]


def first_answer(
    url: str, started: float, deadline: float, **request: object
) -> tuple[float, httpx.Response]:
    """Seconds from `started` until `url` answers 200 (POST when a body is given, else GET)."""
    while time.monotonic() < deadline:
        try:
            answer = (
                httpx.post(url, timeout=5, **request)  # type: ignore[arg-type]
                if "json" in request
                else httpx.get(url, timeout=5)
            )
            if answer.status_code == 200:
                return time.monotonic() - started, answer
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise SystemExit(f"{url} did not answer within the deadline")


def start_once(env: dict[str, str], data: Path, idle: float) -> Start:
    """`./run up`, time its first answers, idle, measure, stop it."""
    gateway = f"http://127.0.0.1:{env['KOMODO_PORT']}"
    log = (data / "bench-launcher.out").open("ab")
    started = time.monotonic()
    proc = subprocess.Popen(
        [str(ROOT / "run"), "up"], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT
    )
    try:
        deadline = started + 120
        version, _ = first_answer(f"{gateway}/version", started, deadline)
        password = (data / "admin.password").read_text(encoding="utf-8").strip()
        body = {"username": "admin", "password": password}
        login, answer = first_answer(f"{gateway}/auth/login/LoginLocalUser", started, deadline, json=body)
        jwt = answer.json()["data"]["jwt"]
        read, _ = first_answer(
            f"{gateway}/read/ListServers", started, deadline, json={}, headers={"Authorization": jwt}
        )
        time.sleep(idle)
        memory = tree_memory(proc.pid)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
    return Start(version, login, read, memory)


def bare_python_rss() -> int:
    """RSS of a Python that imports nothing."""
    code = "print(open('/proc/self/status').read().split('VmRSS:')[1].split()[0])"
    return int(subprocess.check_output([sys.executable, "-c", code], text=True)) * 1024


def servers_alone(folder: Path) -> tuple[int, int]:
    """RSS of nats-server and of nx-27017, each started alone on an empty folder and idle for a second."""
    nats = embedded.start_nats(embedded.free_port(), folder / "js", folder / "nats.log")
    mongo = embedded.start_mongo(
        embedded.free_port(), folder / "mongo", folder / "mongo.log", folder / "m.pid"
    )
    try:
        time.sleep(1)
        return psutil.Process(nats.pid).memory_info().rss, psutil.Process(mongo.pid).memory_info().rss
    finally:
        embedded.stop(mongo)
        embedded.stop(nats)


def report(title: str, start: Start, python_rss: int) -> None:
    """Print one start's figures beside the bare-Python peer."""
    pythons = sum(1 for row in start.memory if row.name not in ("nats-server", "nx-27017"))
    total = sum(row.rss for row in start.memory)
    print(f"\n{title}")
    print(
        f"  first answers after the command: /version {start.version:.2f} s, log-in {start.login:.2f} s, "
        f"ListServers {start.read:.2f} s"
    )
    print(format_table(start.memory))
    print(f"  total {total / MB:.1f} MB; peer: {pythons} bare Pythons {pythons * python_rss / MB:.1f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--idle", type=float, default=20.0, help="seconds idle before measuring (default 20)")
    parser.add_argument("--processes", choices=["one", "each"], default="one", help="VARANUS_PROCESSES")
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="varanus-footprint-"))
    try:
        env = {
            **os.environ,
            "VARANUS_DATA_DIR": str(data),
            "VARANUS_NATS_PORT": str(embedded.free_port()),
            "VARANUS_MONGO_PORT": str(embedded.free_port()),
            "KOMODO_PORT": str(embedded.free_port()),
            "VARANUS_PROCESSES": args.processes,
        }
        python_rss = bare_python_rss()
        nats_rss, mongo_rss = servers_alone(data / "alone")
        print(
            f"peers: python -c pass {python_rss / MB:.1f} MB, nats-server alone {nats_rss / MB:.1f} MB, "
            f"nx-27017 alone {mongo_rss / MB:.1f} MB"
        )
        report("first start (empty data)", start_once(env, data, args.idle), python_rss)
        report("second start (same data)", start_once(env, data, args.idle), python_rss)
    finally:
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
