"""Actions run by the executor: TypeScript with Deno and Python, each with ARGS and a `komodo` client holding a
temporary key of the Action user, through the real gateway, registry and NATS."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from contracts.service_users import ACTION_USER_ID
from services.executor.actions.api_keys import KEY_MARKER
from services.executor.app import Executor
from tests.e2e.conftest import BusClient, running, service_settings
from tests.e2e.helpers import eventually, finished

Starter = Callable[..., AbstractAsyncContextManager[Executor]]


@pytest.fixture
def start_executor(
    registry: Any, gateway_url: str, nats_url: str, mongo_url: str, db_prefix: str, tmp_path: Path
) -> Starter:
    """Starts an executor whose action scripts reach the test gateway, with a given time limit."""

    @asynccontextmanager
    async def started(timeout: float = 60.0) -> AsyncIterator[Executor]:
        settings = service_settings(
            nats_url, mongo_url, db_prefix, tmp_path, gateway_url=gateway_url, action_timeout_seconds=timeout
        )
        async with running(Executor(settings)) as service:
            yield service

    return started


async def run_keys(service_client: BusClient) -> list[dict[str, Any]]:
    """The Action user's temporary run keys."""
    keys = await service_client.ok("internal", "ListUserApiKeys", {"user_id": ACTION_USER_ID})
    return [key for key in keys if key["name"].startswith(KEY_MARKER)]


async def run(client: BusClient, name: str, config: dict[str, Any], args: Any = None) -> dict[str, Any]:
    """Create an action and run it to its end; its complete Update."""
    await client.write("CreateAction", {"name": name, "config": config})
    update = await client.ok("execute", "RunAction", {"action": name, "args": args})
    return await finished(client, update, seconds=60)


def stage(update: dict[str, Any], name: str = "Execute Action") -> dict[str, Any]:
    """The update's log of that stage."""
    return next(log for log in update["logs"] if log["stage"] == name)


TS_SCRIPT = """
await komodo.write("CreateVariable", { name: ARGS.name, value: ARGS.value });
const found = await komodo.read("GetVariable", { name: ARGS.name });
console.log("read back", found.name, found.value, ARGS.kept);
"""

PY_SCRIPT = """
komodo.write("CreateVariable", {"name": ARGS["var"]["name"], "value": ARGS["var"]["value"]})
found = komodo.read("GetVariable", {"name": ARGS["var"]["name"]})
print("read back", found["name"], found["value"], ARGS["var"]["kept"], ARGS["top"])
"""


async def test_typescript_and_python_actions_create_and_read_back(
    start_executor: Starter, client: BusClient, service_client: BusClient
) -> None:
    async with start_executor():
        ts = await run(
            client,
            "ts-action",
            {"file_contents": TS_SCRIPT, "arguments": "name=TS_VAR\nvalue=default\nkept=yes"},
            {"value": "from-request"},
        )
        py = await run(
            client,
            "py-action",
            {
                "language": "Python",
                "file_contents": PY_SCRIPT,
                "arguments_format": "json",
                "arguments": '{"var": {"name": "PY_VAR", "value": "default", "kept": "yes"}, "top": 1}',
            },
            {"var": {"value": "from-request"}},
        )
        assert ts["success"], ts["logs"]
        assert "read back TS_VAR from-request yes" in stage(ts)["stdout"]
        assert py["success"], py["logs"]
        assert "read back PY_VAR from-request yes 1" in stage(py)["stdout"]
        for name in ("TS_VAR", "PY_VAR"):
            assert (await client.read("GetVariable", {"name": name}))["value"] == "from-request"
        assert await run_keys(service_client) == []


async def test_secrets_and_the_run_key_are_redacted(start_executor: Starter, client: BusClient) -> None:
    await client.write("CreateVariable", {"name": "TOKEN", "value": "tok-3x4mple-secret", "is_secret": True})
    async with start_executor():
        ts = await run(client, "ts-secret", {"file_contents": 'console.log("token is [[TOKEN]]");'})
        script = 'print("token is [[TOKEN]]")\nprint("key", komodo._client.config.api_key, komodo._client.config.api_secret)'
        py = await run(client, "py-secret", {"language": "Python", "file_contents": script})
    for update in (ts, py):
        assert update["success"], update["logs"]
        assert "token is <TOKEN>" in stage(update)["stdout"]
        assert "tok-3x4mple-secret" not in str(update)
    assert "key <ACTION_API_KEY> <ACTION_API_SECRET>" in stage(py)["stdout"]


async def test_failures_carry_stderr_and_a_hanging_script_is_killed(
    start_executor: Starter, client: BusClient
) -> None:
    async with start_executor(timeout=3.0):
        py = await run(
            client,
            "py-fails",
            {
                "language": "Python",
                "file_contents": 'import sys\nprint("oops", file=sys.stderr)\nsys.exit(3)',
            },
        )
        ts = await run(client, "ts-fails", {"file_contents": 'throw new Error("boom");'})
        hangs = await run(
            client, "py-hangs", {"language": "Python", "file_contents": "import time\ntime.sleep(600)"}
        )
    assert not py["success"] and "oops" in stage(py)["stderr"] and "exited with code 3" in stage(py)["stderr"]
    assert not ts["success"] and "boom" in stage(ts)["stderr"]
    assert not hangs["success"] and "time limit of 3 s" in stage(hangs)["stderr"]
    assert hangs["end_ts"] - hangs["start_ts"] < 15_000


