"""Git webhooks over HTTP: a push signed as GitHub or GitLab signs it runs the stack's execution as the
`Git Webhook` user; a bad signature, another branch, a ping or a disabled webhook runs nothing."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import httpx
import pytest

from contracts.service_users import GIT_WEBHOOK_USER_ID
from services.common.embedded import free_port
from services.common.settings import Settings
from tests.e2e.conftest import CORE_SECRET, BusClient, running_gateway
from tests.e2e.helpers import IMAGE, down, eventually, finished, github, push, start_agent

STACK_SECRET = f"stack-{uuid.uuid4().hex}"


def compose() -> str:
    return (
        "services:\n"
        "  app:\n"
        f"    image: {IMAGE}\n"
        "    pull_policy: never\n"
        "    command: ['sleep', '3600']\n"
        "    stop_signal: SIGKILL\n"
    )


async def stack_updates(client: BusClient, stack_id: str) -> list[dict[str, Any]]:
    """The stack's deploy Updates (DeployStack and DeployStackIfChanged), newest first."""
    query = {"target.type": "Stack", "target.id": stack_id, "operation": "DeployStack"}
    listed = await client.read("ListUpdates", {"query": query})
    return list(listed["updates"])


async def deploy_number(client: BusClient, stack_id: str, count: int, seconds: float = 120) -> dict[str, Any]:
    """The stack's `count`-th deploy Update, once it is Complete (a webhook may have been queued behind the
    one before, so its answer may not carry the Update id)."""

    async def newest() -> dict[str, Any] | None:
        updates = await stack_updates(client, stack_id)
        if len(updates) < count or updates[0]["status"] != "Complete":
            return None
        return dict(await client.read("GetUpdate", {"id": updates[0]["id"]}))

    found = await eventually(newest, seconds)
    assert found is not None, await stack_updates(client, stack_id)
    return found


