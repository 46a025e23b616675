"""What every system benchmark does as its client before it measures, and after: wait for the gateway, log in
as the init admin, make an API key; stop the service processes it started."""

from __future__ import annotations

import asyncio
import subprocess
import time

import httpx

ADMIN, PASSWORD = "bench-admin", "bench-admin-password"
"""The init admin the benchmarks start the registry with (KOMODO_INIT_ADMIN_USERNAME / _PASSWORD)."""


async def wait_for_gateway(http: httpx.AsyncClient, deadline: float) -> None:
    """Return once the gateway answers `GET /version` (an error after `deadline`)."""
    while time.monotonic() < deadline:
        try:
            if (await http.get("/version")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.2)
    raise RuntimeError("the gateway did not answer within 60 s")


async def log_in(http: httpx.AsyncClient, deadline: float) -> str:
    """The admin's JWT, once the registry has created the init admin (it may still be starting)."""
    while True:
        login = await http.post("/auth/login/LoginLocalUser", json={"username": ADMIN, "password": PASSWORD})
        if login.status_code == 200:
            return str(login.json()["data"]["jwt"])
        if time.monotonic() > deadline:
            raise SystemExit(f"could not log in as {ADMIN}: {login.status_code} {login.text}")
        await asyncio.sleep(0.2)


async def api_key_headers(http: httpx.AsyncClient, jwt: str) -> dict[str, str]:
    """A new API key of the logged-in admin, as the headers a client sends it in."""
    key = (
        await http.post("/auth/manage/CreateApiKey", json={"name": "bench"}, headers={"Authorization": jwt})
    ).json()
    return {"X-Api-Key": key["key"], "X-Api-Secret": key["secret"]}


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    """Stop the processes (SIGTERM, last started first, then SIGKILL after 10 s)."""
    for proc in reversed(procs):
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
