"""Time of a `Deploy` through the gateway's HTTP API until the new container runs, beside raw Docker create + start.

Starts nats-server and nx-27017 on free ports (or uses BENCH_NATS_URL / BENCH_MONGO_URL), runs the registry, the
executor, the gateway and an agent for this host as their own processes, logs in as the init admin and creates
an API key, a server and a Deployment (`local/busybox:1`, bridge network, a shell that sleeps and exits at
once on SIGTERM, a unique name). Each timed deploy is what a Komodo client does: POST /execute `Deploy` with
the API key, then POST /read `GetUpdate` every 20 ms until the Update is Complete, then Docker's inspect says
the new container (a new id) runs. The agent keeps the previous container aside until the new one runs, so
each deploy replaces the container.

The peer is the floor of the same work from Python: aiodocker removes the previous container (`rm -f`), then
`containers.create` + `start` of the same container (image, command, network, restart, stop signal and
timeout). The agent creates with the docker CLI (`docker create`, as Komodo's `docker run`), then starts. One untimed deploy of each comes
first, so every timed one replaces a container. Every container is removed at the end.

    .venv/bin/python bench/deploy.py [-n 20]
"""

from __future__ import annotations

import contextlib
import shlex
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import aiodocker

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._system import SERVER, Client, cli, report, running_system

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


async def deploy_once(client: Client, docker: aiodocker.Docker, name: str) -> float:
    """Seconds from POST /execute Deploy until its Update is Complete and a new container runs."""
    before = await running_id(docker, name)
    started = time.perf_counter()
    update = await client.execute("Deploy", {"deployment": name})
    now = await running_id(docker, name)
    elapsed = time.perf_counter() - started
    if not now or now == before:
        raise RuntimeError(f"the deploy did not replace the container: {update['logs']}")
    return elapsed


async def peer_once(docker: aiodocker.Docker, body: dict[str, Any], name: str) -> float:
    """Seconds to remove the previous container and create + start the same one with aiodocker."""
    started = time.perf_counter()
    with contextlib.suppress(aiodocker.DockerError):
        await (await docker.containers.get(name)).delete(force=True)
    container = await docker.containers.create(body, name=name)
    await container.start()
    return time.perf_counter() - started


async def run(count: int) -> None:
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
            await deploy_once(client, docker, ours)  # untimed: later ones replace a container
            await peer_once(docker, body, peer_name)
            for _ in range(count):
                ours_samples.append(await deploy_once(client, docker, ours))
                peer_samples.append(await peer_once(docker, body, peer_name))
    finally:
        for name in (ours, ours + PREVIOUS_SUFFIX, peer_name):
            with contextlib.suppress(aiodocker.DockerError):
                await (await docker.containers.get(name)).delete(force=True)
        await docker.close()

    report(
        f"deploys per case: {count} (sequential, each replacing a running {IMAGE} container)",
        ("Deploy over HTTP (execute, poll GetUpdate, container runs)", ours_samples),
        ("peer: aiodocker rm -f + create + start", peer_samples),
        "ratio Deploy / peer",
    )


if __name__ == "__main__":
    cli(__doc__, run)
