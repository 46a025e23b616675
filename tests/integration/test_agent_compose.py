"""Compose stacks on the agent with the real Docker engine, the real `docker compose` v2 plugin, a real git
server (`tests.git_server`) and a real registry (`docker_registry`).

Every project name is unique (`varanus-compose-test-...`) and each test's projects are taken down in the
fixture's teardown. Compose files use `local/busybox:1` with `pull_policy: never`: nothing is pulled from the
internet.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import stat
import subprocess
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest
from nats.aio.client import Client as NatsClient

from contracts.api.agent import compose as api
from contracts.api.agent.container import RegistryAuth
from contracts.entities.common import SearchCombinator
from contracts.entities.update import Log
from contracts.subjects import STATUS_HEADER
from services.agent.app import Agent
from services.agent.context import AgentContext
from services.agent.handlers import compose as handlers
from services.agent.settings import AgentConfig
from services.common import embedded
from services.common.errors import BadRequest
from services.common.settings import Settings
from tests.conftest import DockerRegistry
from tests.git_server import GitServer, git_server  # noqa: F401

pytestmark = pytest.mark.docker

IMAGE = "local/busybox:1"
# PID 1 ignores SIGTERM unless it handles it: this one exits on it at once.
LOOP = "trap 'exit 0' TERM; while :; do sleep 1; done"


def project_name() -> str:
    return f"varanus-compose-test-{uuid.uuid4().hex[:8]}"


def busybox(command: str, extra: str = "") -> str:
    """A compose file with one busybox service `app` running `command` in sh."""
    return (
        "services:\n"
        "  app:\n"
        f"    image: {IMAGE}\n"
        "    pull_policy: never\n"
        f"    command: [sh, -c, {json.dumps(command)}]\n"
        f"{extra}"
    )


def docker_cli(*args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> str:
    result = subprocess.run(
        ["docker", *args], capture_output=True, text=True, timeout=120, check=False, env=env, input=stdin
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def states(project: str) -> dict[str, str]:
    """Service -> state of the project's containers (`docker compose ps -a`)."""
    out = docker_cli("compose", "-p", project, "ps", "-a", "--format", "json")
    rows = [json.loads(line) for line in out.splitlines() if line.strip()]
    return {row["Service"]: row["State"] for row in rows}


def stages(logs: list[Log]) -> list[str]:
    return [log.stage for log in logs]


@pytest.fixture
def projects() -> Iterator[list[str]]:
    """Project names to take down at the end, whatever happened."""
    names: list[str] = []
    yield names
    for name in names:
        subprocess.run(
            ["docker", "compose", "-p", name, "down", "--remove-orphans", "--timeout", "1", "--volumes"],
            capture_output=True,
            timeout=120,
            check=False,
            cwd="/",
        )


@pytest.fixture
def host_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "host"
    folder.mkdir()
    return folder


@pytest.fixture
def config(tmp_path: Path, host_dir: Path, nats_url: str) -> AgentConfig:
    return AgentConfig(
        settings=Settings(nats_url=nats_url, monitoring_interval="1-sec"),
        server_id=f"compose-{uuid.uuid4().hex[:8]}",
        stack_dir=tmp_path / "stacks",
        host_directories=(host_dir,),
    )


@pytest.fixture
async def ctx(config: AgentConfig, docker_available: None) -> AsyncIterator[AgentContext]:
    context = AgentContext.build(config)
    try:
        yield context
    finally:
        await context.close()


def ui_stack(project: str, compose: str, **fields: Any) -> api.StackFiles:
    return api.StackFiles.model_validate(
        {
            "folder": project,
            "project": project,
            "files": [{"path": "compose.yaml", "contents": compose}],
            **fields,
        }
    )


async def http_get(port: int, timeout: float = 10) -> str:
    deadline = asyncio.get_running_loop().time() + timeout
    async with httpx.AsyncClient() as client:
        while True:
            try:
                response = await client.get(f"http://127.0.0.1:{port}/")
                return response.text
            except httpx.HTTPError:
                if asyncio.get_running_loop().time() > deadline:
                    raise
                await asyncio.sleep(0.2)


# ---------------------------------------------------------------------------------------------------------


