"""Varanus services as their own processes (`python -m services.<name>`), for tests that kill, freeze or restart
one: start with the test's NATS, Mongo and data folder, wait until it answers, stop, and read its log."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import nats.errors
from nats.aio.client import Client as NatsClient

from contracts.subjects import STATUS_HEADER


@dataclass
class ServiceProcess:
    """A running service process and the file its output goes to (a file, not a pipe: a full pipe would stall
    the service)."""

    proc: subprocess.Popen[bytes]
    log_path: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log(self) -> str:
        """Everything the process wrote so far."""
        return self.log_path.read_text(errors="replace")

    def signal(self, sig: signal.Signals) -> None:
        """Send `sig` (SIGSTOP freezes it, SIGCONT thaws it, SIGKILL kills it without a chance to clean up)."""
        self.proc.send_signal(sig)

    def kill(self) -> None:
        """SIGKILL and reap it."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)  # a frozen process must run to die cleanly in `wait`
            self.proc.kill()
        self.proc.wait(timeout=10)

    def stop(self, timeout: float = 20) -> int:
        """SIGTERM and wait for it to exit (SIGKILL after `timeout`); its exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise

    async def stopped(self, timeout: float = 20) -> int:
        """`stop` without blocking the event loop: services running in the test's own loop (the registry
        fixture) must go on answering the stopping process, which closes its Updates through them."""
        return await asyncio.to_thread(self.stop, timeout)


def start_service(
    name: str, nats_url: str, mongo_url: str, db_prefix: str, data_dir: Path, **env: str
) -> ServiceProcess:
    """Start `python -m services.<name>` on the test's servers, with `data_dir` (share the registry's for the
    same signing key) and extra environment variables."""
    log_path = data_dir.parent / f"{name}-{time.monotonic_ns()}.log"
    environment = {
        **os.environ,
        "KOMODO_NATS_URL": nats_url,
        "KOMODO_DATABASE_URI": mongo_url,
        "VARANUS_DB_PREFIX": db_prefix,
        "VARANUS_DATA_DIR": str(data_dir),
        **env,
    }
    with log_path.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", f"services.{name}"], env=environment, stdout=out, stderr=subprocess.STDOUT
        )
    return ServiceProcess(proc, log_path)


async def bus_status(
    nc: NatsClient, subject: str, body: dict[str, object], headers: dict[str, str], timeout: float = 10
) -> int:
    """The `Komodo-Status` of the reply to a bus request (0 when nothing answered within `timeout`)."""
    try:
        reply = await nc.request(subject, json.dumps(body).encode(), timeout=timeout, headers=headers)
    except nats.errors.NoRespondersError:
        return 503
    except TimeoutError:  # nats.errors.TimeoutError is one
        return 0
    return int((reply.headers or {}).get(STATUS_HEADER, "200"))


async def wait_until(check: Callable[[], Awaitable[bool]], seconds: float, what: str) -> float:
    """Poll `check` until it holds; the seconds it took (an AssertionError naming `what` after `seconds`)."""
    started = time.monotonic()
    while not await check():
        if time.monotonic() - started > seconds:
            raise AssertionError(f"{what}: not within {seconds:g} s")
        await asyncio.sleep(0.1)
    return time.monotonic() - started


async def wait_answering(
    service: ServiceProcess, nc: NatsClient, subject: str, body: dict[str, object], headers: dict[str, str]
) -> None:
    """Wait (up to 60 s) until `subject` is answered by its service rather than refused with 503."""

    async def answering() -> bool:
        assert service.proc.poll() is None, f"the service exited:\n{service.log()[-3000:]}"
        return await bus_status(nc, subject, body, headers, timeout=2) not in (0, 503)

    await wait_until(answering, 60, f"{subject} answered")
