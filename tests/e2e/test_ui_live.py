"""The web UI's live views, driven in Chromium: Updates (list and one Update whose log streams while it runs),
alerts, container and deployment logs with search, server stats charts, the compose editor with its diff,
the sync diff side by side, and js/diff.js itself (through the browser: there is no JS test runner)."""

from __future__ import annotations

import contextlib
import time
import uuid
from typing import Any

import aiodocker
import pytest
from nats.aio.client import Client as NatsClient
from playwright.async_api import expect

from contracts.entities.agent import AgentStatus, PollStatusResponse
from contracts.entities.system import PeripheryInformation, SingleDiskUsage, SystemStats
from contracts.subjects import agent_status_subject
from services.alerter.app import Alerter
from services.common.version import VERSION
from tests.e2e.browser import PHONE, UiPage, ui_page
from tests.e2e.conftest import BusClient, grant
from tests.e2e.helpers import IMAGE, down, eventually, finished, start_agent

ADMIN = ("e2e-admin", "e2e-admin-password")


async def shot(ui: UiPage, name: str) -> None:
    """A full-page screenshot from the top (a scrolled page would put the sticky top bar mid-picture)."""
    await ui.page.evaluate("window.scrollTo(0, 0)")
    await ui.screenshot(name)


DIFF_CHECKS = """
async () => {
  const { diffLines, diffStats, foldUnchanged, sideBySide, splitLines } = await import("/ui/js/diff.js");
  const failures = [];
  const check = (ok, what) => { if (!ok) failures.push(what); };
  const lcs = (a, b) => {
    const dp = Array.from({ length: a.length + 1 }, () => new Array(b.length + 1).fill(0));
    for (let i = 1; i <= a.length; i++)
      for (let j = 1; j <= b.length; j++)
        dp[i][j] = a[i - 1] === b[j - 1] ? dp[i - 1][j - 1] + 1 : Math.max(dp[i - 1][j], dp[i][j - 1]);
    return dp[a.length][b.length];
  };
  // A seeded generator, so a failure can be replayed.
  let seed = 7;
  const rand = (n) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
  for (let t = 0; t < 1500; t++) {
    const a = Array.from({ length: rand(14) }, () => "abcd"[rand(4)]);
    const b = Array.from({ length: rand(14) }, () => "abcd"[rand(4)]);
    const ops = diffLines(a, b);
    const left = ops.filter((o) => o.op !== "add").map((o) => o.text);
    const right = ops.filter((o) => o.op !== "del").map((o) => o.text);
    check(JSON.stringify(left) === JSON.stringify(a), `left side of ${a}|${b}`);
    check(JSON.stringify(right) === JSON.stringify(b), `right side of ${a}|${b}`);
    check(diffStats(ops).same === lcs(a, b), `not minimal for ${a}|${b}`);
    check(ops.every((o) => (o.a === null || a[o.a - 1] === o.text) && (o.b === null || b[o.b - 1] === o.text)),
      `line numbers of ${a}|${b}`);
  }
  check(JSON.stringify(splitLines("x\\r\\ny\\n")) === JSON.stringify(["x", "y"]), "CRLF and final newline");
  check(diffLines("", "").length === 0, "empty");
  const one = diffLines("a\\nb\\nc\\n", "a\\nB\\nc\\nd\\n");
  check(JSON.stringify(one.map((o) => o.op + o.text)) === JSON.stringify(["samea", "delb", "addB", "samec", "addd"]),
    `example: ${JSON.stringify(one)}`);
  const long = Array.from({ length: 30 }, (_, i) => `line ${i}`);
  const changed = long.slice(); changed[15] = "changed";
  const folded = foldUnchanged(diffLines(long, changed), 3);
  check(folded.length === 3 + 2 + 3 + 2 && folded[0].op === "skip" && folded[0].count === 12
    && folded[folded.length - 1].count === 11, `fold: ${JSON.stringify(folded)}`);
  const rows = sideBySide(diffLines("k\\nold1\\nold2\\n", "k\\nnew1\\n"));
  check(rows.length === 3 && rows[1].left.text === "old1" && rows[1].right.text === "new1"
    && rows[2].left.text === "old2" && rows[2].right === null, `side by side: ${JSON.stringify(rows)}`);
  const big = Array.from({ length: 3000 }, (_, i) => `x${i}`);
  const bigOps = diffLines(big, big.map((l) => l + "!"));
  check(diffStats(bigOps).added === 3000 && diffStats(bigOps).removed === 3000, "too different gives up cleanly");
  return failures;
}
"""