async def test_a_ui_defined_stack_deploys_serves_and_gets_its_env(
    ctx: AgentContext, projects: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project = project_name()
    projects.append(project)
    port = embedded.free_port()
    # The agent's own settings must not reach compose's interpolation.
    monkeypatch.setenv("VARANUS_AGENT_TEST_SECRET", "agent-secret")
    compose = busybox(
        f"httpd -f -p {port} -h /www",
        "    environment:\n"
        "      GREETING: ${GREETING}\n"
        "      LEAK: ${VARANUS_AGENT_TEST_SECRET:-unset}\n"
        "    ports:\n"
        f"      - 127.0.0.1:{port}:{port}\n",
    )
    request = api.ComposeUp(
        stack=ui_stack(project, compose, environment="GREETING=hello from env\n", config_files=["notes.txt"]),
        auto_pull=False,
        pre_deploy="echo pre > pre.txt && echo pre ran",
        post_deploy="echo post ran; cat pre.txt",
    )
    response = await handlers.up(ctx, request)
    assert response.deployed, response.logs
    assert stages(response.logs) == [
        "Write Files",
        "Pre Deploy",
        "Compose Config",
        "Compose Up",
        "Post Deploy",
    ]
    assert all(log.success for log in response.logs)
    up = response.logs[3]
    assert up.command == f"docker compose -p {project} -f compose.yaml --env-file .env up -d"
    assert response.logs[1].stdout == "pre ran" and response.logs[4].stdout == "post ran\npre"
    assert [(s.service_name, s.container_name, s.image) for s in response.services] == [
        ("app", f"{project}-app", IMAGE)
    ]
    assert response.merged_config and json.loads(response.merged_config)["name"] == project
    assert {f.path: f.contents for f in response.file_contents} == {
        "compose.yaml": compose,
        ".env": "GREETING=hello from env\n",
    }
    assert [e.path for e in response.remote_errors] == ["notes.txt"]

    env_file = ctx.config.stack_dir / project / ".env"
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    assert states(project) == {"app": "running"}
    assert (await http_get(port)).strip() == "ok"
    container = f"{project}-app-1"
    assert docker_cli("exec", container, "sh", "-c", "echo $GREETING").strip() == "hello from env"
    assert docker_cli("exec", container, "sh", "-c", "echo $LEAK").strip() == "unset"


async def test_the_compose_command_wrapper_runs_compose_for_the_stack(
    ctx: AgentContext, projects: list[str]
) -> None:
    project = project_name()
    projects.append(project)
    compose = busybox(LOOP, "    environment:\n      MARK: ${WRAPPED:-none}\n")
    stack = ui_stack(project, compose)
    # A wrapper word of its own: compose's arguments follow the wrapper's (as `op run -- ...`).
    request = api.ComposeUp(
        stack=stack,
        auto_pull=False,
        compose_cmd_wrapper="env WRAPPED=plain [[COMPOSE_COMMAND]]",
        compose_cmd_wrapper_include=["config", "up"],
    )
    response = await handlers.up(ctx, request)
    assert response.deployed, response.logs
    config_log, up = response.logs[1], response.logs[2]
    assert config_log.command.startswith("env WRAPPED=plain docker compose -p ")
    assert up.command.startswith("env WRAPPED=plain docker compose -p ") and up.command.endswith(" up -d")
    container = f"{project}-app-1"
    assert docker_cli("exec", container, "sh", "-c", "echo $MARK").strip() == "plain"

    # Quoted: the compose command is handed over as one command line (as `sops exec-file ... '...'`); only
    # `up` is wrapped by default.
    request = api.ComposeUp(
        stack=stack, auto_pull=False, compose_cmd_wrapper="sh -c 'WRAPPED=quoted exec [[COMPOSE_COMMAND]]'"
    )
    response = await handlers.up(ctx, request)
    assert response.deployed, response.logs
    assert response.logs[1].command.startswith("docker compose -p ")
    assert response.logs[2].command.startswith("sh -c 'WRAPPED=quoted exec docker compose -p ")
    assert docker_cli("exec", container, "sh", "-c", "echo $MARK").strip() == "quoted"


async def test_values_from_env_files_never_leave_the_host(ctx: AgentContext, projects: list[str]) -> None:
    project = project_name()
    projects.append(project)
    hidden, rendered = f"ldap-{uuid.uuid4().hex}", f"db-{uuid.uuid4().hex}"
    folder = ctx.config.stack_dir / project
    folder.mkdir(parents=True)
    # What a pre-deploy hook or an operator puts next to the compose file (Komodo #1636).
    (folder / "service.env").write_text(f"LDAP_PASSWORD={hidden}\n")
    (folder / "rendered.env").write_text(f"DB_PASSWORD={rendered}\n")
    compose = busybox(
        LOOP,
        "    env_file: [service.env]\n    environment:\n      DB: ${DB_PASSWORD}\n",
    )
    stack = ui_stack(project, compose, additional_env_files=["rendered.env"])
    response = await handlers.up(ctx, api.ComposeUp(stack=stack, auto_pull=False))
    assert response.deployed, response.logs
    assert hidden not in response.model_dump_json() and rendered not in response.model_dump_json()
    config_log = next(log for log in response.logs if log.stage == "Compose Config")
    assert "${DB_PASSWORD}" in config_log.stdout and "service.env" in config_log.stdout
    assert response.merged_config == config_log.stdout
    kept = {f.path: f.contents for f in response.file_contents}
    assert kept["rendered.env"].startswith("# env file contents are not kept; sha256 ")
    container = f"{project}-app-1"
    assert docker_cli("exec", container, "sh", "-c", "echo $LDAP_PASSWORD $DB").split() == [hidden, rendered]

    contents = await handlers.contents(ctx, api.GetComposeContents(stack=stack))
    assert rendered not in contents.model_dump_json() and hidden not in contents.model_dump_json()
    (folder / "rendered.env").write_text(f"DB_PASSWORD={rendered}-rotated\n")
    again = await handlers.contents(ctx, api.GetComposeContents(stack=stack))
    changed = {f.path: f.contents for f in again.contents}["rendered.env"]
    assert changed != kept["rendered.env"], "a changed env file still shows as changed"


async def test_invalid_and_missing_compose_files_run_nothing(ctx: AgentContext, projects: list[str]) -> None:
    project = project_name()
    projects.append(project)
    bad = "services:\n  app:\n    imagee: nope\n"
    response = await handlers.up(ctx, api.ComposeUp(stack=ui_stack(project, bad), auto_pull=False))
    assert not response.deployed
    assert stages(response.logs) == ["Write Files", "Compose Config"]
    assert not response.logs[-1].success
    assert "additional properties 'imagee' not allowed" in response.logs[-1].stderr
    assert states(project) == {}

    other = project_name()
    stack = api.StackFiles(folder=other, project=other, file_paths=["compose.yaml", "prod.yaml"])
    (ctx.config.stack_dir / other).mkdir(parents=True)
    (ctx.config.stack_dir / other / "compose.yaml").write_text(busybox(LOOP))
    response = await handlers.up(ctx, api.ComposeUp(stack=stack, pre_deploy="touch ran"))
    assert not response.deployed and response.missing_files == ["prod.yaml"]
    assert stages(response.logs) == ["Validate Files"] and "prod.yaml" in response.logs[0].stderr
    assert not (ctx.config.stack_dir / other / "ran").exists()

    contents = await handlers.contents(ctx, api.GetComposeContents(stack=ui_stack(project, bad)))
    assert contents.config_error and "imagee" in contents.config_error and contents.services == []
    assert [c.path for c in contents.contents] == ["compose.yaml"]


async def test_hostile_paths_are_refused_before_anything_is_written(
    ctx: AgentContext, tmp_path: Path, host_dir: Path
) -> None:
    for bad in ("../x", "/etc/passwd"):
        with pytest.raises(ValueError, match="relative path"):
            ui_stack("web", busybox(LOOP), file_paths=[bad])
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "target.yaml").write_text("untouched")
    folder = ctx.config.stack_dir / "escape"
    folder.mkdir(parents=True)
    (folder / "compose.yaml").symlink_to(outside / "target.yaml")
    request = api.ComposeUp(stack=ui_stack("escape", busybox(LOOP)))
    with pytest.raises(BadRequest, match="outside the stack folder"):
        await handlers.up(ctx, request)
    assert (outside / "target.yaml").read_text() == "untouched"

    # A symlinked env file is refused before the (harmless) compose file is written.
    other = ctx.config.stack_dir / "envescape"
    other.mkdir()
    (other / ".env").symlink_to(outside / "secret.env")
    with pytest.raises(BadRequest, match=r"\.env"):
        await handlers.up(ctx, api.ComposeUp(stack=ui_stack("envescape", busybox(LOOP), environment="A=1")))
    assert not (other / "compose.yaml").exists() and not (outside / "secret.env").exists()

    with pytest.raises(BadRequest, match="not inside the stack root"):
        await handlers.up(ctx, api.ComposeUp(stack=ui_stack("h", busybox(LOOP), host_directory=str(outside))))
    (host_dir / "link").symlink_to(outside)
    on_host = api.StackFiles(folder="h", project="h", host_directory=str(host_dir))
    with pytest.raises(BadRequest, match=r"link/x\.yaml"):
        await handlers.write(ctx, api.WriteComposeFile(stack=on_host, path="link/x.yaml", contents="x"))
    assert sorted(p.name for p in outside.iterdir()) == ["target.yaml"]


