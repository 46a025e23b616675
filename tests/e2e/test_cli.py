"""The `varanus` CLI as a user runs it: a subprocess talking HTTP to the real gateway, registry, NATS and MongoDB.

Executions need a service that answers `komodo.execute.*`; until the executor exists, `Executor` below stands in
for it on the real bus, doing what an executing service does: it announces the subjects it answers, creates the
Update through the registry's internal requests, answers the execute request with it at once, then appends stage
logs and finishes the Update.
"""

from __future__ import annotations

import asyncio
import json
import os
import pty
import re
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from nats.aio.msg import Msg

from services.common.embedded import free_port
from services.common.presence import Presence
from services.common.version import VERSION
from services.registry.app import Registry
from tests.e2e.conftest import BusClient

ROOT = Path(__file__).resolve().parents[2]
SYSTEM_ID = "000000000000000000000000"


@dataclass
class Result:
    """A finished CLI run."""

    code: int
    out: str
    err: str


async def run_cli(*args: str, env: dict[str, str], stdin: int | None = None, timeout: float = 60) -> Result:
    """Run `python -m varanus_cli ARGS` without blocking the event loop (the gateway runs in it)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "varanus_cli",
        *args,
        env=env,
        cwd=ROOT,
        stdin=asyncio.subprocess.DEVNULL if stdin is None else stdin,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    assert proc.returncode is not None
    return Result(proc.returncode, out.decode(), err.decode())


def base_env(home: Path) -> dict[str, str]:
    """The test process's environment without any Komodo settings, and a HOME of its own (no stray config)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KOMODO_", "VARANUS_", "XDG_CONFIG"))}
    env["HOME"] = str(home)
    env["PYTHONPATH"] = str(ROOT)
    return env


@dataclass
class Cli:
    """The credentials of an API key of the admin, and the environment that hands them to the CLI."""

    url: str
    key: str
    secret: str
    env: dict[str, str]

    async def __call__(self, *args: str, stdin: int | None = None, timeout: float = 60) -> Result:
        return await run_cli(*args, env=self.env, stdin=stdin, timeout=timeout)

    async def ok(self, *args: str) -> str:
        result = await self(*args)
        assert result.code == 0, f"varanus {' '.join(args)} failed ({result.code}): {result.err}"
        return result.out


@pytest.fixture
async def cli(gateway_url: str, admin_headers: dict[str, str], tmp_path: Path) -> Cli:
    """An API key of the admin, as `KOMODO_URL`, `KOMODO_API_KEY` and `KOMODO_API_SECRET`."""
    async with httpx.AsyncClient(base_url=gateway_url, timeout=30) as http:
        created = await http.post(
            "/auth/manage/CreateApiKey", json={"name": "cli", "expires": 0}, headers=admin_headers
        )
    assert created.status_code == 200, created.text
    key, secret = created.json()["key"], created.json()["secret"]
    home = tmp_path / "home"
    home.mkdir()
    env = {**base_env(home), "KOMODO_URL": gateway_url, "KOMODO_API_KEY": key, "KOMODO_API_SECRET": secret}
    return Cli(gateway_url, key, secret, env)