async def test_diff_js_gives_minimal_line_diffs(browser, gateway_url):
    async with ui_page(browser, gateway_url) as ui:
        await ui.page.goto(f"{gateway_url}/")
        failures = await ui.page.evaluate(DIFF_CHECKS)
    assert failures == []


PIECES_CHECKS = """
async () => {
  const { logBlocks } = await import("/ui/js/pages/update.js");
  const { updatesQuery } = await import("/ui/js/pages/updates.js");
  const { alertText } = await import("/ui/js/pages/alerts.js");
  const { timelengthSeconds, rate } = await import("/ui/js/tabs/server_stats.js");
  const progress = logBlocks([
    { stage: "Interpolate Variables", stdout: "x", success: true },
    { stage: "Execute Action (progress 1)", stdout: "a\\nb" },
    { stage: "Execute Action (progress 2)", stdout: "c" },
  ]);
  return {
    stages: progress.map((b) => [b.stage, b.stdout, b.progress]),
    query: updatesQuery({ operation: "Deploy", type: "Deployment", state: "Failed" }),
    cpu: alertText({ data: { type: "ServerCpu", data: { percentage: 91.25 } } }),
    custom: alertText({ data: { type: "Custom", data: { message: "m", details: "d" } } }),
    seconds: [timelengthSeconds("15-sec"), timelengthSeconds("1-hr"), timelengthSeconds("1-wk")],
    rates: [rate(0), rate(0.5), rate(512), rate(1500), rate(2_500_000)],
  };
}
"""


async def test_the_live_pages_pieces(browser, gateway_url):
    async with ui_page(browser, gateway_url) as ui:
        await ui.page.goto(f"{gateway_url}/")
        got = await ui.page.evaluate(PIECES_CHECKS)
    # Progress logs of a running stage are joined into one block, which its final log later replaces.
    assert got["stages"] == [["Interpolate Variables", "x", False], ["Execute Action", "a\nb\nc", True]]
    assert got["query"] == {
        "operation": "Deploy",
        "target.type": "Deployment",
        "status": "Complete",
        "success": False,
    }
    assert got["cpu"] == "CPU at 91.3 %" and got["custom"] == "m — d"
    assert got["seconds"] == [15, 3600, 604800]
    assert got["rates"] == ["0 B/s", "0.5 B/s", "512 B/s", "1.5 KB/s", "2.5 MB/s"]


SLOW_PRINTER = """
import time
for i in range(1, 9):
    print(f"tick {i}", flush=True)
    time.sleep(0.7)
"""


async def test_a_running_action_streams_its_log_lines_onto_its_update_page(
    browser, gateway_url, client, executor
):
    await client.write(
        "CreateAction",
        {"name": "slow-printer", "config": {"language": "Python", "file_contents": SLOW_PRINTER}},
    )
    async with ui_page(browser, gateway_url) as ui:
        await ui.log_in(*ADMIN)
        await ui.open("/updates")
        await expect(ui.page.locator("tbody tr", has_text="CreateAction")).to_have_count(1)
        await ui.page.evaluate("window.notReloaded = true")

        # The run's Update arrives in the list over /ws/update.
        update = await client.ok("execute", "RunAction", {"action": "slow-printer"})
        update_id = update["_id"]["$oid"]
        row = ui.page.locator(f"tr[data-update='{update_id}']")
        await expect(row).to_contain_text("RunAction")
        await row.get_by_role("link", name="RunAction").click()
        await expect(ui.page.get_by_role("heading", name="RunAction")).to_be_visible()

        # Its output shows while it runs, appended to the same element (not redrawn), without a reload.
        output = ui.page.locator("section.log-block[data-stage='Execute Action'] pre.log-out")
        await expect(output).to_contain_text("tick 2")
        await expect(ui.page.locator(".update-state")).to_have_text("InProgress")
        await output.evaluate("el => { el.dataset.kept = 'yes'; }")
        await expect(output).to_contain_text("tick 5")
        await expect(ui.page.locator("pre.log-out[data-kept=yes]")).to_contain_text("tick 5")
        await shot(ui, "update-running-desktop")
        await expect(ui.page.locator(".update-state")).to_have_text("Success", timeout=20_000)
        await expect(output).to_contain_text("tick 8")
        assert await ui.page.evaluate("window.notReloaded") is True
        # The list's row followed the end of the run too.
        await ui.page.go_back()
        await expect(ui.page.locator(f"tr[data-update='{update_id}']")).to_contain_text("Success")

    async with ui_page(browser, gateway_url, PHONE) as ui:
        await ui.log_in(*ADMIN)
        await ui.open(f"/updates/{update_id}")
        await expect(ui.page.locator("pre.log-out")).to_contain_text("tick 8")
        await shot(ui, "update-phone")
        # A failed read shows the server's message.
        await ui.open("/updates/" + "0" * 24)
        await expect(ui.page.get_by_role("alert")).to_contain_text("Could not read the Update")