async def test_write_compose_file_on_the_host(ctx: AgentContext, host_dir: Path) -> None:
    stack = api.StackFiles(folder="h", project="h", host_directory=str(host_dir / "app"))
    log = await handlers.write(
        ctx, api.WriteComposeFile(stack=stack, path="conf/compose.yaml", contents="a: 1\n")
    )
    assert log.success and log.stage == "Write File", log
    assert (host_dir / "app" / "conf" / "compose.yaml").read_text() == "a: 1\n"
    log = await handlers.write(ctx, api.WriteComposeFile(stack=stack, path=".env", contents="SECRET=1\n"))
    assert log.success and stat.S_IMODE((host_dir / "app" / ".env").stat().st_mode) == 0o600
    assert "SECRET" not in log.model_dump_json()


async def test_lifecycle_run_logs_and_search(ctx: AgentContext, projects: list[str]) -> None:
    project = project_name()
    projects.append(project)
    compose = busybox(f"echo hello; echo oops >&2; echo world; {LOOP}") + (
        f"  side:\n    image: {IMAGE}\n    pull_policy: never\n    command: [sh, -c, {json.dumps(LOOP)}]\n"
    )
    stack = ui_stack(project, compose)
    response = await handlers.up(ctx, api.ComposeUp(stack=stack, auto_pull=False))
    assert response.deployed, response.logs
    assert states(project) == {"app": "running", "side": "running"}

    async def do(command: api.ComposeVerb, **fields: Any) -> Log:
        log = await handlers.execution(ctx, api.ComposeExecution(project=project, command=command, **fields))
        assert log.success, log
        assert log.stage == f"Compose {command.capitalize()}"
        return log

    log = await do("stop", stop_time=5, services=["side"])
    assert log.command == f"docker compose -p {project} stop --timeout 5 -- side"
    assert states(project) == {"app": "running", "side": "exited"}
    await do("start")
    assert states(project) == {"app": "running", "side": "running"}
    await do("pause")
    assert set(states(project).values()) == {"paused"}
    await do("unpause")
    await do("restart", stop_time=2)
    assert set(states(project).values()) == {"running"}

    run = await handlers.run(
        ctx,
        api.ComposeRun(stack=stack, service="app", command=["sh", "-c", "echo ran $X"], env={"X": "s3cret"}),
    )
    assert run.success and run.stage == "Compose Run", run
    assert run.stdout.strip() == "ran s3cret"
    assert "s3cret" not in run.command and "-e X=..." in run.command

    async def logged() -> Log:
        for _ in range(50):
            log = await handlers.logs(ctx, api.GetComposeLog(project=project, services=["app"], tail=10))
            if "world" in log.stdout:
                return log
            await asyncio.sleep(0.2)
        raise AssertionError("the service did not log")

    log = await logged()
    assert log.success and log.stage == "Get Stack Log"
    assert log.command == f"docker compose -p {project} logs --no-color --tail 10 -- app"
    # The service printed its lines once per start (the restart kept the log); stdout and stderr interleave.
    assert {line.split("|", 1)[1].strip() for line in log.stdout.splitlines()} == {"hello", "oops", "world"}
    stamped = await handlers.logs(
        ctx, api.GetComposeLog(project=project, tail=1, timestamps=True, services=["app"])
    )
    assert "| 20" in stamped.stdout

    found = await handlers.search(ctx, api.GetComposeLogSearch(project=project, terms=["hello", "world"]))
    assert found.success, found
    assert {line.split("|", 1)[1].strip() for line in found.stdout.splitlines()} == {"hello", "world"}
    assert found.command.endswith("2>&1 | grep -F -e hello -e world")
    found = await handlers.search(
        ctx,
        api.GetComposeLogSearch(
            project=project, services=["app"], terms=["o"], combinator=SearchCombinator.And, invert=True
        ),
    )
    assert found.stdout == "", found

    # `orphan` is left behind when its service leaves the file; down --remove-orphans takes it too.
    projects.append(project)
    assert (
        await handlers.up(ctx, api.ComposeUp(stack=ui_stack(project, busybox(LOOP)), auto_pull=False))
    ).deployed
    log = await do("down", remove_orphans=True, stop_time=1)
    assert log.command == f"docker compose -p {project} down --timeout 1 --remove-orphans"
    assert states(project) == {}


