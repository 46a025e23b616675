"""The pure parts of the procedure chain: derived Update ids, batch executions' singles, children, list state."""

from __future__ import annotations

from contracts.catalog import load_all
from services.executor.procedures import children
from services.executor.procedures.chain import Chain
from services.executor.procedures.store import FAILED, OK, RUNNING, procedure_infos

load_all()


def test_child_update_ids_are_object_ids_stable_per_run_stage_and_execution() -> None:
    first = children.child_update_id("a" * 24, 0, 1)
    assert first == children.child_update_id("a" * 24, 0, 1)
    assert len(first) == 24 and int(first, 16) >= 0
    others = {
        children.child_update_id("a" * 24, 1, 1),
        children.child_update_id("a" * 24, 0, 2),
        children.child_update_id("b" * 24, 0, 1),
        children.child_update_id("a" * 24, 0, "1.0"),
    }
    assert first not in others and len(others) == 4


def test_batch_executions_name_their_single_execution_and_field() -> None:
    assert children.single_of("BatchDeploy") == ("Deploy", "deployment")
    assert children.single_of("BatchDeployStackIfChanged") == ("DeployStackIfChanged", "stack")
    assert children.single_of("BatchRunProcedure") == ("RunProcedure", "procedure")
    assert children.single_of("BatchRunAction") == ("RunAction", "action")
    assert children.single_of("Deploy") is None


def test_none_is_done_and_sleep_is_a_timer() -> None:
    assert children.inside("None", {})["status"] == OK
    sleep = children.inside("Sleep", {"duration_ms": 500})
    assert sleep["status"] == RUNNING and sleep["until"] > 0
    assert children.inside("Sleep", {"duration_ms": -1})["status"] == FAILED


def test_a_batch_child_keeps_the_updates_started_and_the_errors_of_the_others() -> None:
    parts = [
        {"updates": ["u1"], "error": ""},
        {"updates": [], "error": "busy"},
    ]
    child = children.merged("BatchDeploy", ["a", "b"], parts)
    assert child["status"] == RUNNING and child["updates"] == ["u1"] and child["error"] == "b: busy"
    assert children.merged("BatchDeploy", [], [])["status"] == OK
    assert children.merged("BatchDeploy", ["b"], parts[1:])["status"] == FAILED


def test_an_unknown_execution_type_is_not_available() -> None:
    try:
        children.request_of("CommitSyncs", {})
    except Exception as err:
        assert "CommitSyncs is not available" in str(err)
    else:
        raise AssertionError("CommitSyncs was accepted")
    # CommitSync, a write request, is one of Komodo's executions.
    assert type(children.request_of("CommitSync", {"sync": "s"})).__name__ == "CommitSync"
    # Other write requests are not.
    try:
        children.request_of("UpdateDeployment", {"id": "d", "config": {}})
    except Exception as err:
        assert "UpdateDeployment is not available" in str(err)
    else:
        raise AssertionError("UpdateDeployment was accepted")


def test_the_stage_log_names_each_execution_its_result_and_updates() -> None:
    stage = {"name": "deploy", "executions": [{"type": "Deploy", "params": {"deployment": "web"}}]}
    entry = Chain._stage_log(0, stage, [{"status": FAILED, "updates": ["u1"], "error": "pull failed"}])
    assert entry.stage == "Stage 1: deploy" and not entry.success
    assert entry.stdout == "Deploy(deployment='web'): Failed (Update u1)"
    assert entry.stderr == "Deploy(deployment='web'): pull failed"


def test_list_state_is_running_until_the_run_is_closed() -> None:
    infos = procedure_infos(
        {
            "p1": {"status": OK, "closed": True, "start_ts": 5},
            "p2": {"status": FAILED, "closed": False, "start_ts": 6},
            "p3": {"status": RUNNING, "closed": False, "start_ts": 7},
        }
    )
    assert infos == {
        "p1": {"state": "Ok", "last_run_at": 5},
        "p2": {"state": "Running", "last_run_at": 6},
        "p3": {"state": "Running", "last_run_at": 7},
    }