CHATTY = """
import time
for i in range(1, 11):
    print("\\n".join(f"burst {i} line {j}" for j in range(40)), flush=True)
    time.sleep(0.8)
"""

AT_BOTTOM = "() => { const el = document.scrollingElement; return el.scrollHeight - el.scrollTop - el.clientHeight < 40; }"


async def test_the_update_page_follows_the_end_only_while_asked(browser, gateway_url, client, executor):
    await client.write(
        "CreateAction", {"name": "chatty", "config": {"language": "Python", "file_contents": CHATTY}}
    )
    update = await client.ok("execute", "RunAction", {"action": "chatty"})
    async with ui_page(browser, gateway_url) as ui:
        await ui.log_in(*ADMIN)
        await ui.open(f"/updates/{update['_id']['$oid']}")
        output = ui.page.locator("pre.log-out")
        follow = ui.page.get_by_label("Follow the log")
        await expect(output).to_contain_text("burst 3 line 39")
        assert await ui.page.evaluate(AT_BOTTOM)
        # Scrolling up by hand stops following: new lines no longer move the page.
        await ui.page.mouse.move(600, 400)
        await ui.page.mouse.wheel(0, -100_000)
        await expect(follow).not_to_be_checked()
        top = await ui.page.evaluate("window.scrollY")
        await expect(output).to_contain_text("burst 6 line 39")
        assert await ui.page.evaluate("window.scrollY") == top
        # Following again goes to the end and stays there to the last line.
        await follow.check()
        await expect(ui.page.locator(".update-state")).to_have_text("Success", timeout=20_000)
        await expect(output).to_contain_text("burst 10 line 39")
        assert await ui.page.evaluate(AT_BOTTOM)


async def test_updates_filter_by_operation_and_state(browser, gateway_url, client):
    await client.write("CreateServer", {"name": "kept"})
    await client.write("CreateVariable", {"name": "FILTERED", "value": "x"})
    async with ui_page(browser, gateway_url) as ui:
        await ui.log_in(*ADMIN)
        await ui.open("/updates")
        await ui.page.get_by_label("Operation").fill("CreateServer")
        await ui.page.get_by_role("button", name="Filter").click()
        await expect(ui.page).to_have_url(f"{gateway_url}/#/updates?operation=CreateServer")
        await expect(ui.page.locator("tbody tr")).to_have_count(1)
        await expect(ui.page.locator("tbody tr")).to_contain_text("kept")
        # A new Update outside the filter stays out; one inside comes in live.
        await client.write("CreateVariable", {"name": "FILTERED_TOO", "value": "x"})
        await client.write("CreateServer", {"name": "arrives"})
        await expect(ui.page.locator("tbody tr")).to_have_count(2)
        await expect(ui.page.locator("tbody tr").first).to_contain_text("arrives")
        await shot(ui, "updates-filtered")
        await ui.open("/updates?state=Failed")
        await expect(ui.page.get_by_text("No Updates match.")).to_be_visible()


async def beat(nc: NatsClient, server_id: str, cpu: float) -> None:
    """A heartbeat as an agent publishes it, with a chosen CPU (a real agent's cannot be steered)."""
    status = AgentStatus(
        server_id=server_id,
        ts=int(time.time() * 1000),
        interval_ms=15_000,
        status=PollStatusResponse(
            periphery_info=PeripheryInformation(version=VERSION, docker_connected=True),
            system_stats=SystemStats(
                cpu_perc=cpu,
                mem_used_gb=1.0,
                mem_total_gb=8.0,
                disks=[SingleDiskUsage(mount="/", used_gb=10.0, total_gb=100.0)],
            ),
        ),
    )
    await nc.publish(agent_status_subject(server_id), status.model_dump_json(by_alias=True).encode())
    await nc.flush()