class Executor:
    """Stands in for the executing service: answers executions with an Update, then logs stages into it.

    The resource name steers the run: one containing `broken` fails its second stage, one containing `gated`
    waits after its first stage until `gate` is set.
    """

    STAGES = ("Clone", "Build", "Push")

    def __init__(self, service: BusClient, registry: Registry) -> None:
        self.service = service
        self.registry = registry
        self.received: list[tuple[str, dict[str, Any]]] = []
        self.gate = asyncio.Event()
        self.tasks: set[asyncio.Task[None]] = set()

    async def internal(self, name: str, params: dict[str, Any]) -> Any:
        return await self.service.ok("internal", name, params)

    async def start_update(self, operation: str, kind: str, resource: str) -> dict[str, Any]:
        found = await self.service.read(f"Get{kind}", {kind.lower(): resource})
        target = {"type": kind, "id": found["_id"]["$oid"]}
        return await self.internal(
            "CreateUpdate", {"operation": operation, "target": target, "operator": SYSTEM_ID}
        )

    async def run_stages(self, update: dict[str, Any], resource: str) -> None:
        update_id = update["_id"]["$oid"]
        for index, stage in enumerate(self.STAGES):
            await asyncio.sleep(0.3)
            failed = "broken" in resource and index == 1
            log = {
                "stage": stage,
                "command": f"step {stage.lower()} {resource}",
                "stdout": f"{stage} output line 1\n{stage} output line 2",
                "stderr": f"{stage} went wrong" if failed else "",
                "success": not failed,
                "start_ts": 1_700_000_000_000,
                "end_ts": 1_700_000_001_500,
            }
            await self.internal("AppendUpdateLog", {"id": update_id, "log": log})
            if "gated" in resource and index == 0:
                await self.gate.wait()
        await self.internal("FinishUpdate", {"id": update_id})

    def spawn(self, update: dict[str, Any], resource: str) -> None:
        task = asyncio.create_task(self.run_stages(update, resource))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def on_run_build(self, msg: Msg) -> None:
        params = json.loads(msg.data or b"{}")
        self.received.append(("RunBuild", params))
        update = await self.start_update("RunBuild", "Build", params["build"])
        await msg.respond(json.dumps(update).encode())
        self.spawn(update, params["build"])

    async def on_deploy(self, msg: Msg) -> None:
        params = json.loads(msg.data or b"{}")
        self.received.append(("Deploy", params))
        update = await self.start_update("Deploy", "Deployment", params["deployment"])
        await msg.respond(json.dumps(update).encode())
        self.spawn(update, params["deployment"])

    async def on_batch_run_build(self, msg: Msg) -> None:
        params = json.loads(msg.data or b"{}")
        self.received.append(("BatchRunBuild", params))
        update = await self.start_update("RunBuild", "Build", "app")
        missing = {"name": "ghost", "error": {"error": "builder ghost-builder is not reachable", "trace": []}}
        answer = [{"status": "Ok", "data": update}, {"status": "Err", "data": missing}]
        await msg.respond(json.dumps(answer).encode())
        self.spawn(update, "app")


@pytest.fixture
async def executor(service_client: BusClient, registry: Registry) -> AsyncIterator[Executor]:
    """The stand-in executor, answering RunBuild, Deploy and BatchRunBuild on the real bus."""
    stand_in = Executor(service_client, registry)
    handlers = {
        "komodo.execute.RunBuild": stand_in.on_run_build,
        "komodo.execute.Deploy": stand_in.on_deploy,
        "komodo.execute.BatchRunBuild": stand_in.on_batch_run_build,
    }
    subscriptions = [await service_client.nc.subscribe(subject, cb=cb) for subject, cb in handlers.items()]
    presence = Presence("executor-stand-in", list(handlers))
    await presence.start(service_client.nc.jetstream())
    # The registry answers 503 for subjects no live service announced; wait until it has seen ours.
    for _ in range(100):
        if all(registry.presence.answers(subject) for subject in handlers):
            break
        await asyncio.sleep(0.05)
    try:
        yield stand_in
    finally:
        stand_in.gate.set()
        if stand_in.tasks:
            await asyncio.gather(*stand_in.tasks, return_exceptions=True)
        for subscription in subscriptions:
            await subscription.unsubscribe()
        await presence.stop()


async def create_deployment(cli: Cli, name: str = "web", image: str = "nginx:1.27") -> tuple[str, str]:
    """A server `srv` and a deployment on it, created through the CLI; returns their ids."""
    server_id = (await cli.ok("write", "CreateServer", "--name", "srv")).strip()
    config = {"server_id": "srv", "image": {"type": "Image", "params": {"image": image}}}
    deployment_id = (
        await cli.ok("write", "CreateDeployment", "--name", name, "--config", json.dumps(config))
    ).strip()
    return server_id, deployment_id


# ---- reads, writes and short forms --------------------------------------------------------------------


