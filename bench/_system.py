"""The whole system for an execution benchmark: registry, executor, gateway and an agent for this host.

Each service runs as its own process (as `./run up` runs them) against throwaway nats-server and nx-27017
(`_servers.servers`). The client side is what a Komodo client does: log in as the init admin, create an API
key, and send Komodo's `{"type", "params"}` bodies to /read, /write and /execute with it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import httpx

from bench._admin import ADMIN, PASSWORD, api_key_headers, log_in, stop, wait_for_gateway
from bench._servers import percentile, servers
from services.common.embedded import free_port

SERVER = "bench-host"
"""The name of the server the agent runs for."""
POLL_SECONDS = 0.02
"""How often the client asks for an Update while it runs."""


@dataclass
class Client:
    """The gateway, with the benchmark's API key."""

    http: httpx.AsyncClient
    creds: dict[str, str]

    async def ask(self, kind: str, name: str, params: dict[str, Any]) -> Any:
        """POST /<kind> with Komodo's body; the JSON answer, or an error saying what failed."""
        answer = await self.http.post(f"/{kind}", json={"type": name, "params": params}, headers=self.creds)
        if answer.status_code != 200:
            raise RuntimeError(f"{name} answered {answer.status_code}: {answer.text}")
        return answer.json()

    async def execute(self, name: str, params: dict[str, Any]) -> dict[str, Any]:
        """Run an execution and poll its Update until it is Complete; the Update (an error when it failed)."""
        update: dict[str, Any] = await self.ask("execute", name, params)
        update_id = update["_id"]["$oid"]
        while update["status"] != "Complete":
            await asyncio.sleep(POLL_SECONDS)
            update = await self.ask("read", "GetUpdate", {"id": update_id})
        if not update["success"]:
            raise RuntimeError(f"{name} failed: {update['logs']}")
        return update


async def wait_for_agent(client: Client, deadline: float) -> None:
    """Until the server is Ok (the executor may still be starting: a 503 is waited out too)."""
    while time.monotonic() < deadline:
        answer = await client.http.post(
            "/read", json={"type": "GetServerState", "params": {"server": SERVER}}, headers=client.creds
        )
        if answer.status_code == 200 and answer.json()["status"] == "Ok":
            return
        if answer.status_code not in (200, 503):
            raise RuntimeError(f"GetServerState answered {answer.status_code}: {answer.text}")
        await asyncio.sleep(0.2)
    raise RuntimeError("the agent did not report within 60 s")


@contextlib.asynccontextmanager
async def running_system(
    tag: str,
    stack_dir: str | None = None,
    extra: tuple[str, ...] = (),
    env_extra: dict[str, str] | None = None,
) -> AsyncIterator[Client]:
    """Start everything (and the `extra` services, e.g. the builder), with the server `bench-host` reported Ok
    by its agent; yield the client. `env_extra` is added to every process's environment."""
    with servers() as (nats_url, mongo_url):
        port = free_port()
        env = {
            **os.environ,
            "KOMODO_NATS_URL": nats_url,
            "KOMODO_DATABASE_URI": mongo_url,
            "VARANUS_DB_PREFIX": f"bench_{tag}",
            "VARANUS_DATA_DIR": tempfile.mkdtemp(prefix="varanus-bench-data-"),
            "KOMODO_LOGGING_LEVEL": "WARNING",
            "KOMODO_PORT": str(port),
            "KOMODO_INIT_ADMIN_USERNAME": ADMIN,
            "KOMODO_INIT_ADMIN_PASSWORD": PASSWORD,
        }
        env.update(env_extra or {})
        if stack_dir is not None:
            env["VARANUS_AGENT_STACK_DIR"] = stack_dir
        procs = [
            subprocess.Popen([sys.executable, "-m", f"services.{service}"], env=env)
            for service in ("registry", "executor", "gateway", *extra)
        ]
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
                await wait_for_gateway(http, time.monotonic() + 60)
                jwt = await log_in(http, time.monotonic() + 30)
                client = Client(http, await api_key_headers(http, jwt))
                server = await client.ask(
                    "write", "CreateServer", {"name": SERVER, "config": {"enabled": True}}
                )
                agent_env = {**env, "VARANUS_AGENT_SERVER_ID": server["_id"]["$oid"]}
                procs.append(subprocess.Popen([sys.executable, "-m", "services.agent"], env=agent_env))
                await wait_for_agent(client, time.monotonic() + 60)
                yield client
        finally:
            stop(procs)


def report(heading: str, ours: tuple[str, list[float]], peer: tuple[str, list[float]], ratio: str) -> None:
    """Print p50 and p90 (ms) of our case and the peer's, and their ratios."""
    o50, o90 = percentile(ours[1], 50) * 1e3, percentile(ours[1], 90) * 1e3
    p50, p90 = percentile(peer[1], 50) * 1e3, percentile(peer[1], 90) * 1e3
    print(heading)
    print(f"{'case':<62}{'p50 ms':>10}{'p90 ms':>10}")
    print(f"{ours[0]:<62}{o50:>10.0f}{o90:>10.0f}")
    print(f"{peer[0]:<62}{p50:>10.0f}{p90:>10.0f}")
    print(f"{ratio:<62}{o50 / p50:>10.2f}{o90 / p90:>10.2f}")


def cli(doc: str | None, run: Callable[[int], Coroutine[Any, Any, None]]) -> None:
    """`-n/--count` (timed runs per case, default 20), then `run(count)`."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--count", type=int, default=20, help="timed runs per case (default 20)")
    args = parser.parse_args()
    asyncio.run(run(args.count))