async def test_the_alerts_page_lists_an_open_alert_first(
    browser, gateway_url, client, alerter: Alerter, publisher: NatsClient
):
    created = await client.write(
        "CreateServer",
        {"name": "hot-host", "config": {"enabled": True, "cpu_warning": 50.0, "cpu_critical": 80.0}},
    )
    server_id = created["_id"]["$oid"]

    async def followed() -> bool:
        return server_id in alerter.servers.rules

    assert await eventually(followed)

    async def opened() -> bool:
        await beat(publisher, server_id, 95.0)
        # This server's alert: in a full run other tests' open alerts are listed too, and the page would then
        # be opened before this one is.
        listed = await client.read("ListAlerts", {"query": {"resolved": False, "target.id": server_id}})
        return bool(listed["alerts"])

    assert await eventually(opened, 30), "the hot host's CPU alert did not open"
    await client.write("CreateAlerter", {"name": "ops", "config": {"enabled": True}})
    await client.ok("execute", "SendAlert", {"level": "WARNING", "message": "a resolved one"})
    async with ui_page(browser, gateway_url) as ui:
        await ui.log_in(*ADMIN)
        await ui.page.get_by_role("link", name="Alerts", exact=True).click()
        await expect(ui.page.get_by_role("heading", name="Alerts")).to_be_visible()
        # Only this test's rows are counted: in a full run the alerter also raises alerts from the events that
        # earlier tests left on the session's JetStream.
        row = ui.page.locator("tbody tr.open", has=ui.page.locator(f'a[href="#/servers/{server_id}"]'))
        await expect(row).to_have_count(1)
        await expect(row).to_contain_text("CRITICAL")
        await expect(row).to_contain_text("ServerCpu")
        await expect(row.get_by_role("link", name="hot-host")).to_have_attribute(
            "href", f"#/servers/{server_id}"
        )
        await shot(ui, "alerts-desktop")
        await ui.page.get_by_label("Show").select_option("all")
        resolved = ui.page.locator("tbody tr.resolved", has_text="a resolved one")
        await expect(resolved).to_have_count(1)
        await expect(ui.page.locator("tbody tr.open", has_text="hot-host")).to_have_count(1)
        # Open first, whatever their times.
        classes = await ui.page.locator("tbody tr").evaluate_all("rows => rows.map((r) => r.className)")
        first_resolved = next(i for i, c in enumerate(classes) if "resolved" in c)
        assert all("open" not in c for c in classes[first_resolved:]), classes
    async with ui_page(browser, gateway_url, PHONE) as ui:
        await ui.log_in(*ADMIN)
        await ui.open("/alerts?show=all")
        await expect(ui.page.locator("tbody tr", has_text="hot-host")).to_have_count(1)
        await expect(ui.page.locator("tbody tr", has_text="a resolved one")).to_have_count(1)
        await shot(ui, "alerts-phone")


COMPOSE = """services:
  web:
    image: local/busybox:1
    command: sleep 3600
"""