async def test_git_stack_clones_with_a_token_and_pulls_new_commits(
    ctx: AgentContext,
    projects: list[str],
    git_server: GitServer,  # noqa: F811
) -> None:
    project = project_name()
    projects.append(project)
    first = git_server.create_repo(project, {"deploy/compose.yaml": busybox(f"echo v1; {LOOP}")})
    source = api.GitSource(url=git_server.url(project), username=git_server.username, token=git_server.token)
    stack = api.StackFiles(folder=project, project=project, git=source, run_directory="deploy")
    response = await handlers.up(ctx, api.ComposeUp(stack=stack, auto_pull=False))
    assert response.deployed, response.logs
    assert stages(response.logs) == ["Clone Repo", "Compose Config", "Compose Up"]
    assert response.commit_hash == first and response.commit_message == "initial commit"
    assert first in response.logs[0].stdout
    assert git_server.token not in response.model_dump_json()
    git_config = (ctx.config.stack_dir / project / ".git" / "config").read_text()
    assert git_server.url(project) in git_config and git_server.token not in git_config

    second = git_server.push_commit(project, {"deploy/compose.yaml": busybox(f"echo v2; {LOOP}")}, "second")
    response = await handlers.up(ctx, api.ComposeUp(stack=stack, auto_pull=False))
    assert response.deployed and stages(response.logs)[0] == "Pull Repo", response.logs
    assert (response.commit_hash, response.commit_message) == (second, "second")
    assert "echo v2" in response.file_contents[0].contents

    pinned = stack.model_copy(update={"git": source.model_copy(update={"commit": first[:10]})})
    contents = await handlers.contents(ctx, api.GetComposeContents(stack=pinned))
    assert contents.commit_hash == first and "echo v1" in contents.contents[0].contents
    assert [s.service_name for s in contents.services] == ["app"] and contents.config_error is None

    wrong = source.model_copy(update={"token": "wrong-" + git_server.token})
    bad = api.StackFiles(folder=project_name(), project=project, git=wrong)
    response = await handlers.up(ctx, api.ComposeUp(stack=bad))
    assert not response.deployed and stages(response.logs) == ["Clone Repo"]
    assert not response.logs[0].success and "credentials" in response.logs[0].stderr.lower()
    assert git_server.token not in response.model_dump_json()
    contents = await handlers.contents(ctx, api.GetComposeContents(stack=bad))
    assert contents.errors and contents.errors[0].path == source.url

    # A repository's symlink out of the stack folder is refused after the clone, and nothing is read.
    evil = project_name()
    git_server.create_repo(evil, {"x": "x"}, symlinks={"compose.yaml": "/etc/passwd"})
    evil_source = source.model_copy(update={"url": git_server.url(evil)})
    response = await handlers.up(
        ctx, api.ComposeUp(stack=api.StackFiles(folder=evil, project=evil, git=evil_source))
    )
    assert stages(response.logs) == ["Clone Repo", "Validate Files"] and not response.logs[-1].success
    assert "root:" not in response.model_dump_json()


