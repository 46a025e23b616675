"""Time of the agent's two ways to create a Deployment's container, and of the stop they overlap with.

The agent creates a container through the Engine API (`create_with_api`) unless the request has `extra_args`,
when it runs `docker create` (`create_with_cli`). Each case runs the agent's own function N times in turn on
the same request (`local/busybox:1`, bridge network, a port, a label, an environment entry), removing the
container after each (not timed). Beside them, the stop of a running container of the kind `bench/deploy.py`
deploys (a shell that exits at once on SIGTERM): during a redeploy the new container is created while the
previous one stops, so only a create longer than the stop lengthens a deploy.

    .venv/bin/python bench/create_paths.py [-n 30]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import time
import uuid
from pathlib import Path

import aiodocker

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._system import percentile
from contracts.api.agent.container import RunContainer
from services.agent.context import AgentContext
from services.agent.handlers.run import create_with_api, create_with_cli
from services.agent.settings import AgentConfig
from services.common.settings import Settings

IMAGE = "local/busybox:1"
STOPPABLE = ["sh", "-c", 'trap "exit 0" TERM; sleep 3600 & wait']


async def timed_create(ctx: AgentContext, docker: aiodocker.Docker, how: str, request: RunContainer) -> float:
    """Seconds one create takes through `how` (`api` or `cli`); the container is removed afterwards."""
    create = create_with_api if how == "api" else create_with_cli
    started = time.perf_counter()
    created = await create(ctx, request)
    elapsed = time.perf_counter() - started
    await docker.containers.container(created).delete(force=True)
    return elapsed


async def timed_stop(docker: aiodocker.Docker, name: str) -> float:
    """Seconds a stop of a freshly started stoppable container takes (it is removed afterwards)."""
    container = await docker.containers.create({"Image": IMAGE, "Cmd": STOPPABLE}, name=name)
    await container.start()
    await asyncio.sleep(0.2)  # the shell has set its trap
    started = time.perf_counter()
    await container.stop(t=10)
    elapsed = time.perf_counter() - started
    await container.delete(force=True)
    return elapsed


async def run(count: int) -> None:
    tag = uuid.uuid4().hex[:8]
    name = f"bench-create-{tag}"
    request = RunContainer(
        name=name,
        image=IMAGE,
        network="bridge",
        ports=["127.0.0.1::80"],
        labels=["bench=create"],
        environment=["GREETING=one"],
        command=STOPPABLE,
    )
    ctx = AgentContext.build(AgentConfig(settings=Settings(), server_id="bench"))
    docker = aiodocker.Docker()
    samples: dict[str, list[float]] = {"api": [], "cli": [], "stop": []}
    try:
        await timed_create(ctx, docker, "api", request)  # untimed: connections and the CLI's caches warm
        await timed_create(ctx, docker, "cli", request)
        for _ in range(count):
            samples["api"].append(await timed_create(ctx, docker, "api", request))
            samples["cli"].append(await timed_create(ctx, docker, "cli", request))
            samples["stop"].append(await timed_stop(docker, f"{name}-stop"))
    finally:
        for leftover in (name, f"{name}-stop"):
            with contextlib.suppress(aiodocker.DockerError):
                await docker.containers.container(leftover).delete(force=True)
        await docker.close()
        await ctx.close()
    print(f"creates per case: {count} (in turn)")
    print(f"{'case':<58}{'p50 ms':>10}{'p90 ms':>10}")
    for label, key in (
        ("create through the Engine API (no extra_args)", "api"),
        ("create with docker create (extra_args)", "cli"),
        ("stop of the previous container (overlaps the create)", "stop"),
    ):
        values = samples[key]
        print(f"{label:<58}{percentile(values, 50) * 1e3:>10.0f}{percentile(values, 90) * 1e3:>10.0f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", "--count", type=int, default=30, help="timed runs per case (default 30)")
    asyncio.run(run(parser.parse_args().count))