async def test_the_compose_editor_shows_the_diff_and_saves_only_the_file(browser, gateway_url, client, alice):
    created = await client.write(
        "CreateStack", {"name": "web", "config": {"file_contents": COMPOSE, "auto_pull": False}}
    )
    stack_id = created["_id"]["$oid"]
    before = (await client.read("GetStack", {"stack": stack_id}))["config"]
    edited = COMPOSE.replace("sleep 3600", "sleep 7200") + "    restart: unless-stopped\n"
    for viewport, name in ((None, "compose-diff-desktop"), (PHONE, "compose-diff-phone")):
        async with ui_page(browser, gateway_url, viewport) as ui:
            await ui.log_in(*ADMIN)
            await ui.open(f"/tab/Stack/{stack_id}/compose")
            editor = ui.page.get_by_label("Compose file", exact=True)
            await expect(editor).to_have_value(COMPOSE)
            await editor.fill(edited)
            await ui.page.get_by_role("button", name="Review change").click()
            review = ui.page.locator(".compose-review")
            await expect(review.locator(".diff-summary")).to_have_text("2 lines added, 1 removed")
            await expect(review.locator(".dl.del")).to_contain_text("command: sleep 3600")
            await expect(review.locator(".dl.add").first).to_contain_text("command: sleep 7200")
            await shot(ui, name)
    # (The second pass left it unsaved.) Save from the review.
    async with ui_page(browser, gateway_url) as ui:
        await ui.log_in(*ADMIN)
        await ui.open(f"/tab/Stack/{stack_id}/compose")
        editor = ui.page.get_by_label("Compose file", exact=True)
        await editor.fill(edited)
        await ui.page.get_by_role("button", name="Review change").click()
        await ui.page.get_by_role("button", name="Save").click()
        await expect(ui.page.locator(".toast")).to_have_text("Compose file saved")
        await expect(ui.page.locator(".compose-review")).to_be_hidden()
        # Saving again without a change has nothing to review.
        await ui.page.get_by_role("button", name="Review change").click()
        await expect(ui.page.get_by_text("No change to review")).to_be_visible()
    after = (await client.read("GetStack", {"stack": stack_id}))["config"]
    assert after["file_contents"] == edited
    assert {k: v for k, v in after.items() if k != "file_contents"} == {
        k: v for k, v in before.items() if k != "file_contents"
    }
    # Its Update shows the configuration change as a diff.
    [saved] = (await client.read("ListUpdates", {"query": {"operation": "UpdateStack"}}))["updates"]
    async with ui_page(browser, gateway_url) as ui:
        await ui.log_in(*ADMIN)
        await ui.open(f"/updates/{saved['id']}")
        change = ui.page.locator(".config-change")
        await expect(change.locator(".dl.add", has_text="sleep 7200")).to_have_count(1)
        await expect(change.locator(".dl.del", has_text="sleep 3600")).to_have_count(1)
        await shot(ui, "update-config-change")

    # Alice may read the stack, not write it: the editor is read-only and offers no button.
    await grant(client, "Read", stack_id, kind="Stack")
    async with ui_page(browser, gateway_url) as ui:
        await ui.log_in("alice", "alice-password")
        await ui.open(f"/tab/Stack/{stack_id}/compose")
        editor = ui.page.get_by_label("Compose file", exact=True)
        await expect(editor).to_have_value(edited)
        await expect(editor).to_have_attribute("readonly", "")
        await expect(ui.page.get_by_text("Read-only: changing this stack needs Write")).to_be_visible()
        await expect(ui.page.get_by_role("button", name="Review change")).to_have_count(0)


SYNC_FILE = """
[[server]]
name = "existing"
description = "from the file"
[server.config]
address = "https://10.0.0.2:8120"

[[server]]
name = "brand-new"
[server.config]
address = "https://10.0.0.3:8120"
"""


