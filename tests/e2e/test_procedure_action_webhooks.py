"""Procedure and action webhooks over HTTP (`/listener/<provider>/{procedure,action}/<id>/<branch or __ANY__>`):
a signed push to the URL's branch runs RunProcedure / RunAction as the `Git Webhook` user, an action's script
sees `WEBHOOK_BRANCH` and `WEBHOOK_BODY` in ARGS; another branch, a bad signature or a disabled webhook runs
nothing."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx

from contracts.service_users import GIT_WEBHOOK_USER_ID
from tests.e2e.conftest import CORE_SECRET, BusClient
from tests.e2e.helpers import eventually, github, push

OWN_SECRET = f"own-{uuid.uuid4().hex}"


def gitlab(secret: str) -> dict[str, str]:
    """The headers GitLab sends with a push event."""
    return {"content-type": "application/json", "x-gitlab-event": "Push Hook", "x-gitlab-token": secret}


async def runs(client: BusClient, kind: str, resource_id: str) -> list[dict[str, Any]]:
    """The resource's RunProcedure / RunAction Updates, newest first."""
    operation = "RunProcedure" if kind == "Procedure" else "RunAction"
    query = {"target.type": kind, "target.id": resource_id, "operation": operation}
    return list((await client.read("ListUpdates", {"query": query}))["updates"])


async def run_number(client: BusClient, kind: str, resource_id: str, count: int) -> dict[str, Any]:
    """The resource's `count`-th run, once every run so far is Complete (a webhook arriving while the one before
    still ran is queued, so its answer may not carry the Update id)."""

    async def done() -> list[dict[str, Any]] | None:
        found = await runs(client, kind, resource_id)
        complete = len(found) >= count and all(u["status"] == "Complete" for u in found)
        return found if complete else None

    found = await eventually(done, 60)
    assert found is not None and len(found) == count, await runs(client, kind, resource_id)
    return dict(await client.read("GetUpdate", {"id": found[0]["id"]}))


async def test_github_and_gitlab_pushes_run_a_procedure_as_the_git_webhook_user(
    registry, executor, client, webhook_url
):
    stage = {"name": "s", "enabled": True, "executions": [{"execution": {"type": "None", "params": {}}}]}
    created = await client.write(
        "CreateProcedure", {"name": "hooked", "config": {"stages": [stage], "webhook_secret": OWN_SECRET}}
    )
    pid = created["_id"]["$oid"]
    main, dev = push("main"), push("dev")
    async with httpx.AsyncClient(base_url=webhook_url, timeout=30) as http:
        # A bad signature (the core secret does not sign for a procedure with its own): 401, nothing runs.
        bad = await http.post(
            "/listener/github/procedure/hooked/main", content=main, headers=github(CORE_SECRET, main)
        )
        assert bad.status_code == 401 and "X-Hub-Signature-256" in bad.json()["error"]
        assert OWN_SECRET not in bad.text and CORE_SECRET not in bad.text
        # A push to another branch than the URL's: 200 and nothing runs.
        other = await http.post(
            "/listener/github/procedure/hooked/main", content=dev, headers=github(OWN_SECRET, dev)
        )
        assert other.status_code == 200 and other.json()["execution"] is None
        assert "'dev' ignored" in other.json()["message"]
        assert await runs(client, "Procedure", pid) == []

        # The positive controls: GitHub's push to the URL's branch, GitLab's to `__ANY__` (by id) run it.
        ok = await http.post(
            "/listener/github/procedure/hooked/main", content=main, headers=github(OWN_SECRET, main)
        )
        assert ok.status_code == 200 and ok.json()["execution"] == "RunProcedure", ok.text
        first = await run_number(client, "Procedure", pid, 1)
        assert first["_id"]["$oid"] == ok.json()["update_id"]
        lab = await http.post(
            f"/listener/gitlab/procedure/{pid}/__ANY__", content=dev, headers=gitlab(OWN_SECRET)
        )
        assert lab.status_code == 200 and lab.json()["execution"] == "RunProcedure", lab.text
        second = await run_number(client, "Procedure", pid, 2)
        # A branch with a slash is the rest of the path.
        slashed = push("feature/x")
        feature = await http.post(
            "/listener/github/procedure/hooked/feature/x",
            content=slashed,
            headers=github(OWN_SECRET, slashed),
        )
        assert feature.status_code == 200 and feature.json()["execution"] == "RunProcedure", feature.text
        third = await run_number(client, "Procedure", pid, 3)
        for update in (first, second, third):
            assert update["success"] is True, json.dumps(update["logs"], indent=1)
            assert update["operator"] == GIT_WEBHOOK_USER_ID and update["operation"] == "RunProcedure"

        # Disabled: refused with a message, nothing runs.
        await client.write("UpdateProcedure", {"id": "hooked", "config": {"webhook_enabled": False}})
        off = await http.post(
            "/listener/github/procedure/hooked/main", content=main, headers=github(OWN_SECRET, main)
        )
        assert off.status_code == 200 and off.json()["execution"] is None
        assert "disabled (webhook_enabled = false)" in off.json()["message"]

        # An unknown procedure is named; a body that is not JSON is a 400.
        unknown = await http.post(
            "/listener/github/procedure/nope/main", content=main, headers=github(CORE_SECRET, main)
        )
        assert unknown.status_code == 404 and "nope" in unknown.json()["error"]
        form = b"payload=%7B%7D"
        malformed = await http.post(
            "/listener/github/procedure/hooked/main", content=form, headers=github(OWN_SECRET, form)
        )
        assert malformed.status_code == 400 and "JSON object" in malformed.json()["error"]
        paths = (await http.get("/openapi.json")).json()["paths"]
        assert "/listener/{provider}/action/{action}/{branch}" in paths
    assert len(await runs(client, "Procedure", pid)) == 3


