"""Time from a git webhook's POST until the stack's Update exists, beside the same execution over the API.

Starts the whole system as `bench/stack_deploy.py` does (registry, executor, gateway and an agent for this
host, with `KOMODO_WEBHOOK_SECRET` set) and a UI-defined Stack of one `local/busybox:1` service, deployed once
(untimed). A timed webhook is a GitHub push event (`ref`, `after`, `repository`, `commits`, ...) signed with
`X-Hub-Signature-256`, POSTed to `/listener/github/stack/<name>/deploy`: its answer names the Update of the
DeployStackIfChanged it started (created before the answer), which the run then waits to be Complete (untimed,
so the next webhook is not queued behind it). The peer is what an API client does for the same execution:
POST /execute `DeployStackIfChanged` with an API key, until its answer (the InProgress Update). A second pair
compares `/listener/github/stack/<name>/refresh` with POST /write `RefreshStackCache` (both answer when the
stack's files have been read through the agent).

    .venv/bin/python bench/webhook.py [-n 50]
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._servers import percentile
from bench._system import SERVER, Client, cli, report, running_system
from services.gateway.webhooks.verify import github_signature

SECRET = f"bench-{uuid.uuid4().hex}"
COMPOSE = (
    "services:\n  app:\n    image: local/busybox:1\n    pull_policy: never\n"
    "    command: ['sleep', '3600']\n    stop_signal: SIGKILL\n"
)


def push_event() -> bytes:
    """A GitHub push to `main`."""
    after = uuid.uuid4().hex + uuid.uuid4().hex[:8]
    return json.dumps(
        {
            "ref": "refs/heads/main",
            "before": "0" * 40,
            "after": after,
            "repository": {"name": "app", "full_name": "acme/app"},
            "commits": [{"id": after, "message": "change", "modified": ["compose.yaml"]}],
        }
    ).encode()


async def complete(client: Client, update_id: str) -> None:
    """Wait (untimed) until the Update is Complete."""
    while (await client.ask("read", "GetUpdate", {"id": update_id}))["status"] != "Complete":
        await asyncio.sleep(0.02)


async def webhook_once(client: Client, name: str, option: str) -> float:
    """Seconds from the signed POST until its answer (the Update of a deploy exists then)."""
    body = push_event()
    headers = {
        "content-type": "application/json",
        "x-github-event": "push",
        "x-hub-signature-256": github_signature(SECRET, body),
    }
    started = time.perf_counter()
    answer = await client.http.post(f"/listener/github/stack/{name}/{option}", content=body, headers=headers)
    elapsed = time.perf_counter() - started
    got: dict[str, Any] = answer.json()
    if answer.status_code != 200 or (option == "deploy" and not got.get("update_id")):
        raise RuntimeError(f"the webhook answered {answer.status_code}: {answer.text}")
    if got.get("update_id"):
        await complete(client, got["update_id"])
    return elapsed


async def api_once(client: Client, name: str, option: str) -> float:
    """Seconds from POST /execute DeployStackIfChanged (or /write RefreshStackCache) until its answer."""
    started = time.perf_counter()
    if option == "deploy":
        update = await client.ask("execute", "DeployStackIfChanged", {"stack": name})
        elapsed = time.perf_counter() - started
        await complete(client, update["_id"]["$oid"])
        return elapsed
    await client.ask("write", "RefreshStackCache", {"stack": name})
    return time.perf_counter() - started


async def run(count: int) -> None:
    os.environ["KOMODO_WEBHOOK_SECRET"] = SECRET
    name = f"bench-hook-{uuid.uuid4().hex[:8]}"
    samples: dict[tuple[str, str], list[float]] = {}
    try:
        async with running_system(f"hook_{name[-8:]}", None) as client:
            config = {"server_id": SERVER, "file_contents": COMPOSE, "auto_pull": False}
            await client.ask("write", "CreateStack", {"name": name, "config": config})
            await client.execute("DeployStack", {"stack": name})
            for option in ("deploy", "refresh"):
                for how, once in (("webhook", webhook_once), ("api", api_once)):
                    await once(client, name, option)  # warm-up
                    samples[(how, option)] = []
            for _ in range(count):
                for option in ("deploy", "refresh"):
                    for how, once in (("webhook", webhook_once), ("api", api_once)):
                        samples[(how, option)].append(await once(client, name, option))
    finally:
        subprocess.run(
            ["docker", "compose", "-p", name, "down", "-t", "0"],
            capture_output=True,
            timeout=120,
            check=False,
        )
    report(
        f"webhooks per case: {count} (sequential, one client; each deploy waited for, untimed)",
        ("webhook /listener/github/stack/<s>/deploy until answered", samples[("webhook", "deploy")]),
        ("peer: POST /execute DeployStackIfChanged until answered", samples[("api", "deploy")]),
        "ratio webhook / API",
    )
    report(
        "",
        ("webhook /listener/github/stack/<s>/refresh until answered", samples[("webhook", "refresh")]),
        ("peer: POST /write RefreshStackCache until answered", samples[("api", "refresh")]),
        "ratio webhook / API",
    )
    print(f"{'p99 ms':<62}{'ours':>10}{'peer':>10}")
    for option in ("deploy", "refresh"):
        ours, peer = samples[("webhook", option)], samples[("api", option)]
        print(f"{option:<62}{percentile(ours, 99) * 1e3:>10.0f}{percentile(peer, 99) * 1e3:>10.0f}")


if __name__ == "__main__":
    cli(__doc__, run)