async def test_the_sync_diff_shows_current_and_proposed_side_by_side(
    browser, gateway_url, client, sync_service, alice
):
    await client.write("CreateServer", {"name": "existing", "config": {"address": "https://10.0.0.1:8120"}})
    sync = await client.write("CreateResourceSync", {"name": "fleet", "config": {"file_contents": SYNC_FILE}})
    sync_id = sync["_id"]["$oid"]
    await client.write("RefreshResourceSyncPending", {"sync": sync_id})
    for viewport, name in ((None, "sync-diff-desktop"), (PHONE, "sync-diff-phone")):
        async with ui_page(browser, gateway_url, viewport) as ui:
            await ui.log_in(*ADMIN)
            await ui.open(f"/tab/ResourceSync/{sync_id}/diff")
            update = ui.page.locator("section.sync-change[data-change=Update]")
            create = ui.page.locator("section.sync-change[data-change=Create]")
            await expect(update).to_contain_text("existing")
            current = update.get_by_role("group", name="Current", exact=True)
            proposed = update.get_by_role("group", name="Proposed", exact=True)
            await expect(current.locator(".dl.del")).to_contain_text("10.0.0.1")
            await expect(proposed.locator(".dl.add", has_text="10.0.0.2")).to_have_count(1)
            await expect(proposed.locator(".dl.add", has_text='description = "from the file"')).to_have_count(
                1
            )
            await expect(create.get_by_role("group", name="Proposed", exact=True)).to_contain_text(
                'name = "brand-new"'
            )
            await shot(ui, name)
        # Both sides sit next to each other on a desktop, one above the other on a phone.
        # (Checked from the boxes of the last page: see below.)
    async with ui_page(browser, gateway_url) as ui:
        await ui.log_in(*ADMIN)
        await ui.open(f"/tab/ResourceSync/{sync_id}/diff")
        update = ui.page.locator("section.sync-change[data-change=Update]")
        left = await update.get_by_role("group", name="Current", exact=True).bounding_box()
        right = await update.get_by_role("group", name="Proposed", exact=True).bounding_box()
        assert (
            left and right and right["x"] > left["x"] + left["width"] - 1 and abs(right["y"] - left["y"]) < 2
        )
        # Once the server matches the file, a refresh from the page shows that nothing is pending.
        await client.write("UpdateServer", {"id": "existing", "config": {"address": "https://10.0.0.2:8120"}})
        await client.write(
            "UpdateResourceMeta",
            {"target": {"type": "Server", "id": "existing"}, "description": "from the file"},
        )
        await client.write(
            "CreateServer", {"name": "brand-new", "config": {"address": "https://10.0.0.3:8120"}}
        )
        await ui.page.get_by_role("button", name="Refresh pending changes").click()
        await expect(ui.page.get_by_text("Nothing pending: the system matches the files.")).to_be_visible()
        await expect(ui.page.locator("section.sync-change")).to_have_count(0)

    # Alice may read the sync, not refresh it (that needs Execute): she sees the diff and no button.
    await grant(client, "Read", sync_id, kind="ResourceSync")
    async with ui_page(browser, gateway_url) as ui:
        await ui.log_in("alice", "alice-password")
        await ui.open(f"/tab/ResourceSync/{sync_id}/diff")
        await expect(ui.page.get_by_role("heading", name="fleet · Diff")).to_be_visible()
        await expect(ui.page.get_by_text("Nothing pending")).to_be_visible()
        await expect(ui.page.get_by_role("button", name="Refresh pending changes")).to_have_count(0)


async def _server_ok(client: BusClient) -> bool:
    listed = await client.read("ListServers", {})
    return bool(listed) and listed[0]["info"]["state"] == "Ok"