async def test_cancel_kills_a_running_script_and_its_key_goes(
    start_executor: Starter, client: BusClient, service_client: BusClient
) -> None:
    script = 'import time\nprint("started", flush=True)\ntime.sleep(600)'
    async with start_executor():
        await client.write(
            "CreateAction", {"name": "sleeper", "config": {"language": "Python", "file_contents": script}}
        )
        update = await client.ok("execute", "RunAction", {"action": "sleeper"})

        async def shown() -> bool:
            got = await client.read("GetUpdate", {"id": update["_id"]["$oid"]})
            return any("started" in log["stdout"] for log in got["logs"])

        assert await eventually(shown, 30), "the script's output was not shown while it ran"
        assert len(await run_keys(service_client)) == 1  # positive control: the key exists while it runs
        assert (await client.read("GetActionActionState", {"action": "sleeper"}))["running"] == 1
        other = await client.ok("execute", "CancelAction", {"action": "sleeper", "update_id": "0" * 24})
        assert "no run of it was running" in stage(await finished(client, other), "Cancel Action")["stdout"]
        cancel = await client.ok(
            "execute", "CancelAction", {"action": "sleeper", "update_id": update["_id"]["$oid"]}
        )
        cancelled = await finished(client, cancel)
        done = await finished(client, update, seconds=15)
        assert (await client.read("GetActionActionState", {"action": "sleeper"}))["running"] == 0
    assert "killed 1" in stage(cancelled, "Cancel Action")["stdout"]
    assert not done["success"] and "cancelled" in stage(done)["stderr"]
    assert "started" in stage(done)["stdout"]
    assert not any("(progress" in log["stage"] for log in done["logs"])
    assert await run_keys(service_client) == []


async def test_leftover_keys_are_deleted_at_start_and_batches_run(
    start_executor: Starter, client: BusClient, service_client: BusClient
) -> None:
    await service_client.ok(
        "internal", "IssueApiKey", {"user_id": ACTION_USER_ID, "name": f"{KEY_MARKER}crashed", "expires": 0}
    )
    assert len(await run_keys(service_client)) == 1
    for name in ("batch-a", "batch-b"):
        await client.write(
            "CreateAction", {"name": name, "config": {"language": "Python", "file_contents": "print(ARGS)"}}
        )
    async with start_executor():
        assert await eventually(lambda: _none_left(service_client), 15)
        items = await client.ok("execute", "BatchRunAction", {"pattern": "batch-*"})
        assert [item["status"] for item in items] == ["Ok", "Ok"]
        for item in items:
            assert (await finished(client, item["data"], seconds=30))["success"]


async def _none_left(service_client: BusClient) -> bool:
    return await run_keys(service_client) == []


async def test_run_at_startup_runs_once_with_two_replicas(start_executor: Starter, client: BusClient) -> None:
    await client.write(
        "CreateAction",
        {
            "name": "on-start",
            "config": {"run_at_startup": True, "language": "Python", "file_contents": "print(1)"},
        },
    )
    await client.write(
        "CreateAction", {"name": "not-on-start", "config": {"language": "Python", "file_contents": ""}}
    )

    async def runs() -> list[dict[str, Any]]:
        listed = await client.read("ListUpdates", {"query": {"operation": "RunAction"}})
        return list(listed["updates"])

    async with start_executor(), start_executor():
        assert await eventually(runs, 20), "the startup action did not run"
        for update in await runs():
            await finished(client, {**update, "_id": {"$oid": update["id"]}})
    started = await runs()
    assert len(started) == 1
    assert started[0]["status"] == "Complete" and started[0]["success"]


async def test_the_gateway_serves_the_client_module(gateway_url: str) -> None:
    async with httpx.AsyncClient() as http:
        answer = await http.get(f"{gateway_url}/client/komodo_client.ts")
    assert answer.status_code == 200
    assert "export function KomodoClient(" in answer.text
    assert "execute_and_poll" in answer.text


async def test_a_child_left_running_is_killed_with_the_script(
    start_executor: Starter, client: BusClient
) -> None:
    script = 'import subprocess, sys\nsubprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])\nprint("left a child")'
    async with start_executor():
        update = await run(client, "leaves-child", {"language": "Python", "file_contents": script})
    assert not update["success"]
    assert "left a child" in stage(update)["stdout"]
    assert "left processes running" in stage(update)["stderr"]


async def test_lists_show_the_state_of_the_last_run(start_executor: Starter, client: BusClient) -> None:
    python = {"language": "Python"}
    async with start_executor():
        await run(client, "good", python | {"file_contents": 'print("fine")'})
        await run(client, "bad", python | {"file_contents": "raise SystemExit(3)"})
        slow_config = python | {"file_contents": "import time\ntime.sleep(float(ARGS['for']))"}
        await run(client, "slow", slow_config, {"for": "0"})
        await client.write("CreateAction", {"name": "never", "config": python})
        slow = await client.ok("execute", "RunAction", {"action": "slow", "args": {"for": "3"}})
        listed = {item["name"]: item["info"] for item in await client.read("ListActions", {})}
        assert {name: info["state"] for name, info in listed.items()} == {
            "good": "Ok",
            "bad": "Failed",
            "slow": "Running",
            "never": "Unknown",
        }
        assert listed["slow"]["last_run_at"] == slow["start_ts"] and listed["never"]["last_run_at"] is None
        summary = await client.read("GetActionsSummary", {})
        assert summary == {"total": 4, "ok": 1, "running": 1, "failed": 1, "unknown": 1}
        await finished(client, slow, 20)
        after = {item["name"]: item["info"]["state"] for item in await client.read("ListActions", {})}
        assert after["slow"] == "Ok"