async def test_registry_auth_reaches_compose_and_nowhere_else(
    ctx: AgentContext, projects: list[str], docker_registry: DockerRegistry
) -> None:
    image = f"{docker_registry.address}/varanus/busybox:{uuid.uuid4().hex[:8]}"
    host_config = Path.home() / ".docker" / "config.json"
    before = hashlib.sha256(host_config.read_bytes()).hexdigest() if host_config.exists() else None
    with tempfile.TemporaryDirectory() as own_config:
        env = {**os.environ, "DOCKER_CONFIG": own_config}
        docker_cli(
            "login", docker_registry.address, "-u", docker_registry.username, "--password-stdin",
            env=env, stdin=docker_registry.password,
        )  # fmt: skip
        docker_cli("tag", IMAGE, image)
        docker_cli("push", image, env=env)
    docker_cli("rmi", image)  # compose has to pull it back

    project = project_name()
    projects.append(project)
    compose = f"services:\n  app:\n    image: {image}\n    command: [sh, -c, {json.dumps(LOOP)}]\n"
    auth = RegistryAuth(
        server=docker_registry.address, username=docker_registry.username, password=docker_registry.password
    )
    denied = await handlers.up(
        ctx,
        api.ComposeUp(
            stack=ui_stack(project, compose), registry_auth=auth.model_copy(update={"password": "nope"})
        ),
    )
    assert not denied.deployed and stages(denied.logs)[-1] == "Compose Pull", denied.logs
    try:
        response = await handlers.up(ctx, api.ComposeUp(stack=ui_stack(project, compose), registry_auth=auth))
        assert response.deployed, response.logs
        assert stages(response.logs) == ["Write Files", "Compose Config", "Compose Pull", "Compose Up"]
        assert docker_registry.password not in response.model_dump_json()
        assert states(project) == {"app": "running"}
        pull = await handlers.execution(
            ctx,
            api.ComposeExecution(
                project=project, command="pull", stack=ui_stack(project, compose), registry_auth=auth
            ),
        )
        assert pull.success and docker_registry.password not in pull.model_dump_json(), pull
    finally:
        docker_cli("compose", "-p", project, "down", "--timeout", "1")
        subprocess.run(["docker", "rmi", image], capture_output=True, check=False, timeout=60)
    after = hashlib.sha256(host_config.read_bytes()).hexdigest() if host_config.exists() else None
    assert before == after, "the host's docker login changed"
    assert not list(Path(tempfile.gettempdir()).glob("varanus-compose-auth-*"))