@pytest.mark.docker
async def test_logs_search_and_stats_charts_of_a_server_with_a_real_agent(
    browser, gateway_url, registry, executor, client, nats_url, docker_available, tmp_path
):
    name = f"varanus-e2e-ui-{uuid.uuid4().hex[:6]}"
    stack = f"e2e-ui-stack-{uuid.uuid4().hex[:6]}"
    server = await client.write("CreateServer", {"name": "dock", "config": {"enabled": True}})
    server_id = server["_id"]["$oid"]
    agent = start_agent(nats_url, server_id, tmp_path / "stacks")
    await agent.start()
    try:
        assert await eventually(lambda: _server_ok(client), 15)
        config: dict[str, Any] = {
            "server_id": "dock",
            "image": {"type": "Image", "params": {"image": IMAGE}},
            "command": "sh -c 'echo needle-one; echo haystack; echo needle-two; sleep 3600'",
            "termination_timeout": 1,
        }
        created = await client.write("CreateDeployment", {"name": name, "config": config})
        deployed = await finished(client, await client.ok("execute", "Deploy", {"deployment": name}), 60)
        assert deployed["success"] is True, deployed["logs"]
        talker = (
            "services:\n  talker:\n"
            f"    image: {IMAGE}\n    pull_policy: never\n    stop_signal: SIGKILL\n"
            "    command: ['sh', '-c', 'echo stack-says-hello; echo stack-says-bye; sleep 3600']\n"
        )
        made = await client.write(
            "CreateStack",
            {"name": stack, "config": {"server_id": "dock", "file_contents": talker, "auto_pull": False}},
        )
        up = await finished(client, await client.ok("execute", "DeployStack", {"stack": stack}), 120)
        assert up["success"] is True, up["logs"]

        async with ui_page(browser, gateway_url) as ui:
            await ui.log_in(*ADMIN)
            # The server's containers, and the search of one container's log.
            await ui.open(f"/tab/Server/{server_id}/containers")
            await ui.page.get_by_role("button", name=f"Log of {name}").click()
            output = ui.page.locator("pre.log-output")
            await expect(output).to_contain_text("haystack")
            await ui.page.get_by_label("Search the log").fill("needle")
            await ui.page.get_by_role("button", name="Search", exact=True).click()
            await expect(output).to_contain_text("needle-two")
            await expect(output).not_to_contain_text("haystack")
            await expect(output.locator("mark")).to_have_count(2)
            await shot(ui, "container-log-desktop")

            # The deployment's log, through its own requests, in its tab on the deployment's page.
            await ui.open(f"/deployments/{created['_id']['$oid']}?tab=logs")
            await expect(ui.page.get_by_role("tab", name="Logs")).to_have_attribute("aria-selected", "true")
            await expect(output).to_contain_text("haystack")
            await ui.page.get_by_label("Search the log").fill("haystack")
            await ui.page.get_by_label("Invert (lines without the words)").check()
            await ui.page.get_by_role("button", name="Search", exact=True).click()
            await expect(output).to_contain_text("needle-one")
            await expect(output).not_to_contain_text("haystack")

            # Follow re-reads the tail every 2 s while it is on, and never once off or after leaving.
            reads: list[float] = []
            ui.page.on(
                "request",
                lambda r: reads.append(time.monotonic()) if r.url.endswith("/GetDeploymentLog") else None,
            )
            follow = ui.page.get_by_label("Follow", exact=True)
            await follow.check()
            await expect(output).to_contain_text("haystack")
            await ui.page.wait_for_timeout(4500)
            assert len(reads) >= 3, reads
            await follow.uncheck()
            await ui.page.wait_for_timeout(300)
            stopped = len(reads)
            await ui.page.wait_for_timeout(2500)
            assert len(reads) == stopped
            # Leaving the tab (for another tab of the page) stops it too.
            await follow.check()
            await ui.page.get_by_role("tab", name="Config").click()
            await ui.page.wait_for_timeout(300)
            left = len(reads)
            await ui.page.wait_for_timeout(2500)
            assert len(reads) == left

            # A stack's log, by service, and searched.
            await ui.open(f"/tab/Stack/{made['_id']['$oid']}/logs")
            await ui.page.get_by_label("Service").select_option("talker")
            await expect(output).to_contain_text("stack-says-bye")
            await ui.page.get_by_label("Search the log").fill("hello")
            await ui.page.get_by_role("button", name="Search", exact=True).click()
            await expect(output).to_contain_text("stack-says-hello")
            await expect(output).not_to_contain_text("stack-says-bye")

            # Stats: the agent's history as charts, with points (one every 5 s is stored).
            await ui.open(f"/tab/Server/{server_id}/stats")
            cpu = ui.page.locator("figure.chart", has_text="CPU").first
            await expect(cpu.locator("polyline")).to_have_count(1, timeout=20_000)

            async def two_points() -> bool:
                count = await cpu.get_attribute("data-points")
                return int(count or 0) >= 2

            assert await eventually(two_points, 30)
            await expect(ui.page.locator("figure.chart polyline")).to_have_count(5)
            # The keyboard reads the points out.
            await cpu.locator(".chart-box").focus()
            await ui.page.keyboard.press("Home")
            await expect(cpu.locator(".chart-readout")).to_contain_text("CPU")
            await shot(ui, "stats-desktop")
            # The same tab on the server's own page.
            await ui.open(f"/servers/{server_id}?tab=stats")
            await expect(ui.page.locator("figure.chart polyline")).to_have_count(5)
            await shot(ui, "server-page-stats")
        async with ui_page(browser, gateway_url, PHONE) as ui:
            await ui.log_in(*ADMIN)
            await ui.open(f"/tab/Server/{server_id}/stats")
            await expect(ui.page.locator("figure.chart polyline")).to_have_count(5)
            await shot(ui, "stats-phone")
            await ui.open(f"/deployments/{created['_id']['$oid']}?tab=logs")
            await expect(ui.page.locator("pre.log-output")).to_contain_text("haystack")
            await shot(ui, "deployment-logs-phone")
    finally:
        down(stack)
        await agent.stop()
        docker = aiodocker.Docker()
        with contextlib.suppress(aiodocker.DockerError):
            await (await docker.containers.get(name)).delete(force=True)
        await docker.close()