@pytest.mark.docker
async def test_a_signed_push_deploys_the_stack_as_the_git_webhook_user(
    registry, executor, client, webhook_url, nats_url, docker_available, tmp_path
):
    name = f"e2e-hook-{uuid.uuid4().hex[:6]}"
    server = await client.write("CreateServer", {"name": "dock", "config": {"enabled": True}})
    config = {
        "server_id": "dock",
        "file_contents": compose(),
        "auto_pull": False,
        "webhook_secret": STACK_SECRET,
    }
    stack = await client.write("CreateStack", {"name": name, "config": config})
    stack_id = stack["_id"]["$oid"]
    agent = start_agent(nats_url, server["_id"]["$oid"], tmp_path / "stacks")
    await agent.start()
    try:
        async with httpx.AsyncClient(base_url=webhook_url, timeout=30) as http:
            # A bad signature: 401 and nothing runs.
            body = push()
            bad = await http.post(
                f"/listener/github/stack/{name}/deploy", content=body, headers=github("nope", body)
            )
            assert bad.status_code == 401 and "X-Hub-Signature-256" in bad.json()["error"]
            # The core secret does not sign for a stack with its own.
            core = await http.post(
                f"/listener/github/stack/{name}/deploy", content=body, headers=github(CORE_SECRET, body)
            )
            assert core.status_code == 401
            # A ping, and a push to another branch: 200, and nothing runs.
            ping = await http.post(
                f"/listener/github/stack/{stack_id}/deploy",
                content=b'{"zen": "hi"}',
                headers=github(STACK_SECRET, b'{"zen": "hi"}', "ping"),
            )
            assert ping.status_code == 200 and ping.json()["message"].startswith("pong")
            other = push("feature")
            skipped = await http.post(
                f"/listener/github/stack/{name}/deploy", content=other, headers=github(STACK_SECRET, other)
            )
            assert skipped.status_code == 200 and skipped.json()["execution"] is None
            assert "'feature' ignored" in skipped.json()["message"]
            assert await stack_updates(client, stack_id) == []

            # The positive control: the same push, signed, runs DeployStackIfChanged as Git Webhook.
            ok = await http.post(
                f"/listener/github/stack/{name}/deploy", content=body, headers=github(STACK_SECRET, body)
            )
            assert ok.status_code == 200, ok.text
            assert ok.json()["execution"] == "DeployStackIfChanged"
            update = await client.read("GetUpdate", {"id": ok.json()["update_id"]})
            assert update["operator"] == GIT_WEBHOOK_USER_ID and update["operation"] == "DeployStack"
            deployed = await finished(client, update, 120)
            assert deployed["success"] is True, json.dumps(deployed["logs"], indent=1)
            assert {"Diff", "Compose Up"} <= {log["stage"] for log in deployed["logs"]}

            # GitLab sends the secret itself; nothing changed, so DeployStackIfChanged deploys nothing.
            lab = await http.post(
                f"/listener/gitlab/stack/{name}/deploy",
                content=body,
                headers={
                    "content-type": "application/json",
                    "x-gitlab-event": "Push Hook",
                    "x-gitlab-token": STACK_SECRET,
                },
            )
            assert lab.status_code == 200 and lab.json()["execution"] == "DeployStackIfChanged", lab.text
            same = await deploy_number(client, stack_id, 2)
            assert [log["stage"] for log in same["logs"]] == ["Diff", "No Changes"]
            assert same["operator"] == GIT_WEBHOOK_USER_ID

            # webhook_force_deploy: DeployStack, which deploys without comparing.
            await client.write("UpdateStack", {"id": name, "config": {"webhook_force_deploy": True}})
            forced = await http.post(
                f"/listener/github/stack/{name}/deploy", content=body, headers=github(STACK_SECRET, body)
            )
            assert forced.status_code == 200 and forced.json()["execution"] == "DeployStack", forced.text
            again = await deploy_number(client, stack_id, 3)
            assert again["success"] is True and "Diff" not in [log["stage"] for log in again["logs"]]
            assert again["operator"] == GIT_WEBHOOK_USER_ID

            # Two webhooks at once: the second waits for the first to finish, then runs.
            first, second = await asyncio.gather(
                http.post(
                    f"/listener/github/stack/{name}/deploy", content=body, headers=github(STACK_SECRET, body)
                ),
                http.post(
                    f"/listener/github/stack/{name}/deploy", content=body, headers=github(STACK_SECRET, body)
                ),
            )
            assert sorted(["queued" in first.json()["message"], "queued" in second.json()["message"]]) == [
                False,
                True,
            ], (first.text, second.text)
            await deploy_number(client, stack_id, 5)
            updates = await stack_updates(client, stack_id)
            assert [u["status"] for u in updates] == ["Complete"] * 5 and all(u["success"] for u in updates)
            assert all(u["operator"] == GIT_WEBHOOK_USER_ID for u in updates)
            # One after the other: the second started after the first had finished.
            second_run = await client.read("GetUpdate", {"id": updates[0]["id"]})
            first_run = await client.read("GetUpdate", {"id": updates[1]["id"]})
            assert second_run["start_ts"] >= first_run["end_ts"]

            # The generic listener (for CI systems that cannot sign): a bearer token, no ref needed.
            await client.write("UpdateStack", {"id": name, "config": {"webhook_force_deploy": False}})
            generic = await http.post(
                f"/listener/generic/stack/{name}/deploy", headers={"authorization": f"Bearer {STACK_SECRET}"}
            )
            assert generic.status_code == 200 and generic.json()["execution"] == "DeployStackIfChanged", (
                generic.text
            )
            assert (await deploy_number(client, stack_id, 6))["operator"] == GIT_WEBHOOK_USER_ID

            # Disabled: nothing runs.
            await client.write("UpdateStack", {"id": name, "config": {"webhook_enabled": False}})
            off = await http.post(
                f"/listener/github/stack/{name}/deploy", content=body, headers=github(STACK_SECRET, body)
            )
            assert off.status_code == 200 and "disabled" in off.json()["message"]
            assert len(await stack_updates(client, stack_id)) == 6
    finally:
        await agent.stop()
        down(name)


