"""Time of a `DeployStack` through the gateway's HTTP API until its containers run, beside raw `docker compose up`.

Starts the whole system as `bench/deploy.py` does (nats-server, nx-27017, registry, executor, gateway and an
agent for this host, or BENCH_NATS_URL / BENCH_MONGO_URL), and creates a UI-defined Stack of two
`local/busybox:1` services (nothing pulled) whose environment changes before every deploy, so each deploy
recreates both containers. A timed deploy is what a Komodo client does: POST /execute `DeployStack`, then wait
until the Update is Complete on the update stream `/ws/update` (or, with `--poll`, POST /read `GetUpdate`
every 20 ms; see `bench/deploy.py` for why the stream is the default); then, untimed, `docker compose ps` must
show both running. On the agent that is: write the compose and env files, `docker compose config` (two at
once: as written and interpolated), `docker compose up -d`, the compose plugin run without the docker CLI in
front.

The peer is the same work by hand in a shell: write the env file, then `docker compose -p <peer> -f compose.yaml
--env-file .env up -d` of the same files. One untimed deploy of each comes first. Both projects are taken down
at the end.

    .venv/bin/python bench/stack_deploy.py [-n 20] [--poll]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._system import SERVER, Client, report, running_system
from bench._updates import UpdateStream, update_stream

IMAGE = "local/busybox:1"
COMPOSE = "services:\n" + "".join(
    f"  {service}:\n"
    f"    image: {IMAGE}\n"
    "    pull_policy: never\n"
    "    command: ['sh', '-c', 'trap \"exit 0\" TERM; sleep 3600 & wait']\n"
    "    environment:\n"
    "      RUN: ${RUN}\n"
    for service in ("web", "worker")
)
"""Two services that end at once on SIGTERM and take `RUN` from the env file (a new value recreates them)."""


def compose(*args: str, cwd: str = "/") -> str:
    """`docker compose` with these arguments; its stdout (an error with its stderr when it fails)."""
    done = subprocess.run(
        ["docker", "compose", *args], capture_output=True, text=True, timeout=300, cwd=cwd, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"docker compose {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


def running(project: str) -> int:
    """How many of the project's containers run."""
    rows = compose("-p", project, "ps", "--format", "json").splitlines()
    return sum(1 for row in rows if row.strip() and json.loads(row).get("State") == "running")


async def deploy_once(client: Client, name: str, run: int, stream: UpdateStream | None) -> float:
    """Seconds from POST /execute DeployStack (after the environment changed) until its Update is Complete;
    an error unless both services run then."""
    await client.ask("write", "UpdateStack", {"id": name, "config": {"environment": f"RUN={run}\n"}})
    started = time.perf_counter()
    if stream is not None:
        await stream.execute(client, "DeployStack", {"stack": name})
    else:
        await client.execute("DeployStack", {"stack": name})
    elapsed = time.perf_counter() - started
    if running(name) != 2:
        raise RuntimeError(f"stack {name} does not run both services after its deploy")
    return elapsed


def peer_once(folder: Path, project: str, run: int) -> float:
    """Seconds to write the env file and `docker compose up -d` the same files."""
    started = time.perf_counter()
    (folder / ".env").write_text(f"RUN={run}\n")
    compose("-p", project, "-f", "compose.yaml", "--env-file", ".env", "up", "-d", cwd=str(folder))
    return time.perf_counter() - started


async def run(count: int, poll: bool) -> None:
    tag = uuid.uuid4().hex[:8]
    ours, peer = f"bench-stack-{tag}", f"bench-stack-peer-{tag}"
    folder = Path(tempfile.mkdtemp(prefix="varanus-bench-compose-"))
    (folder / "compose.yaml").write_text(COMPOSE)
    ours_samples: list[float] = []
    peer_samples: list[float] = []
    try:
        async with running_system(f"stack_{tag}", tempfile.mkdtemp(prefix="varanus-bench-stacks-")) as client:
            config = {"server_id": SERVER, "file_contents": COMPOSE, "auto_pull": False}
            await client.ask("write", "CreateStack", {"name": ours, "config": config})
            async with contextlib.AsyncExitStack() as stack:
                stream = None if poll else await stack.enter_async_context(update_stream(client))
                await deploy_once(client, ours, 0, stream)  # untimed: later ones recreate running containers
                peer_once(folder, peer, 0)
                for run_number in range(1, count + 1):
                    ours_samples.append(await deploy_once(client, ours, run_number, stream))
                    peer_samples.append(peer_once(folder, peer, run_number))
    finally:
        for project in (ours, peer):
            subprocess.run(
                ["docker", "compose", "-p", project, "down", "-t", "1"],
                capture_output=True,
                timeout=120,
                check=False,
                cwd="/",
            )

    report(
        f"deploys per case: {count} (sequential, each recreating 2 running {IMAGE} services)",
        (
            f"DeployStack over HTTP (execute, {'poll GetUpdate' if poll else 'Complete on /ws/update'})",
            ours_samples,
        ),
        ("peer: write .env + docker compose up -d", peer_samples),
        "ratio DeployStack / peer",
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", "--count", type=int, default=20, help="timed runs per case (default 20)")
    parser.add_argument(
        "--poll", action="store_true", help="poll GetUpdate every 20 ms instead of the stream"
    )
    args = parser.parse_args()
    asyncio.run(run(args.count, args.poll))