async def test_write_then_read_with_flags_json_and_key_values(cli: Cli) -> None:
    server_id, deployment_id = await create_deployment(cli)
    assert re.fullmatch(r"[0-9a-f]{24}", server_id) and re.fullmatch(r"[0-9a-f]{24}", deployment_id)

    shown = await cli.ok("read", "GetDeployment", "--deployment", "web")
    lines = shown.splitlines()
    assert re.match(rf"^id:\s+{deployment_id}$", lines[0])
    assert any(re.fullmatch(r"name:\s+web", line) for line in lines)
    assert any(re.fullmatch(r"config\.image\.params\.image:\s+nginx:1\.27", line) for line in lines)
    assert any(re.fullmatch(rf"config\.server_id:\s+{server_id}", line) for line in lines)

    raw = await cli.ok("read", "GetDeployment", "--deployment", deployment_id, "--json")
    assert raw.startswith('{\n  "_id": {')  # pretty, 2-space indent
    body = json.loads(raw)
    assert body["_id"] == {"$oid": deployment_id} and body["name"] == "web"

    # --params gives the body; the option given as well wins; --json works before the command too.
    both = json.loads(
        await cli.ok(
            "--json", "read", "GetDeployment", "--params", '{"deployment": "nope"}', "--deployment", "web"
        )
    )
    assert both["name"] == "web"
    # Non-text fields take JSON: a query object, and a limit as a number.
    listed = json.loads(
        await cli.ok("read", "ListDeployments", "--query", '{"names": ["web"]}', "--limit", "5", "--json")
    )
    assert [item["name"] for item in listed] == ["web"]


async def test_ls_get_and_filters(cli: Cli) -> None:
    _, web_id = await create_deployment(cli)
    config = {"server_id": "srv", "image": {"type": "Image", "params": {"image": "api:2"}}}
    api_id = (
        await cli.ok("write", "CreateDeployment", "--name", "api", "--config", json.dumps(config))
    ).strip()
    await cli.ok("write", "CreateTag", "--name", "prod")
    await cli.ok(
        "write",
        "UpdateResourceMeta",
        "--target",
        json.dumps({"type": "Deployment", "id": api_id}),
        "--tags",
        "prod",
    )

    table = (await cli.ok("ls", "deployments")).splitlines()
    assert table[0].split() == ["NAME", "ID", "STATE", "SERVER", "IMAGE", "STATUS"]
    rows = {line.split()[0]: line for line in table[1:]}
    assert rows["web"].split()[:2] == ["web", web_id] and rows["web"].split()[3:5] == ["srv", "nginx:1.27"]
    assert rows["api"].split()[3:5] == ["srv", "api:2"]
    # Aligned: every row's ID column starts where its header does.
    assert all(line.index(line.split()[1]) == table[0].index("ID") for line in table[1:])

    tagged = (await cli.ok("ls", "deployments", "--tag", "prod")).splitlines()
    assert [line.split()[0] for line in tagged[1:]] == ["api"]
    searched = json.loads(await cli.ok("ls", "deployment", "--search", "we", "--json"))
    assert [item["name"] for item in searched] == ["web"]
    servers = (await cli.ok("ls", "servers")).splitlines()
    assert servers[0].split()[:3] == ["NAME", "ID", "STATE"] and servers[1].split()[0] == "srv"

    got = await cli.ok("get", "deployment", "api")
    assert re.search(rf"^id:\s+{api_id}$", got, re.MULTILINE)
    assert re.search(r"^config\.image\.params\.image:\s+api:2$", got, re.MULTILINE)
    assert json.loads(await cli.ok("get", "deployment", "api", "--json"))["name"] == "api"

    updates = (await cli.ok("ls", "updates")).splitlines()
    assert updates[0].split()[:3] == ["ID", "OPERATION", "TARGET"]
    assert any("CreateDeployment" in line and "Complete" in line for line in updates[1:])

    refused = await cli("ls", "tags", "--tag", "prod")
    assert refused.code == 2 and "ls tags does not filter by --tag or --search" in refused.err
    unknown = await cli("ls", "gizmos")
    assert unknown.code == 2 and "cannot list 'gizmos'" in unknown.err and "deployments" in unknown.err


