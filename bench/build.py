"""Time of a `RunBuild` through the gateway's HTTP API until its Update is Complete, beside `docker build` +
`docker push` of the same context by hand.

Starts nats-server and nx-27017 (`bench/_servers.py`), the registry, executor, gateway, builder and an agent for
this host as their own processes, a git server (`tests/git_server.py`, token auth) holding the context (a
Dockerfile `FROM local/busybox:1` with `ARG VERSION` and a `RUN` step that uses it, plus two files it copies),
and Debian's docker-registry with htpasswd auth on a free port. The Build (Server builder on this host,
`auto_increment_version`, the registry with its stored account) is run as a Komodo client does: POST /execute
`RunBuild`, then POST /read `GetUpdate` every 20 ms until it is Complete. Each run clones the repository,
builds (the RUN step runs again: VERSION changes) and pushes Komodo's five tags (`latest`, `0.1.N`, `0.1`, `0`,
the commit's hash).

The peer is the same by hand, from a checkout made once: the same docker CLI the agent builds with (BuildKit),
`docker build` with the same five tags and `--build-arg VERSION=peer-<n>` (a value RunBuild never used, so
the RUN step runs rather than hit RunBuild's cache; `config.txt` holds a token of the invocation, so no earlier
invocation's cache serves either), then `docker push` of each tag, logged
in once beforehand in a private `DOCKER_CONFIG`. One untimed run of each comes first (base image, registry
warm). Every image is removed at the end.

    .venv/bin/python bench/build.py [-n 20]
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._system import SERVER, Client, cli, report, running_system
from services.agent.image_build.cli import find_build_cli
from services.common import embedded
from tests.git_server import GitServer, serving

DOCKERFILE = """FROM local/busybox:1
ARG VERSION
COPY app.txt config.txt /srv/
RUN echo "built $VERSION" > /srv/version && cat /srv/app.txt /srv/config.txt >> /srv/version
"""
FILES = {"Dockerfile": DOCKERFILE, "app.txt": "hello from the app\n", "config.txt": "setting=1\n"}


@contextlib.contextmanager
def docker_registry() -> Iterator[tuple[str, str, str]]:
    """Debian's docker-registry on 127.0.0.1:<free port> with one htpasswd user: (address, user, password)."""
    binary, htpasswd = shutil.which("docker-registry"), shutil.which("htpasswd")
    if binary is None or htpasswd is None:
        raise SystemExit("docker-registry or htpasswd is missing: run ./run test-env")
    folder = Path(tempfile.mkdtemp(prefix="varanus-bench-registry-"))
    password = secrets.token_urlsafe(16)
    entry = subprocess.run(
        [htpasswd, "-Bbn", "bench", password], capture_output=True, text=True, check=True, timeout=30
    )
    (folder / "htpasswd").write_text(entry.stdout)
    port = embedded.free_port()
    (folder / "config.yml").write_text(
        "version: 0.1\n"
        f"storage:\n  filesystem:\n    rootdirectory: {folder / 'data'}\n"
        f"http:\n  addr: 127.0.0.1:{port}\n"
        f"auth:\n  htpasswd:\n    realm: varanus\n    path: {folder / 'htpasswd'}\n"
    )
    log = folder / "registry.log"
    with log.open("ab") as handle:
        proc = subprocess.Popen(
            [binary, "serve", str(folder / "config.yml")], stdout=handle, stderr=subprocess.STDOUT
        )
    try:
        embedded.wait_for_port(port, proc, "docker-registry", log)
        yield f"127.0.0.1:{port}", "bench", password
    finally:
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(folder, ignore_errors=True)


async def run_build_once(client: Client, name: str) -> tuple[float, dict[str, float]]:
    """Seconds from POST /execute RunBuild until its Update is Complete (a success), and each stage's wall-clock
    seconds (the pushes of several tags overlap: from the first start to the last end)."""
    started = time.perf_counter()
    update = await client.execute("RunBuild", {"build": name})
    elapsed = time.perf_counter() - started
    spans: dict[str, tuple[int, int]] = {}
    for log in update["logs"]:
        first, last = spans.get(log["stage"], (log["start_ts"], log["end_ts"]))
        spans[log["stage"]] = (min(first, log["start_ts"]), max(last, log["end_ts"]))
    return elapsed, {stage: (end - start) / 1000 for stage, (start, end) in spans.items()}


def peer_once(
    argv: list[str], env: dict[str, str], context: Path, tags: list[str], version: str
) -> tuple[float, float]:
    """Seconds to `docker build` the context with every tag, then `docker push` each tag; and of the build."""
    started = time.perf_counter()
    build = [*argv, "--build-arg", f"VERSION={version}", *(f"-t{tag}" for tag in tags), str(context)]
    subprocess.run(build, env=env, check=True, capture_output=True)
    built = time.perf_counter() - started
    docker = argv[0]
    for tag in tags:
        subprocess.run([docker, "push", tag], env=env, check=True, capture_output=True)
    return time.perf_counter() - started, built


