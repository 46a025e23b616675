"""Start throwaway nats-server and nx-27017 processes on free ports for a benchmark run."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_port(port: int, proc: subprocess.Popen[bytes], what: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not open port {port} in {seconds} s")


@contextmanager
def servers() -> Iterator[tuple[str, str]]:
    """Yield (nats_url, mongo_url); use BENCH_NATS_URL / BENCH_MONGO_URL instead when set."""
    if os.environ.get("BENCH_NATS_URL") and os.environ.get("BENCH_MONGO_URL"):
        yield os.environ["BENCH_NATS_URL"], os.environ["BENCH_MONGO_URL"]
        return
    tmp = Path(tempfile.mkdtemp(prefix="varanus-bench-"))
    procs: list[subprocess.Popen[bytes]] = []
    try:
        nats_port, mongo_port = free_port(), free_port()
        nats = subprocess.Popen(
            [
                str(BIN / "nats-server"),
                "-a",
                "127.0.0.1",
                "-p",
                str(nats_port),
                "-js",
                "-sd",
                str(tmp / "js"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        procs.append(nats)
        (tmp / "mongo").mkdir()
        mongo = subprocess.Popen(
            [
                str(BIN / "nx-27017"),
                "--data-dir",
                str(tmp / "mongo"),
                "-p",
                str(mongo_port),
                "--log-file",
                str(tmp / "mongo.log"),
                "--pid-file",
                str(tmp / "mongo.pid"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        procs.append(mongo)
        wait_port(nats_port, nats, "nats-server")
        wait_port(mongo_port, mongo, "nx-27017")
        yield f"nats://127.0.0.1:{nats_port}", f"mongodb://127.0.0.1:{mongo_port}"
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]
