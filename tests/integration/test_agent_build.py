# ruff: noqa: F811  (pytest fixtures imported from their shared modules are parameters here)
"""Image builds on the agent (BuildImage, CancelImageBuild) with the real Docker engine and its BuildKit, a
repository on `tests.git_server`, and the htpasswd `docker_registry`. Every Dockerfile starts
`FROM local/busybox:1`: nothing is pulled from the internet. Tags are unique per test and removed afterwards.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import nats
import pytest

from contracts.api.agent import build as api
from contracts.api.agent.container import RegistryAuth
from contracts.api.agent.repo import PullRepoOnHost, RepoLocation
from contracts.subjects import STATUS_HEADER
from services.agent.app import Agent
from services.agent.context import AgentContext
from services.agent.handlers import build as handlers
from services.agent.handlers import repo as repo_handlers
from services.agent.image_build.cli import find_build_cli
from services.agent.settings import AgentConfig
from services.common.errors import BadRequest
from tests.conftest import DockerRegistry
from tests.git_server import GitServer, git_server  # noqa: F401
from tests.integration.agent_repos import (  # noqa: F401
    agent_config,
    ctx,
    everything_text,
    repo_on_host,
    stages,
    unique,
)

pytestmark = pytest.mark.docker

SECRET = "build-secret-" + os.urandom(6).hex()
DOCKERFILE = """FROM local/busybox:1
ARG VERSION
RUN echo "$VERSION" > /version.txt
RUN --mount=type=secret,id=API_TOKEN test "$(sha256sum < /run/secrets/API_TOKEN)" = "{digest}  -" && echo secret-mounted-ok
CMD ["cat", "/version.txt"]
"""


def docker_cli(
    *args: str, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["docker", *args], capture_output=True, text=True, timeout=120, check=False, env=env, input=stdin
    )


def has_image(tag: str) -> bool:
    return docker_cli("image", "inspect", tag).returncode == 0


def scratch_left(key: str) -> list[str]:
    """Temporary folders of the build `key` still there."""
    return [name for name in os.listdir(tempfile.gettempdir()) if name.startswith(f"varanus-build-{key}-")]


@pytest.fixture
def tags() -> Iterator[list[str]]:
    """Image tags to remove at the end, whatever happened."""
    made: list[str] = []
    yield made
    if made:
        docker_cli("image", "rm", "-f", *made)


async def checkout(
    ctx: AgentContext, server: GitServer, files: dict[str, str], **fields: object
) -> RepoLocation:
    name = unique("img")
    server.create_repo(name, files, **fields)  # type: ignore[arg-type]
    response = await repo_handlers.pull(ctx, PullRepoOnHost(repo=repo_on_host(server, name)))
    assert response.logs[0].success, response.logs
    return RepoLocation(name=name)


async def test_a_repo_is_built_with_a_secret_pushed_and_pulled_back(
    ctx: AgentContext, git_server: GitServer, docker_registry: DockerRegistry, tags: list[str], tmp_path: Path
) -> None:
    location = await checkout(
        ctx,
        git_server,
        {"app/Dockerfile": DOCKERFILE.format(digest=hashlib.sha256(SECRET.encode()).hexdigest())},
    )
    image = f"{docker_registry.address}/varanus/{location.name}"
    wanted = [f"{image}:1.2.3", f"{image}:latest"]
    tags.extend(wanted)
    auth = RegistryAuth(
        server=docker_registry.address, username=docker_registry.username, password=docker_registry.password
    )
    key = unique("key")
    published: list[bytes] = []

    async def publish(subject: str, payload: bytes) -> None:
        published.append(payload)

    ctx.publish = publish
    request = api.BuildImage(
        build_key=key,
        repo=location,
        build_path="app",
        build_args={"VERSION": "1.2.3"},
        secret_args={"API_TOKEN": SECRET},
        labels={"org.varanus.build": location.name},
        tags=wanted,
        push=True,
        registries=[auth.model_copy(update={"password": "wrong-password"})],
        progress_subject=api.progress_subject(ctx.config.server_id, key),
    )
    # Refused credentials fail the build before it starts.
    refused = await handlers.build(ctx, request)
    assert stages(refused.logs) == ["Registry Login"], refused.logs
    assert "refused the login" in refused.logs[0].stderr and not refused.success
    assert not any(has_image(tag) for tag in wanted) and scratch_left(key) == []
    # A push that fails (here: a registry nobody listens on) removes the tags the build made.
    unreachable = [f"127.0.0.1:9/varanus/{location.name}:1.2.3"]
    tags.extend(unreachable)
    failed_push = await handlers.build(
        ctx, request.model_copy(update={"registries": [auth], "tags": unreachable})
    )
    assert stages(failed_push.logs) == ["Registry Login", "Build", "Push", "Remove Tags"], failed_push.logs
    assert not failed_push.success and failed_push.pushed == [] and failed_push.tags == []
    assert "127.0.0.1:9" in failed_push.logs[2].stderr and failed_push.logs[3].success
    assert not has_image(unreachable[0]) and scratch_left(key) == []

    # --no-cache: the secret step runs again (the positive control below), not taken from the cache.
    response = await handlers.build(
        ctx, request.model_copy(update={"registries": [auth], "extra_args": ["--no-cache"]})
    )
    assert response.success, response.logs
    assert stages(response.logs) == ["Registry Login", "Build", "Push", "Push"]
    assert response.pushed == wanted and response.tags == wanted and response.image_id
    build = response.logs[1]
    assert "secret-mounted-ok" in build.stdout + build.stderr  # the secret reached the RUN step
    assert "--secret id=API_TOKEN " in build.command and "src=" not in build.command
    text = everything_text(response, refused, failed_push, *published)
    assert SECRET not in text and docker_registry.password not in text
    assert scratch_left(key) == []
    lines = [line for payload in published for line in api.BuildProgress.model_validate_json(payload).lines]
    assert any("secret-mounted-ok" in line for line in lines)

    # Pulled back from the registry into a fresh tag space, with credentials of its own.
    docker_cli("image", "rm", *wanted)
    config = tmp_path / "docker-config"
    config.mkdir()
    env = {**os.environ, "DOCKER_CONFIG": str(config)}
    login = docker_cli(
        "login",
        docker_registry.address,
        "-u",
        docker_registry.username,
        "--password-stdin",
        env=env,
        stdin=docker_registry.password,
    )
    assert login.returncode == 0, login.stderr
    pulled = docker_cli("pull", wanted[0], env=env)
    assert pulled.returncode == 0, pulled.stderr
    assert docker_cli("run", "--rm", wanted[0]).stdout.strip() == "1.2.3"
    labels = json.loads(
        docker_cli("image", "inspect", "--format", "{{json .Config.Labels}}", wanted[0]).stdout
    )
    assert labels["org.varanus.build"] == location.name
    # The secret is in no layer: not in the history, not in the saved image (the version is, as a control).
    history = docker_cli("history", "--no-trunc", wanted[0]).stdout
    assert SECRET not in history and "API_TOKEN" in history
    saved = subprocess.run(["docker", "save", wanted[0]], capture_output=True, timeout=120, check=True).stdout
    assert SECRET.encode() not in saved
    assert b"1.2.3" in saved


async def test_a_broken_dockerfile_fails_with_the_failing_step(
    ctx: AgentContext, git_server: GitServer, tags: list[str]
) -> None:
    broken = "FROM local/busybox:1\nRUN echo first-step-ran\nRUN no-such-command-xyz --flag\n"
    location = await checkout(ctx, git_server, {"Dockerfile": broken})
    tag = f"varanus-test/{location.name}:1"
    tags.append(tag)
    key = unique("broken")
    response = await handlers.build(ctx, api.BuildImage(build_key=key, repo=location, tags=[tag]))
    assert not response.success and stages(response.logs) == ["Build"], response.logs
    output = response.logs[0].stdout + response.logs[0].stderr
    assert "no-such-command-xyz" in output and "first-step-ran" in output
    assert not has_image(tag) and response.tags == [] and scratch_left(key) == []


async def test_paths_that_leave_the_context_are_refused_before_anything_runs(
    ctx: AgentContext, agent_config: AgentConfig, git_server: GitServer, tmp_path: Path
) -> None:
    location = await checkout(
        ctx,
        git_server,
        {"Dockerfile": "FROM local/busybox:1\n"},
        symlinks={"etc": "/etc", "df": "/etc/hostname"},
    )
    refused: list[dict[str, object]] = [
        {"repo": location, "build_path": "etc"},
        {"repo": location, "dockerfile_path": "df"},
        {"repo": location, "build_path": ".git"},
        {"repo": RepoLocation(name="never-cloned")},
        {"host_directory": "/etc"},
        {"host_directory": str(tmp_path / "host" / "missing")},
        {
            "dockerfile": "FROM local/busybox:1\n",
            "progress_subject": api.progress_subject("other-server", "x"),
        },
    ]
    for fields in refused:
        with pytest.raises(BadRequest):
            await handlers.build(
                ctx, api.BuildImage.model_validate({"build_key": "k", "tags": ["x:1"], **fields})
            )
    assert scratch_left("k") == []
    for fields in (
        {"repo": location, "build_path": "../.."},
        {"repo": location, "dockerfile_path": "../Dockerfile"},
        {"repo": location, "dockerfile_path": "/etc/passwd"},
        {"repo": location, "host_directory": str(tmp_path / "host")},
        {},
        {"dockerfile": "x", "progress_subject": "komodo.agent.x.BuildImage"},
        {"dockerfile": "x", "secret_args": {"a b": "x"}},
    ):
        with pytest.raises(ValueError):
            api.BuildImage.model_validate({"build_key": "k", "tags": ["x:1"], **fields})


async def test_cancel_stops_the_build_and_leaves_nothing(ctx: AgentContext, tags: list[str]) -> None:
    tag = f"varanus-test/{unique('cancel')}:1"
    tags.append(tag)
    key = unique("cancel")
    published: list[api.BuildProgress] = []

    async def publish(subject: str, payload: bytes) -> None:
        published.append(api.BuildProgress.model_validate_json(payload))

    ctx.publish = publish
    request = api.BuildImage(
        build_key=key,
        dockerfile="FROM local/busybox:1\nRUN --mount=type=secret,id=S echo sleeping-now && sleep 1187\n",
        secret_args={"S": SECRET},
        tags=[tag],
        progress_subject=api.progress_subject(ctx.config.server_id, key),
    )
    task = asyncio.create_task(handlers.build(ctx, request))
    deadline = time.monotonic() + 60
    while not any("sleeping-now" in line for batch in published for line in batch.lines):
        assert time.monotonic() < deadline and not task.done(), published
        await asyncio.sleep(0.1)
    assert scratch_left(key), "the build's temporary folder exists while it runs (positive control)"
    # The echo comes just before the sleep starts: the process may take a moment to show.
    deadline = time.monotonic() + 10
    while (
        "sleep 1187"
        not in subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=True).stdout
    ):
        assert time.monotonic() < deadline, "the step runs on this host (positive control)"
        await asyncio.sleep(0.1)
    assert await handlers.cancel(ctx, api.CancelImageBuild(build_key=key)) is True
    started = time.monotonic()
    response = await asyncio.wait_for(task, 30)
    assert time.monotonic() - started < 15
    assert response.cancelled and not response.success and stages(response.logs)[-1] == "Cancel"
    assert scratch_left(key) == [] and not has_image(tag)
    assert SECRET not in everything_text(response, *published)
    assert await handlers.cancel(ctx, api.CancelImageBuild(build_key=key)) is False
    # No build process is left behind: neither the CLI nor the step BuildKit was running.
    deadline = time.monotonic() + 20
    while True:
        ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=True).stdout
        if tag not in ps and "sleep 1187" not in ps:
            break
        assert time.monotonic() < deadline, [
            line for line in ps.splitlines() if "1187" in line or tag in line
        ]
        await asyncio.sleep(0.2)


async def test_progress_lines_arrive_before_the_answer_over_the_bus(
    agent_config: AgentConfig, tags: list[str]
) -> None:
    agent = Agent(agent_config)
    await agent.start()
    nc = await nats.connect(agent_config.settings.nats_url)
    events: list[tuple[str, object]] = []
    try:
        key = unique("bus")
        subject = api.progress_subject(agent_config.server_id, key)

        async def on_progress(msg: object) -> None:
            events.append(("progress", api.BuildProgress.model_validate_json(msg.data)))  # type: ignore[attr-defined]

        await nc.subscribe(subject, cb=on_progress)
        tag = f"varanus-test/{key}:1"
        tags.append(tag)
        request = api.BuildImage(
            build_key=key,
            dockerfile=f"FROM local/busybox:1\nRUN echo step-one {key} && sleep 2 && echo step-two\n",
            tags=[tag],
            progress_subject=subject,
        )
        reply = await nc.request(
            api.BuildImage.subject_for(agent_config.server_id),
            request.model_dump_json().encode(),
            timeout=120,
        )
        events.append(("answer", reply))
        assert (reply.headers or {}).get(STATUS_HEADER) == "200", reply.data
        answer = api.BuildImageResponse.model_validate_json(reply.data)
        assert answer.success and answer.tags == [tag], answer.logs
        progress = [event for kind, event in events[:-1] if kind == "progress"]
        lines = [line for batch in progress for line in batch.lines]  # type: ignore[attr-defined]
        assert any("step-one" in line for line in lines) and any("step-two" in line for line in lines)
        assert len(progress) >= 2 and [b.seq for b in progress] == list(range(len(progress)))  # type: ignore[attr-defined]

        # use_buildx without buildx on the host: a clear failed Log.
        if not await _has_buildx(agent_config):
            body = request.model_copy(
                update={"use_buildx": True, "build_key": unique("bx")}
            ).model_dump_json()
            reply = await nc.request(
                api.BuildImage.subject_for(agent_config.server_id), body.encode(), timeout=60
            )
            answer = api.BuildImageResponse.model_validate_json(reply.data)
            assert not answer.success and "buildx is not installed" in answer.logs[-1].stderr
    finally:
        await nc.close()
        await agent.stop()


async def _has_buildx(config: AgentConfig) -> bool:
    try:
        await find_build_cli(config.docker_cli, use_buildx=True)
    except Exception:
        return False
    return True


async def test_a_host_folder_and_a_ui_dockerfile_as_contexts(
    ctx: AgentContext, agent_config: AgentConfig, tags: list[str]
) -> None:
    folder = agent_config.host_directories[0] / "site"
    (folder / "web" / "docker").mkdir(parents=True)
    (folder / "web" / "index.html").write_text("hello from the host\n")
    (folder / "web" / "docker" / "Dockerfile").write_text("FROM local/busybox:1\nCOPY index.html /srv/\n")
    tag = f"varanus-test/{unique('host')}:1"
    tags.append(tag)
    response = await handlers.build(
        ctx,
        api.BuildImage(
            build_key=unique("host"),
            host_directory=str(folder),
            build_path="web",
            dockerfile_path="docker/Dockerfile",
            tags=[tag],
        ),
    )
    assert response.success, response.logs
    assert docker_cli("run", "--rm", tag, "cat", "/srv/index.html").stdout == "hello from the host\n"

    # A UI-defined Dockerfile replaces the folder's own, with the folder as its context.
    ui = "FROM local/busybox:1\nCOPY index.html /ui/\nRUN echo ui-defined > /ui/marker\n"
    response = await handlers.build(
        ctx,
        api.BuildImage(
            build_key=unique("ui"), host_directory=str(folder), build_path="web", dockerfile=ui, tags=[tag]
        ),
    )
    assert stages(response.logs) == ["Write Dockerfile", "Build"] and response.success, response.logs
    assert docker_cli("run", "--rm", tag, "cat", "/ui/marker", "/ui/index.html").stdout == (
        "ui-defined\nhello from the host\n"
    )