async def run(count: int) -> None:
    tag = uuid.uuid4().hex[:8]
    ours, peer = f"bench-build-{tag}", f"bench-peer-{tag}"
    found = await find_build_cli(os.environ.get("VARANUS_AGENT_DOCKER_CLI"), use_buildx=False)
    ours_samples: list[float] = []
    peer_samples: list[float] = []
    peer_builds: list[float] = []
    stage_samples: dict[str, list[float]] = {}
    peer_tags: list[str] = []
    repo_root = Path(tempfile.mkdtemp(prefix="varanus-bench-repos-"))
    config_dir = Path(tempfile.mkdtemp(prefix="varanus-bench-docker-"))
    git: GitServer
    with serving() as git, docker_registry() as (address, user, password):
        # A file unique to this invocation: BuildKit's cache of an earlier one cannot serve the RUN step.
        commit = git.create_repo(ours, {**FILES, "config.txt": f"setting=1\nrun={tag}\n"})
        env_extra = {"VARANUS_AGENT_REPO_DIR": str(repo_root)}
        async with running_system(f"build_{tag}", extra=("builder",), env_extra=env_extra) as client:
            domain = git.base_url.removeprefix("http://")
            git_account = {"domain": domain, "https": False, "username": git.username, "token": git.token}
            await client.ask("write", "CreateGitProviderAccount", {"account": git_account})
            registry_account = {"domain": address, "username": user, "token": password}
            await client.ask("write", "CreateImageRegistryAccount", {"account": registry_account})
            await client.ask(
                "write",
                "CreateBuilder",
                {"name": "bench-builders", "config": {"type": "Server", "params": {"server_ids": [SERVER]}}},
            )
            config = {
                "builder_id": "bench-builders",
                "git_provider": domain,
                "git_https": False,
                "git_account": git.username,
                "repo": ours,
                "version": "0.1.0",
                "image_registry": [{"domain": address, "account": user, "organization": "bench"}],
            }
            await client.ask("write", "CreateBuild", {"name": ours, "config": config})

            # The peer: a checkout made once, a login made once, the same CLI and the same five tags.
            context = repo_root / "peer-checkout"
            subprocess.run(
                [
                    "git",
                    "clone",
                    "-q",
                    git.url(ours).replace("http://", f"http://{git.username}:{git.token}@"),
                    str(context),
                ],
                check=True,
                capture_output=True,
            )
            peer_env = {**os.environ, **dict(found.env), "DOCKER_CONFIG": str(config_dir)}
            subprocess.run(
                [found.docker, "login", "-u", user, "--password-stdin", address],
                input=password.encode(),
                env=peer_env,
                check=True,
                capture_output=True,
            )
            argv = [*found.build]

            def tags_for(patch: int) -> list[str]:
                repository = f"{address}/bench/{peer}"
                names = ["latest", f"0.1.{patch}", "0.1", "0", commit[:7]]
                return [f"{repository}:{name}" for name in names]

            await run_build_once(client, ours)  # untimed: warms the base image, the registry, the clone path
            peer_once(argv, peer_env, context, tags_for(1), "peer-1")
            for index in range(count):
                elapsed, stages = await run_build_once(client, ours)
                ours_samples.append(elapsed)
                for stage, seconds in stages.items():
                    stage_samples.setdefault(stage, []).append(seconds)
                peer_tags = tags_for(index + 2)
                total, built = await asyncio.to_thread(
                    peer_once, argv, peer_env, context, peer_tags, f"peer-{index + 2}"
                )
                peer_samples.append(total)
                peer_builds.append(built)
    subprocess.run(
        f"docker image ls --format '{{{{.Repository}}}}:{{{{.Tag}}}}' | grep -E '/bench/bench-(build|peer)-{tag}:'"
        " | xargs -r docker image rm -f",
        shell=True,
        capture_output=True,
        check=False,
    )
    shutil.rmtree(repo_root, ignore_errors=True)
    shutil.rmtree(config_dir, ignore_errors=True)

    report(
        f"builds per case: {count} (sequential; clone, build with a RUN step, push 5 tags to {address})",
        ("RunBuild over HTTP (execute, poll GetUpdate until Complete)", ours_samples),
        ("peer: docker build + docker push of each tag, by hand", peer_samples),
        "ratio RunBuild / peer",
    )
    print("RunBuild's stages (mean s, from the Update's logs):")
    for stage, samples in stage_samples.items():
        print(f"  {stage:<40}{sum(samples) / len(samples):>8.3f}")
    build_mean = sum(peer_builds) / len(peer_builds)
    print(
        f"peer's stages (mean s): build {build_mean:.3f}, push {sum(peer_samples) / len(peer_samples) - build_mean:.3f}"
    )


if __name__ == "__main__":
    cli(__doc__, run)
