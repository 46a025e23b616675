"""Time of a `Deploy` through the gateway's HTTP API until the new container runs, beside raw Docker create + start.

Starts nats-server and nx-27017 on free ports (or uses BENCH_NATS_URL / BENCH_MONGO_URL), runs the registry, the
executor, the gateway and an agent for this host as their own processes, logs in as the init admin and creates
an API key, a server and a Deployment (`local/busybox:1`, bridge network, a shell that sleeps and exits at
once on SIGTERM, a unique name). Each timed deploy is what a Komodo client does: POST /execute `Deploy` with
the API key, then wait until the Update is Complete: on the update stream `/ws/update` (logged in before the
first deploy), as Komodo's UI waits, or with `--poll`, POST /read `GetUpdate` every 20 ms. The stream is the
default because the peer does not poll either: a poll adds half its interval and a read to each figure. Docker's
inspect then checks that a new container (a new id) runs (not timed: the peer is not checked either). The agent
keeps the previous container aside until the new one runs, so each deploy replaces the container.

The peer is the floor of the same work from Python: aiodocker removes the previous container (`rm -f`), then
`containers.create` + `start` of the same container (image, command, network, restart, stop signal and
timeout). The agent creates through the Engine API as well (the deployment has no `extra_args`; with them it
would run `docker create`), then starts. One untimed deploy of each comes first, so every timed one replaces a
container. Every container is removed at the end.

`--fresh` removes both containers (untimed) before each timed run instead, so each deploy creates a container
where there was none: no previous one to stop, so the create is no longer hidden behind its stop.

`--cli` gives the deployment the extra argument `--pull=never` (which changes nothing: the agent passes
`--pull never` already), so the agent creates with `docker create` as it does for any deployment with
`extra_args` (and as it did for all before it created through the Engine API).

    .venv/bin/python bench/deploy.py [-n 20] [--poll] [--fresh] [--cli]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shlex
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import aiodocker

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._system import SERVER, Client, report, running_system
from bench._updates import UpdateStream, update_stream

PREVIOUS_SUFFIX = "-previous"
"""The name the agent keeps a replaced container under until the new one runs (removed at the end too)."""
IMAGE = "local/busybox:1"
COMMAND = "sh -c 'trap \"exit 0\" TERM; sleep 3600 & wait'"
"""Sleeps, and ends at once on SIGTERM (a bare `sleep` as PID 1 ignores it and every replace would wait 10 s)."""


async def running_id(docker: aiodocker.Docker, name: str) -> str:
    """The id of the running container of that name; empty when there is none or it does not run."""
    try:
        shown = await (await docker.containers.get(name)).show()
    except aiodocker.DockerError:
        return ""
    return str(shown["Id"]) if shown["State"]["Running"] else ""


async def remove(docker: aiodocker.Docker, name: str) -> None:
    """Remove the container of that name, if there is one."""
    with contextlib.suppress(aiodocker.DockerError):
        await docker.containers.container(name).delete(force=True)


async def deploy_once(
    client: Client, docker: aiodocker.Docker, name: str, stream: UpdateStream | None, fresh: bool = False
) -> float:
    """Seconds from POST /execute Deploy until its Update is Complete (seen on the stream, or polled without
    one); an error unless a new container runs then. `fresh`: the container is removed first (untimed)."""
    if fresh:
        await remove(docker, name)
    before = await running_id(docker, name)
    started = time.perf_counter()
    if stream is not None:
        await stream.execute(client, "Deploy", {"deployment": name})
    else:
        await client.execute("Deploy", {"deployment": name})
    elapsed = time.perf_counter() - started
    now = await running_id(docker, name)
    if not now or now == before:
        raise RuntimeError("the deploy did not replace the container")
    return elapsed


async def peer_once(docker: aiodocker.Docker, body: dict[str, Any], name: str, fresh: bool = False) -> float:
    """Seconds to remove the previous container and create + start the same one with aiodocker (`fresh`: the
    previous one is removed before the clock starts)."""
    if fresh:
        await remove(docker, name)
    started = time.perf_counter()
    with contextlib.suppress(aiodocker.DockerError):
        await (await docker.containers.get(name)).delete(force=True)
    container = await docker.containers.create(body, name=name)
    await container.start()
    return time.perf_counter() - started


async def run(count: int, poll: bool, fresh: bool, cli: bool) -> None:
    tag = uuid.uuid4().hex[:8]
    ours, peer_name = f"bench-deploy-{tag}", f"bench-peer-{tag}"
    docker = aiodocker.Docker()
    ours_samples: list[float] = []
    peer_samples: list[float] = []
    try:
        async with running_system(f"deploy_{tag}") as client:
            config = {
                "server_id": SERVER,
                "image": {"type": "Image", "params": {"image": IMAGE}},
                "network": "bridge",
                "command": COMMAND,
                "extra_args": ["--pull=never"] if cli else [],
            }
            await client.ask("write", "CreateDeployment", {"name": ours, "config": config})
            # The body `docker create` sends for the deployment's container (what the agent runs).
            body = {
                "Image": IMAGE,
                "Cmd": shlex.split(COMMAND),
                "StopSignal": "SIGTERM",
                "StopTimeout": 10,
                "HostConfig": {"NetworkMode": "bridge", "RestartPolicy": {"Name": "no"}},
            }
            async with contextlib.AsyncExitStack() as stack:
                stream = None if poll else await stack.enter_async_context(update_stream(client))
                await deploy_once(client, docker, ours, stream)  # untimed: later ones replace a container
                await peer_once(docker, body, peer_name)
                for _ in range(count):
                    ours_samples.append(await deploy_once(client, docker, ours, stream, fresh))
                    peer_samples.append(await peer_once(docker, body, peer_name, fresh))
    finally:
        for name in (ours, ours + PREVIOUS_SUFFIX, peer_name):
            with contextlib.suppress(aiodocker.DockerError):
                await (await docker.containers.get(name)).delete(force=True)
        await docker.close()

    waited = "poll GetUpdate every 20 ms" if poll else "Complete on /ws/update"
    each = (
        f"each on a host without the {IMAGE} container"
        if fresh
        else f"each replacing a running {IMAGE} container"
    )
    report(
        f"deploys per case: {count} (sequential, {each})",
        (f"Deploy{' (docker create)' if cli else ''} over HTTP (execute, {waited})", ours_samples),
        (
            "peer: aiodocker create + start" if fresh else "peer: aiodocker rm -f + create + start",
            peer_samples,
        ),
        "ratio Deploy / peer",
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", "--count", type=int, default=20, help="timed runs per case (default 20)")
    parser.add_argument(
        "--poll", action="store_true", help="poll GetUpdate every 20 ms instead of the stream"
    )
    parser.add_argument(
        "--fresh", action="store_true", help="remove the containers (untimed) before each run: no replace"
    )
    parser.add_argument(
        "--cli",
        action="store_true",
        help="an extra argument that changes nothing, so the agent runs docker create",
    )
    args = parser.parse_args()
    asyncio.run(run(args.count, args.poll, args.fresh, args.cli))