TS_ACTION = (
    'console.log("branch", ARGS.WEBHOOK_BRANCH, "repo", ARGS.WEBHOOK_BODY.repository.full_name, ARGS.kept);'
)
PY_ACTION = (
    'print("branch", ARGS["WEBHOOK_BRANCH"], "pusher", ARGS["WEBHOOK_BODY"]["pusher"]["name"], ARGS["kept"])'
)


def script_output(update: dict[str, Any]) -> str:
    return str(next(log for log in update["logs"] if log["stage"] == "Execute Action")["stdout"])


async def test_an_action_webhook_gives_its_script_the_branch_and_the_body(
    registry, executor, client, webhook_url
):
    # The defaults include a WEBHOOK_BRANCH: the webhook's is laid over them, as a RunAction's args are.
    arguments = "kept=yes\nWEBHOOK_BRANCH=default"
    ts = await client.write(
        "CreateAction", {"name": "ts-hook", "config": {"file_contents": TS_ACTION, "arguments": arguments}}
    )
    py_config = {
        "language": "Python",
        "file_contents": PY_ACTION,
        "arguments": arguments,
        "webhook_secret": OWN_SECRET,
    }
    py = await client.write("CreateAction", {"name": "py-hook", "config": py_config})
    ts_id, py_id = ts["_id"]["$oid"], py["_id"]["$oid"]
    feature, main = push("feature/x"), push("main")
    async with httpx.AsyncClient(base_url=webhook_url, timeout=30) as http:
        bad = await http.post(
            "/listener/github/action/ts-hook/__ANY__", content=main, headers=github("wrong", main)
        )
        assert bad.status_code == 401
        other = await http.post(
            "/listener/gitlab/action/py-hook/main", content=feature, headers=gitlab(OWN_SECRET)
        )
        assert other.status_code == 200 and "'feature/x' ignored" in other.json()["message"]
        assert await runs(client, "Action", ts_id) == [] and await runs(client, "Action", py_id) == []

        anything = await http.post(
            "/listener/github/action/ts-hook/__ANY__", content=feature, headers=github(CORE_SECRET, feature)
        )
        assert anything.status_code == 200 and anything.json()["execution"] == "RunAction", anything.text
        named = await http.post(
            "/listener/gitlab/action/py-hook/main", content=main, headers=gitlab(OWN_SECRET)
        )
        assert named.status_code == 200 and named.json()["execution"] == "RunAction", named.text
        ts_run = await run_number(client, "Action", ts_id, 1)
        py_run = await run_number(client, "Action", py_id, 1)
        for update in (ts_run, py_run):
            assert update["success"] is True, json.dumps(update["logs"], indent=1)
            assert update["operator"] == GIT_WEBHOOK_USER_ID
        assert "branch feature/x repo acme/app yes" in script_output(ts_run)
        assert "branch main pusher octocat yes" in script_output(py_run)

        await client.write("UpdateAction", {"id": "py-hook", "config": {"webhook_enabled": False}})
        off = await http.post(
            "/listener/gitlab/action/py-hook/main", content=main, headers=gitlab(OWN_SECRET)
        )
        assert off.status_code == 200 and "disabled" in off.json()["message"]
        unknown = await http.post(
            "/listener/gitlab/action/nope/main", content=main, headers=gitlab(CORE_SECRET)
        )
        assert unknown.status_code == 404 and "nope" in unknown.json()["error"]
    assert len(await runs(client, "Action", py_id)) == 1