async def test_usage_errors_exit_2_before_anything_is_sent(tmp_path: Path) -> None:
    # Nothing listens on this URL: usage errors must be found locally.
    env = {**base_env(tmp_path), "KOMODO_URL": f"http://127.0.0.1:{free_port()}"}

    wrong_flag = await run_cli("read", "GetDeployment", "--deploymnt", "web", env=env)
    assert wrong_flag.code == 2 and "unrecognized arguments: --deploymnt web" in wrong_flag.err

    wrong_key = await run_cli("read", "GetDeployment", "--params", '{"deploymnt": "web"}', env=env)
    assert wrong_key.code == 2 and "GetDeployment has no field 'deploymnt'" in wrong_key.err

    missing = await run_cli("read", "GetDeployment", env=env)
    assert missing.code == 2 and "missing --deployment (required)" in missing.err

    bad_value = await run_cli("read", "ListDeployments", "--limit", "many", env=env)
    assert bad_value.code == 2 and "invalid --limit" in bad_value.err

    unknown = await run_cli("read", "GetDeploymnt", "--deployment", "web", env=env)
    assert unknown.code == 2 and "unknown read request 'GetDeploymnt'" in unknown.err
    assert "did you mean: GetDeployment" in unknown.err
    wrong_kind = await run_cli("read", "RunBuild", env=env)
    assert (
        wrong_kind.code == 2 and "RunBuild is in the execute API: varanus execute RunBuild" in wrong_kind.err
    )

    bad_json = await run_cli("read", "GetDeployment", "--params", "{nope", env=env)
    assert bad_json.code == 2 and "--params is not valid JSON" in bad_json.err

    no_command = await run_cli(env=env)
    assert no_command.code == 2 and "usage: varanus" in no_command.err


async def test_api_error_exits_1_with_the_gateways_message(cli: Cli) -> None:
    async with httpx.AsyncClient(base_url=cli.url) as http:
        direct = await http.post(
            "/read/GetDeployment",
            json={"deployment": "missing"},
            headers={"X-Api-Key": cli.key, "X-Api-Secret": cli.secret},
        )
    assert direct.status_code == 404
    result = await cli("read", "GetDeployment", "--deployment", "missing")
    assert result.code == 1 and result.out == ""
    assert result.err.splitlines()[0] == f"error: {direct.json()['error']}"


async def test_bad_or_missing_credentials_exit_1(cli: Cli) -> None:
    wrong = await run_cli("ls", "servers", env={**cli.env, "KOMODO_API_SECRET": "S_wrong_S"})
    assert wrong.code == 1 and wrong.err.startswith("error: invalid API key or secret")
    without = {k: v for k, v in cli.env.items() if k not in ("KOMODO_API_KEY", "KOMODO_API_SECRET")}
    missing = await run_cli("ls", "servers", env=without)
    assert missing.code == 1 and "error: missing credentials" in missing.err
    assert "no credentials are configured: set KOMODO_API_KEY and KOMODO_API_SECRET" in missing.err
    shown = await cli.ok("config")
    assert (
        cli.key in shown
        and cli.secret not in shown
        and re.search(r"^api_secret:\s+set$", shown, re.MULTILINE)
    )