async def test_an_unreachable_docker_gives_compose_s_error(config: AgentConfig, tmp_path: Path) -> None:
    unreachable = AgentConfig(
        settings=config.settings,
        server_id=config.server_id,
        docker_host=f"unix://{tmp_path}/no-docker.sock",
        stack_dir=config.stack_dir,
    )
    ctx = AgentContext.build(unreachable)
    try:
        response = await handlers.up(
            ctx, api.ComposeUp(stack=ui_stack("gone", busybox(LOOP)), auto_pull=False)
        )
        assert not response.deployed and stages(response.logs)[-1] == "Compose Up"
        assert "Cannot connect to the Docker daemon" in response.logs[-1].stderr
        log = await handlers.logs(ctx, api.GetComposeLog(project="gone"))
        assert not log.success and "Cannot connect to the Docker daemon" in log.stderr
    finally:
        await ctx.close()


async def test_a_stack_deploys_through_a_real_agent(config: AgentConfig, projects: list[str]) -> None:
    project = project_name()
    projects.append(project)
    agent = Agent(config)
    await agent.start()
    nc: NatsClient = await nats.connect(config.settings.nats_url)
    try:

        async def ask(request: api.ComposeUp | api.ComposeExecution | dict[str, Any], name: str) -> Any:
            body = (
                json.dumps(request).encode()
                if isinstance(request, dict)
                else request.model_dump_json().encode()
            )
            subject = f"komodo.agent.{config.server_id}.{name}"
            reply = await nc.request(subject, body, timeout=60)
            return int((reply.headers or {}).get(STATUS_HEADER, "200")), json.loads(reply.data)

        status, body = await ask(
            api.ComposeUp(stack=ui_stack(project, busybox(LOOP)), auto_pull=False), "ComposeUp"
        )
        assert status == 200, body
        response = api.ComposeUpResponse.model_validate(body)
        assert response.deployed and states(project) == {"app": "running"}

        status, body = await ask(
            {"stack": {"folder": "x", "project": "x", "file_paths": ["../../etc/passwd"]}}, "ComposeUp"
        )
        assert status == 400 and "relative path" in body["error"]
        status, body = await ask(
            {"stack": {"folder": "x", "project": "x", "host_directory": "/etc"}}, "GetComposeContents"
        )
        assert status == 400 and "/etc" in body["error"]
        status, body = await ask({"project": project, "command": "pull"}, "ComposeExecution")
        assert status == 400 and "stack" in body["error"]

        status, body = await ask(api.ComposeExecution(project=project, command="down"), "ComposeExecution")
        assert status == 200 and body["success"], body
        assert states(project) == {}
    finally:
        await nc.close()
        await agent.stop()


async def test_a_command_past_its_time_is_stopped_with_its_output(tmp_path: Path) -> None:
    from services.agent.compose.command import run_process, subprocess_env

    log = await run_process(
        "Pre Deploy",
        ["/bin/sh", "-c", "echo started; sleep 30 & sleep 30"],
        "x",
        tmp_path,
        subprocess_env(None),
        1,
    )
    assert not log.success and log.stdout == "started"
    assert "did not finish within 1 s" in log.stderr and log.end_ts - log.start_ts < 5000
