"""Procedures as an event chain on real NATS, Mongo and dockerd: stages in order, children with their own Updates,
a failed child failing the run, a cancel, a procedure that runs itself refused."""

from __future__ import annotations

import contextlib
import uuid
from typing import Any

import aiodocker
import pytest

from contracts.service_users import PROCEDURE_USER_ID
from tests.e2e.helpers import IMAGE, eventually, finished, start_agent

pytestmark = pytest.mark.docker


def stage(name: str, *executions: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    """A stage of enabled executions."""
    return {
        "name": name,
        "enabled": True,
        "executions": [{"execution": {"type": t, "params": p}, "enabled": True} for t, p in executions],
    }


async def create_procedure(client: Any, name: str, *stages: dict[str, Any]) -> str:
    """Create a procedure; its id."""
    created = await client.write("CreateProcedure", {"name": name, "config": {"stages": list(stages)}})
    return str(created["_id"]["$oid"])


async def run(client: Any, name: str, seconds: float = 60.0) -> dict[str, Any]:
    """Run a procedure and wait for its Update to complete."""
    return await finished(client, await client.ok("execute", "RunProcedure", {"procedure": name}), seconds)


def stage_logs(update: dict[str, Any]) -> list[dict[str, Any]]:
    """The per-stage logs of a procedure's Update."""
    return [log for log in update["logs"] if log["stage"].startswith("Stage ")]


@contextlib.asynccontextmanager
async def docker_server(client: Any, nats_url: str) -> Any:
    """A server `dock` with a local agent; removes the containers named `varanus-e2e-proc-*` afterwards."""
    server = await client.write("CreateServer", {"name": "dock", "config": {"enabled": True}})
    agent = start_agent(nats_url, server["_id"]["$oid"])
    await agent.start()
    try:
        yield
    finally:
        await agent.stop()
        docker = aiodocker.Docker()
        for container in await docker.containers.list(all=True):
            names = container._container.get("Names") or []
            if any(n.lstrip("/").startswith("varanus-e2e-proc-") for n in names):
                with contextlib.suppress(aiodocker.DockerError):
                    await container.delete(force=True)
        await docker.close()


async def deployment(client: Any, image: str = IMAGE, prefix: str = "varanus-e2e-proc-") -> str:
    """A deployment on `dock` running `sleep 3600`; its name (`prefix` and a random part)."""
    name = f"{prefix}{uuid.uuid4().hex[:6]}"
    config = {
        "server_id": "dock",
        "image": {"type": "Image", "params": {"image": image}},
        "command": "sleep 3600",
        "termination_timeout": 1,
    }
    await client.write("CreateDeployment", {"name": name, "config": config})
    return name


async def test_three_stages_run_in_order_with_their_own_updates(
    registry, executor, client, nats_url, docker_available
):
    async with docker_server(client, nats_url):
        first = await deployment(client)
        batched = [await deployment(client, prefix="varanus-e2e-proc-batch-") for _ in range(2)]
        await create_procedure(
            client,
            "three",
            stage("deploy", ("Deploy", {"deployment": first})),
            stage(
                "parallel",
                ("BatchDeploy", {"pattern": "varanus-e2e-proc-batch-*"}),
                ("None", {}),
                ("Sleep", {"duration_ms": 200}),
                ("StartContainer", {"server": "dock", "container": first}),  # running already: a no-op
            ),
            stage("rest", ("Sleep", {"duration_ms": 300}), ("StopDeployment", {"deployment": first})),
        )
        done = await run(client, "three")
        assert done["success"] is True, done["logs"]
        logs = stage_logs(done)
        assert [log["stage"] for log in logs] == ["Stage 1: deploy", "Stage 2: parallel", "Stage 3: rest"]
        assert all(log["success"] for log in logs)
        procedure_run = done["_id"]["$oid"]
        listed = await client.read(
            "ListUpdates", {"query": {"operation": "Deploy", "operator": PROCEDURE_USER_ID}}
        )
        deploys = listed["updates"] if isinstance(listed, dict) else listed
        ids = {
            n: (await client.read("GetDeployment", {"deployment": n}))["_id"]["$oid"]
            for n in [first, *batched]
        }
        # One Deploy per deployment, the batch's two after the first one (stages in order).
        assert sorted(d["target"]["id"] for d in deploys) == sorted(ids.values()), deploys
        by_target = {d["target"]["id"]: d for d in deploys}
        for name in batched:
            assert by_target[ids[name]]["start_ts"] > by_target[ids[first]]["start_ts"]
        for item in deploys:
            child = await client.read("GetUpdate", {"id": item["id"]})
            assert child["success"] is True, child["logs"]
            cause = child["logs"][0]
            assert cause["stage"] == "Cause" and procedure_run in cause["stdout"], cause
            assert item["id"] in "\n".join(log["stdout"] for log in logs)
        # The other executions take the Update id and cause the procedure gives them too.
        for operation in ("StopDeployment", "StartContainer"):
            listed = await client.read("ListUpdates", {"query": {"operation": operation}})
            found = listed["updates"] if isinstance(listed, dict) else listed
            assert len(found) == 1 and found[0]["operator"] == PROCEDURE_USER_ID, found
            child = await client.read("GetUpdate", {"id": found[0]["id"]})
            assert child["success"] is True, child["logs"]
            assert child["logs"][0]["stage"] == "Cause", child["logs"]
            assert procedure_run in child["logs"][0]["stdout"], child["logs"]
        state = await client.read("GetProcedureActionState", {"procedure": "three"})
        assert state["running"] is False


async def test_a_failed_execution_fails_its_stage_and_the_procedure(
    registry, executor, client, nats_url, docker_available
):
    async with docker_server(client, nats_url):
        broken = await deployment(client, image="127.0.0.1:9/varanus-none:1")
        await create_procedure(
            client,
            "fails",
            stage("deploy", ("Deploy", {"deployment": broken}), ("Sleep", {"duration_ms": 0})),
            stage("never", ("None", {})),
        )
        done = await run(client, "fails")
        assert done["success"] is False
        logs = stage_logs(done)
        assert [log["stage"] for log in logs] == ["Stage 1: deploy"], done["logs"]
        assert "Deploy" in logs[0]["stderr"] and "failed" in logs[0]["stderr"], logs[0]


async def test_an_execution_with_no_service_fails_at_run_time_as_not_available(registry, executor, client):
    await create_procedure(client, "unavailable", stage("sync", ("RunSync", {"sync": "nothing"})))
    done = await run(client, "unavailable")
    assert done["success"] is False
    assert "RunSync is not available" in stage_logs(done)[0]["stderr"], done["logs"]


async def test_cancel_stops_a_run_before_its_next_stage(registry, executor, client):
    await create_procedure(
        client, "cancelled", stage("wait", ("Sleep", {"duration_ms": 1500})), stage("after", ("None", {}))
    )
    started = await client.ok("execute", "RunProcedure", {"procedure": "cancelled"})
    state = await client.read("GetProcedureActionState", {"procedure": "cancelled"})
    assert state["running"] is True
    busy = await client.send("execute", "RunProcedure", {"procedure": "cancelled"})
    assert busy.status == 409 and "busy" in busy.body["error"], busy.body
    cancel = await client.ok("execute", "CancelProcedure", {"procedure": "cancelled"})
    assert cancel["status"] == "Complete"
    done = await finished(client, started, 20)
    assert done["success"] is False
    assert [log["stage"] for log in stage_logs(done)] == ["Stage 1: wait"], done["logs"]
    assert "cancelled before stage 2" in done["logs"][-1]["stderr"]
    # A positive control: without a cancel the same procedure runs both stages.
    again = await run(client, "cancelled")
    assert again["success"] is True
    assert len(stage_logs(again)) == 2


async def test_a_procedure_that_runs_itself_is_refused(registry, executor, client):
    await create_procedure(client, "loop-a")
    await create_procedure(client, "loop-b", stage("back", ("RunProcedure", {"procedure": "loop-a"})))
    await client.write(
        "UpdateProcedure",
        {"id": "loop-a", "config": {"stages": [stage("b", ("RunProcedure", {"procedure": "loop-b"}))]}},
    )
    answer = await client.send("execute", "RunProcedure", {"procedure": "loop-a"})
    assert answer.status == 400, answer.body
    assert "loop-a -> loop-b -> loop-a" in answer.body["error"]
    await create_procedure(client, "self", stage("me", ("RunProcedure", {"procedure": "self"})))
    answer = await client.send("execute", "RunProcedure", {"procedure": "self"})
    assert answer.status == 400 and "self -> self" in answer.body["error"], answer.body
    # A procedure running another (no cycle) runs it as a child.
    await create_procedure(client, "leaf", stage("s", ("Sleep", {"duration_ms": 10})))
    await create_procedure(client, "outer", stage("inner", ("RunProcedure", {"procedure": "leaf"})))
    done = await run(client, "outer")
    assert done["success"] is True, done["logs"]
    assert await eventually(lambda: _leaf_ran(client), 5)


async def _leaf_ran(client: Any) -> bool:
    listed = await client.read("ListUpdates", {"query": {"operation": "RunProcedure"}})
    items = listed["updates"] if isinstance(listed, dict) else listed
    return sum(1 for item in items if item["operator"] == PROCEDURE_USER_ID) == 1


async def test_a_run_survives_its_executor_killed_mid_stage(
    registry, client, nats_url, mongo_url, db_prefix, tmp_path, docker_available
):
    """SIGKILL the executor (a process of its own) during a Sleep stage, start it again: the run goes on from
    where it was and ends Ok, each deploy run once."""
    from tests.e2e.processes import ServiceProcess, start_service, wait_answering, wait_until

    def executor_process() -> ServiceProcess:
        return start_service("executor", nats_url, mongo_url, db_prefix, tmp_path / "data")

    answered = "komodo.read.GetProcedureActionState"
    first = executor_process()
    second: ServiceProcess | None = None
    try:
        await wait_answering(first, client.nc, answered, {"procedure": "-"}, client.headers)
        async with docker_server(client, nats_url):
            before, after = await deployment(client), await deployment(client)
            await create_procedure(
                client,
                "survivor",
                stage("before", ("Deploy", {"deployment": before})),
                stage("wait", ("Sleep", {"duration_ms": 3000})),
                stage("after", ("Deploy", {"deployment": after})),
            )
            started = await client.ok("execute", "RunProcedure", {"procedure": "survivor"})

            async def in_stage_two() -> bool:
                got = await client.read("GetUpdate", {"id": started["_id"]["$oid"]})
                return len(stage_logs(got)) == 1

            await wait_until(in_stage_two, 30, "stage 1 done")
            first.kill()
            second = executor_process()
            await wait_answering(second, client.nc, answered, {"procedure": "-"}, client.headers)
            done = await finished(client, started, 60)
            assert done["success"] is True, done["logs"]
            assert [log["stage"] for log in stage_logs(done)] == [
                "Stage 1: before",
                "Stage 2: wait",
                "Stage 3: after",
            ]
            listed = await client.read(
                "ListUpdates", {"query": {"operation": "Deploy", "operator": PROCEDURE_USER_ID}}
            )
            deploys = listed["updates"] if isinstance(listed, dict) else listed
            assert sorted(d["target"]["id"] for d in deploys) == sorted(
                [
                    (await client.read("GetDeployment", {"deployment": n}))["_id"]["$oid"]
                    for n in (before, after)
                ]
            ), deploys
    finally:
        first.kill()
        if second is not None:
            second.stop()


async def test_lists_show_the_state_of_the_last_run(registry, executor, client):
    await create_procedure(client, "good", stage("s", ("None", {})))
    await create_procedure(client, "bad", stage("s", ("RunSync", {"sync": "x"})))
    await create_procedure(client, "slow", stage("s", ("Sleep", {"duration_ms": 1500})))
    await create_procedure(client, "never")
    await run(client, "good")
    await run(client, "bad")
    slow = await client.ok("execute", "RunProcedure", {"procedure": "slow"})
    listed = {item["name"]: item["info"] for item in await client.read("ListProcedures", {})}
    assert {name: info["state"] for name, info in listed.items()} == {
        "good": "Ok",
        "bad": "Failed",
        "slow": "Running",
        "never": "Unknown",
    }
    assert listed["good"]["last_run_at"] and listed["never"]["last_run_at"] is None
    summary = await client.read("GetProceduresSummary", {})
    assert summary == {"total": 4, "ok": 1, "running": 1, "failed": 1, "unknown": 1}
    await finished(client, slow, 20)
    batch = await client.ok("execute", "BatchRunProcedure", {"pattern": "good, never"})
    assert [item["status"] for item in batch] == ["Ok", "Ok"], batch
    for item in batch:
        assert (await finished(client, item["data"]))["success"] is True


async def test_two_replicas_share_runs_without_running_a_step_twice(
    registry, executor, client, nats_url, mongo_url, db_prefix, tmp_path
):
    from services.common.settings import Settings
    from services.executor.app import Executor

    settings = Settings(
        nats_url=nats_url, database_uri=mongo_url, db_prefix=db_prefix, data_dir=tmp_path / "data"
    )
    second = Executor(settings)
    await second.start()
    try:
        leaves = []
        for i in range(12):
            leaves.append(f"leaf-{i}")
            await create_procedure(client, leaves[-1], stage("s", ("Sleep", {"duration_ms": 20})))
        stages = [
            stage(f"part {n}", *(("RunProcedure", {"procedure": leaf}) for leaf in leaves[n * 4 : n * 4 + 4]))
            for n in range(3)
        ]
        await create_procedure(client, "fan", *stages)
        done = await run(client, "fan")
        assert done["success"] is True, done["logs"]
        assert len(stage_logs(done)) == 3
        listed = await client.read("ListUpdates", {"query": {"operation": "RunProcedure"}})
        items = listed["updates"] if isinstance(listed, dict) else listed
        children = sorted(item["target"]["id"] for item in items if item["operator"] == PROCEDURE_USER_ID)
        assert len(children) == 12 and len(set(children)) == 12, children
        # Both replicas took part: each handled stage events or child notifications.
        handled = [
            sum(c.handled for c in service.bus.consumers if c.name.startswith("executor-procedure"))
            for service in (executor, second)
        ]
        assert all(handled), handled
    finally:
        await second.stop()