async def test_connection_refused_names_the_url(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = await run_cli("ls", "deployments", env={**base_env(tmp_path), "KOMODO_URL": url})
    assert result.code == 1
    assert result.err.startswith(f"error: cannot connect to Komodo at {url}")


async def test_config_file_and_env_precedence(cli: Cli, tmp_path: Path) -> None:
    config = tmp_path / "varanus.toml"
    config.write_text(f'url = "{cli.url}"\napi_key = "{cli.key}"\napi_secret = "{cli.secret}"\n')
    config.chmod(0o600)
    bare = {k: v for k, v in cli.env.items() if not k.startswith("KOMODO_")}

    by_flag = await run_cli("--config", str(config), "ls", "servers", env=bare)
    assert by_flag.code == 0 and by_flag.out == "" and "no servers" in by_flag.err
    by_env = await run_cli("version", env={**bare, "VARANUS_CONFIG": str(config)})
    assert by_env.code == 0 and f"server: {VERSION} ({cli.url})" in by_env.out

    # The default path, ~/.config/varanus/config.toml, under the CLI's HOME.
    default = Path(bare["HOME"]) / ".config" / "varanus" / "config.toml"
    default.parent.mkdir(parents=True)
    default.write_text(config.read_text())
    default.chmod(0o600)
    assert (await run_cli("ls", "servers", env=bare)).code == 0

    # Environment variables win over the file: a wrong secret in the environment is used, and refused.
    env_wins = await run_cli(
        "--config", str(config), "ls", "servers", env={**bare, "KOMODO_API_SECRET": "S_x_S"}
    )
    assert env_wins.code == 1 and "invalid API key or secret" in env_wins.err
    # --url wins over both.
    elsewhere = f"http://127.0.0.1:{free_port()}"
    flag_wins = await run_cli("--config", str(config), "--url", elsewhere, "ls", "servers", env=bare)
    assert flag_wins.code == 1 and f"cannot connect to Komodo at {elsewhere}" in flag_wins.err

    readable = tmp_path / "readable.toml"
    readable.write_text(config.read_text())
    readable.chmod(0o644)
    warned = await run_cli("--config", str(readable), "ls", "servers", env=bare)
    assert warned.code == 0 and "holds a secret and others can read it" in warned.err

    absent = await run_cli("--config", str(tmp_path / "absent.toml"), "ls", "servers", env=bare)
    assert absent.code == 2 and "does not exist" in absent.err
    broken = tmp_path / "broken.toml"
    broken.write_text("url = \n")
    malformed = await run_cli("--config", str(broken), "ls", "servers", env=bare)
    assert malformed.code == 2 and "is not valid TOML" in malformed.err


async def test_help_everywhere(tmp_path: Path) -> None:
    env = base_env(tmp_path)
    top = await run_cli("--help", env=env)
    assert top.code == 0
    for command in ("read", "write", "execute", "ls", "get", "update", "run", "deploy", "version", "config"):
        assert re.search(rf"^\s+{command}\s+\S", top.out, re.MULTILINE), command

    reads = await run_cli("read", "--help", env=env)
    assert reads.code == 0
    assert re.search(r"^\s+GetDeployment\s+Get one deployment", reads.out, re.MULTILINE)
    assert re.search(r"^\s+ListUpdates\s+", reads.out, re.MULTILINE) and "RunBuild" not in reads.out
    assert (await run_cli("read", env=env)).out == reads.out

    one = await run_cli("read", "GetDeployment", "--help", env=env)
    assert one.code == 0 and one.out.startswith("usage: varanus read GetDeployment")
    assert re.search(r"--deployment TEXT\s+Id or name of the deployment", one.out)

    run_build = await run_cli("execute", "RunBuild", "--help", env=env)
    assert run_build.code == 0
    for option in ("--build TEXT", "-y, --yes", "--detach", "--timeout SECONDS"):
        assert option in run_build.out, option
    # A field named like a varanus option keeps its name: CreateServer's --config is the server config.
    create = await run_cli("write", "CreateServer", "--help", env=env)
    assert re.search(r"--config JSON\s+Partial ServerConfig", create.out)
    assert "--config PATH" not in create.out

    for command in (["ls"], ["get"], ["update"], ["run"], ["deploy"], ["version"], ["config"]):
        shown = await run_cli(*command, "--help", env=env)
        assert shown.code == 0 and shown.out.startswith(f"usage: varanus {command[0]}"), command
    ls_help = await run_cli("ls", "--help", env=env)
    assert "deployments" in ls_help.out and "--tag TAG" in ls_help.out

    version = await run_cli("--version", env=env)
    assert version.code == 0 and version.out.strip() == f"varanus {VERSION}"


async def test_update_display_and_json(cli: Cli, service_client: BusClient) -> None:
    _, deployment_id = await create_deployment(cli)
    target = {"type": "Deployment", "id": deployment_id}
    update = await service_client.ok(
        "internal", "CreateUpdate", {"operation": "PullDeployment", "target": target, "operator": SYSTEM_ID}
    )
    update_id = update["_id"]["$oid"]
    log = {"stage": "Pull image", "command": "docker pull nginx:1.27", "stdout": "pulled\ndigest: sha256:ab"}
    await service_client.ok("internal", "AppendUpdateLog", {"id": update_id, "log": log})
    failing = {"stage": "Verify", "stderr": "digest mismatch", "success": False}
    await service_client.ok("internal", "FinishUpdate", {"id": update_id, "logs": [failing]})

    shown = (await cli.ok("update", update_id)).splitlines()
    fields = dict(re.split(r":\s+", line, maxsplit=1) for line in shown[: shown.index("")])
    assert fields["update"] == update_id and fields["operation"] == "PullDeployment"
    assert fields["target"] == f"Deployment {deployment_id}" and fields["status"] == "Complete"
    assert fields["success"] == "false" and fields["operator"] == f"System ({SYSTEM_ID})"
    assert "started" in fields and "ended" in fields
    logs = shown[shown.index("") + 1 :]
    assert logs == [
        "==> Pull image  [ok]",
        "    $ docker pull nginx:1.27",
        "    pulled",
        "    digest: sha256:ab",
        "==> Verify  [FAILED]",
        "    stderr| digest mismatch",
    ]
    raw = json.loads(await cli.ok("update", update_id, "--json"))
    assert raw["_id"] == {"$oid": update_id} and [entry["stage"] for entry in raw["logs"]] == [
        "Pull image",
        "Verify",
    ]
    # Following an Update that already failed shows it and exits 1.
    followed = await cli("update", update_id, "--follow")
    assert followed.code == 1 and "==> Verify  [FAILED]" in followed.out
    missing = await cli("update", "000000000000000000000099")
    assert missing.code == 1 and missing.err.startswith("error: ")


# ---- executions ---------------------------------------------------------------------------------------


async def test_execute_streams_stages_and_exits_0(cli: Cli, executor: Executor) -> None:
    await cli.ok("write", "CreateBuild", "--name", "app")
    result = await cli("execute", "RunBuild", "--build", "app", "-y")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert re.fullmatch(r"RunBuild on Build [0-9a-f]{24}: update [0-9a-f]{24}", lines[0])
    headings = [line for line in lines if line.startswith("==> ")]
    assert headings == ["==> Clone  [ok]  1.5s", "==> Build  [ok]  1.5s", "==> Push  [ok]  1.5s"]
    assert "    $ step clone app" in lines and "    Push output line 2" in lines
    assert re.fullmatch(r"RunBuild succeeded in \d+\.\ds", lines[-1])
    assert executor.received == [("RunBuild", {"build": "app"})]
    # Not a terminal: no progress line on stderr.
    assert "\r" not in result.err

    short = await cli("run", "build", "app", "--yes")
    assert short.code == 0 and short.out.splitlines()[-1].startswith("RunBuild succeeded")


async def test_execution_logs_appear_while_it_runs(cli: Cli, executor: Executor) -> None:
    await cli.ok("write", "CreateBuild", "--name", "gated-app")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "varanus_cli", "execute", "RunBuild", "--build", "gated-app", "-y",
        env=cli.env, cwd=ROOT, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None
    seen: list[str] = []
    while not any(line.startswith("==> Clone") for line in seen):
        line = await asyncio.wait_for(proc.stdout.readline(), 30)
        assert line, f"ended before the first stage: {seen}"
        seen.append(line.decode().rstrip("\n"))
    # The first stage is printed while the run waits at the gate: still running.
    await asyncio.sleep(0.5)
    assert proc.returncode is None
    executor.gate.set()
    out, _ = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0
    assert "==> Push  [ok]  1.5s" in out.decode()


async def test_failed_execution_exits_1(cli: Cli, executor: Executor) -> None:
    await cli.ok("write", "CreateBuild", "--name", "broken-app")
    result = await cli("execute", "RunBuild", "--build", "broken-app", "-y")
    assert result.code == 1
    assert "==> Build  [FAILED]  1.5s" in result.out and "    stderr| Build went wrong" in result.out
    assert re.fullmatch(r"RunBuild FAILED in \d+\.\ds: stage 'Build' failed", result.out.splitlines()[-1])


async def test_detach_returns_the_update_id_at_once(cli: Cli, executor: Executor) -> None:
    await cli.ok("write", "CreateBuild", "--name", "gated-app")
    detached = await cli("execute", "RunBuild", "--build", "gated-app", "-y", "--detach")
    assert detached.code == 0
    update_id = detached.out.strip()
    assert re.fullmatch(r"[0-9a-f]{24}", update_id)
    running = json.loads(await cli.ok("update", update_id, "--json"))
    assert running["status"] == "InProgress"  # it returned while the run waits at the gate

    follow = asyncio.create_task(cli("update", update_id, "--follow"))
    await asyncio.sleep(1)
    assert not follow.done()
    executor.gate.set()
    followed = await follow
    assert followed.code == 0
    assert re.search(r"^status:\s+InProgress$", followed.out, re.MULTILINE)
    assert followed.out.count("==> ") == 3 and followed.out.splitlines()[-1].startswith("RunBuild succeeded")


async def test_execute_json_prints_the_final_update(cli: Cli, executor: Executor) -> None:
    await cli.ok("write", "CreateBuild", "--name", "app")
    result = await cli("--json", "execute", "RunBuild", "--build", "app", "-y")
    assert result.code == 0
    final = json.loads(result.out)
    assert final["status"] == "Complete" and final["success"] is True and len(final["logs"]) == 3


async def test_execute_timeout_exits_1_with_a_way_back(cli: Cli, executor: Executor) -> None:
    await cli.ok("write", "CreateBuild", "--name", "gated-app")
    result = await cli("execute", "RunBuild", "--build", "gated-app", "-y", "--timeout", "1")
    assert result.code == 1
    assert "is still InProgress after 1.0s" in result.err
    assert re.search(r"follow it with: varanus update [0-9a-f]{24} --follow", result.err)


async def test_execution_needs_confirmation(cli: Cli, executor: Executor) -> None:
    await create_deployment(cli)
    refused = await cli("execute", "RunBuild", "--build", "app")
    assert refused.code == 2 and "stdin is not a terminal: pass -y (--yes)" in refused.err
    refused_short = await cli("deploy", "web")
    assert refused_short.code == 2 and "Execute Deploy on deployment=web" in refused_short.err
    assert executor.received == []

    # On a terminal the CLI asks; "n" cancels, "y" runs.
    for answer, code in ((b"n\n", 1), (b"y\n", 0)):
        leader, follower = pty.openpty()
        try:
            os.write(leader, answer)
            result = await cli("deploy", "web", stdin=follower)
        finally:
            os.close(follower)
            os.close(leader)
        assert result.code == code, result.err
        assert "Execute Deploy on deployment=web? [y/N]" in result.err
    assert "cancelled; nothing was executed" in (await _cancelled(cli)).err
    assert executor.received == [("Deploy", {"deployment": "web"})]


async def _cancelled(cli: Cli) -> Result:
    leader, follower = pty.openpty()
    try:
        os.write(leader, b"\n")  # the default is No
        return await cli("deploy", "web", stdin=follower)
    finally:
        os.close(follower)
        os.close(leader)


async def test_batch_execution_follows_each_update_and_reports_failures(cli: Cli, executor: Executor) -> None:
    await cli.ok("write", "CreateBuild", "--name", "app")
    result = await cli("execute", "BatchRunBuild", "--pattern", "*", "-y")
    assert result.code == 1  # one item could not start
    assert result.out.count("==> ") == 3 and "RunBuild succeeded" in result.out
    assert "error: ghost: builder ghost-builder is not reachable" in result.err
