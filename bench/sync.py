"""Time of a ResourceSync over 1,000 resources: the diff (RefreshResourceSyncPending) against an empty system
and against the applied one, and the apply (RunSync until its Update is Complete).

Starts nats-server and nx-27017, the registry, the executor, the gateway and the sync service as their own
processes (`bench/_system.py`) and talks HTTP as a Komodo client with an admin's API key. The file declares
200 servers, 600 deployments on them and 200 stacks (with tags). Goal: a diff in at most 1 s.

    .venv/bin/python bench/sync.py [-n 5]
"""

from __future__ import annotations

import asyncio
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._servers import percentile
from bench._system import Client, cli, running_system

SERVERS, DEPLOYMENTS, STACKS = 200, 600, 200
"""The 1,000 resources of the file."""
SETTLE_SECONDS = 5.0
"""Pause after the apply: the sync service refreshes by itself 2 s after a burst of changes ends."""


def file_contents() -> str:
    """The sync's TOML."""
    parts: list[str] = []
    for n in range(SERVERS):
        parts.append(
            f'[[server]]\nname = "srv-{n}"\ntags = ["bench"]\n[server.config]\naddress = "https://10.0.{n // 250}.{n % 250}:8120"\n'
        )
    for n in range(DEPLOYMENTS):
        parts.append(
            f'[[deployment]]\nname = "dep-{n}"\ntags = ["bench"]\n[deployment.config]\nserver = "srv-{n % SERVERS}"\n'
            f'image.type = "Image"\nimage.params.image = "local/busybox:1"\nenvironment = """\nINDEX = {n}\nMODE = bench\n"""\n'
        )
    for n in range(STACKS):
        parts.append(
            f'[[stack]]\nname = "stk-{n}"\ntags = ["bench"]\n[stack.config]\nserver = "srv-{n % SERVERS}"\n'
            f'file_contents = """\nservices:\n  app:\n    image: local/busybox:1\n"""\n'
        )
    return "\n".join(parts)


async def refresh(client: Client, sync: str) -> tuple[float, int]:
    """Seconds of one RefreshResourceSyncPending, and how many resource changes it found."""
    started = time.perf_counter()
    found = await client.ask("write", "RefreshResourceSyncPending", {"sync": sync})
    return time.perf_counter() - started, len(found["info"]["resource_updates"])


async def run(count: int) -> None:
    tag = uuid.uuid4().hex[:8]
    async with running_system(f"sync_{tag}", extra=("sync",)) as client:
        await client.ask(
            "write", "CreateResourceSync", {"name": "bench", "config": {"file_contents": file_contents()}}
        )
        empty: list[float] = []
        for _ in range(count):
            seconds, changes = await refresh(client, "bench")
            empty.append(seconds)
        assert changes == SERVERS + DEPLOYMENTS + STACKS, changes
        started = time.perf_counter()
        await client.execute("RunSync", {"sync": "bench"})
        applied = time.perf_counter() - started
        await asyncio.sleep(SETTLE_SECONDS)  # let the service's own refresh after the burst of changes pass
        same: list[float] = []
        for _ in range(count):
            seconds, changes = await refresh(client, "bench")
            same.append(seconds)
        assert changes == 0, f"{changes} phantom diffs"
    total = SERVERS + DEPLOYMENTS + STACKS
    print(
        f"{total} resources ({SERVERS} servers, {DEPLOYMENTS} deployments, {STACKS} stacks); {count} refreshes per case"
    )
    print(f"{'case':<58}{'p50 ms':>10}{'p90 ms':>10}")
    print(
        f"{'diff against an empty system (1,000 creates)':<58}{percentile(empty, 50) * 1e3:>10.0f}{percentile(empty, 90) * 1e3:>10.0f}"
    )
    print(
        f"{'diff against the applied system (no changes)':<58}{percentile(same, 50) * 1e3:>10.0f}{percentile(same, 90) * 1e3:>10.0f}"
    )
    print(f"{'apply (RunSync until Complete, 1,000 creates)':<58}{applied * 1e3:>10.0f}")


if __name__ == "__main__":
    cli(__doc__, run)