async def test_refusals_say_why_and_run_nothing(registry, executor, client, webhook_url):
    stack = await client.write("CreateStack", {"name": "web", "config": {"file_contents": compose()}})
    await client.write("CreateRepo", {"name": "src", "config": {"branch": "release"}})
    await client.write("CreateBuild", {"name": "img", "config": {"linked_repo": "src", "branch": "main"}})
    body = push()
    signed = github(CORE_SECRET, body)
    async with httpx.AsyncClient(base_url=webhook_url, timeout=30) as http:
        unknown = await http.post("/listener/github/stack/nope/deploy", content=body, headers=signed)
        assert unknown.status_code == 404 and "nope" in unknown.json()["error"]
        form = await http.post(
            "/listener/github/stack/web/deploy",
            content=b"payload=%7B%7D",
            headers=github(CORE_SECRET, b"payload=%7B%7D"),
        )
        assert form.status_code == 400 and "application/json" in form.json()["error"]
        later = await http.post("/listener/github/swarm/x/main", content=body, headers=signed)
        assert later.status_code == 404 and "unknown webhook resource 'swarm'" in later.json()["error"]
        option = await http.post("/listener/github/stack/web/up", content=body, headers=signed)
        assert option.status_code == 404 and "refresh or deploy" in option.json()["error"]
        huge = await http.post(
            "/listener/github/stack/web/deploy", content=b"x" * (11 * 1024 * 1024), headers=signed
        )
        assert huge.status_code == 413
        # A build linked to a repo follows the repo's branch, not its own.
        main = await http.post("/listener/github/build/img", content=body, headers=signed)
        assert main.status_code == 200 and "follows branch 'release'" in main.json()["message"], main.text
        release = push("release")
        # No builder service runs in this test: the webhook says so at once (test_builder_repos runs one).
        build = await http.post(
            "/listener/github/build/img", content=release, headers=github(CORE_SECRET, release)
        )
        assert build.status_code == 503 and "no service answers RunBuild" in build.json()["error"]
        repo = await http.post(
            "/listener/gitlab/repo/src/pull", content=release, headers={"x-gitlab-token": CORE_SECRET}
        )
        assert repo.status_code == 503 and "no service answers PullRepo" in repo.json()["error"]
        # The core secret signs for a stack without its own: RefreshStackCache reaches the executor, whose
        # refusal is the webhook's answer (a positive control: the checks above stopped before it).
        refreshed = await http.post("/listener/github/stack/web/refresh", content=body, headers=signed)
        assert refreshed.status_code == 400 and "has no server" in refreshed.json()["error"], refreshed.text
        # The Komodo docs' `/build/<id>/build` is taken as `/build/<id>`.
        documented = await http.post("/listener/github/build/img/build", content=body, headers=signed)
        assert documented.status_code == 200 and "follows branch 'release'" in documented.json()["message"]
        paths = (await http.get("/openapi.json")).json()["paths"]
        assert "/listener/{provider}/stack/{stack}/{option}" in paths
    assert await stack_updates(client, stack["_id"]["$oid"]) == []


async def test_repeated_bad_signatures_are_rate_limited(registry, executor, client, webhook_url):
    await client.write("CreateStack", {"name": "web", "config": {"file_contents": compose()}})
    body = push()
    async with httpx.AsyncClient(base_url=webhook_url, timeout=30) as http:
        for _ in range(3):
            bad = await http.post(
                "/listener/github/stack/web/refresh", content=body, headers=github("wrong", body)
            )
            assert bad.status_code == 401
        for guess in ("db", "api"):  # guessing names counts too
            unknown = await http.post(
                f"/listener/github/stack/{guess}/refresh", content=body, headers=github("x", body)
            )
            assert unknown.status_code == 404
        limited = await http.post(
            "/listener/github/stack/web/refresh", content=body, headers=github(CORE_SECRET, body)
        )
        assert limited.status_code == 429 and "too many failed attempts" in limited.json()["error"]


async def test_without_any_secret_webhooks_are_refused(registry, client, nats_url, tmp_path):
    await client.write("CreateStack", {"name": "web", "config": {"file_contents": compose()}})
    body = push()
    settings = Settings(nats_url=nats_url, data_dir=tmp_path / "data", port=free_port())
    async with running_gateway(settings) as url, httpx.AsyncClient(base_url=url, timeout=30) as http:
        unsigned = await http.post(
            "/listener/github/stack/web/deploy", content=body, headers=github("", body)
        )
        assert unsigned.status_code == 400 and "no webhook secret is set" in unsigned.json()["error"]
        generic = await http.post("/listener/generic/stack/web/deploy", content=body)
        assert generic.status_code == 400
