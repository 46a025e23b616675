"""The web UI's main path, as a user walks it: create a deployment from the form, deploy it onto a real Docker
host and watch its state turn running without reloading, read the Update's log, stop it, and see a user with
only Read get the same page read-only."""

from __future__ import annotations

import contextlib
import re
import uuid

import aiodocker
import pytest
from playwright.async_api import expect

from tests.e2e.browser import ui_page
from tests.e2e.conftest import grant
from tests.e2e.helpers import IMAGE, eventually, start_agent

pytestmark = pytest.mark.docker

ADMIN = ("e2e-admin", "e2e-admin-password")
FORM_TIMEOUT = 60_000
"""The gateway builds /openapi.json (the config schemas) on its first request: seconds on a busy machine."""


async def test_a_deployment_made_in_the_form_deploys_runs_and_stops_on_screen(
    browser, gateway_url, registry, executor, client, alice, nats_url, docker_available
):
    name = f"varanus-ui-{uuid.uuid4().hex[:6]}"
    server = await client.write("CreateServer", {"name": "dock", "config": {"enabled": True}})
    agent = start_agent(nats_url, server["_id"]["$oid"])
    await agent.start()
    try:
        assert await eventually(lambda: _server_ok(client), 15), "the agent's server never reported Ok"
        async with ui_page(browser, gateway_url) as ui:
            page = ui.page
            await ui.log_in(*ADMIN)
            await ui.open("/deployments")
            await page.get_by_role("button", name="New deployment").click()
            await page.get_by_role("dialog").get_by_label("Name").fill(name)
            await page.get_by_role("dialog").get_by_role("button", name="Create").click()
            await expect(page.get_by_role("heading", name=name, exact=True)).to_be_visible()

            await expect(page.locator("fieldset.schema-form")).to_be_visible(timeout=FORM_TIMEOUT)
            # The server is picked by name from the servers the user may see; the server stores its id.
            await expect(page.locator("[data-field=server_id] datalist option")).to_have_count(1)
            await page.get_by_label("Server Id").fill("dock")
            await page.locator("[data-field='image.params.image'] input").fill(IMAGE)
            await page.get_by_label("Command", exact=True).fill("sleep 3600")
            await page.get_by_label("Termination Timeout").fill("1")
            await page.get_by_role("button", name="Save").click()
            await expect(page.get_by_role("dialog").locator("tbody tr")).to_have_count(4)
            await page.get_by_role("dialog").get_by_role("button", name="Save").click()
            await expect(page.locator(".toast", has_text=f"Saved {name}")).to_be_visible()
            stored = (await client.read("GetDeployment", {"deployment": name}))["config"]
            assert stored["image"] == {"type": "Image", "params": {"image": IMAGE}}
            assert stored["command"] == "sleep 3600"
            assert stored["server_id"] == server["_id"]["$oid"]
            await expect(page.locator("[data-field=server_id] .ref-name")).to_have_text("Server dock")

            # Deploy: the header's state turns running from the pushed Updates, with no reload.
            await page.get_by_role("button", name="Deploy", exact=True).click()
            state = page.locator(".state-slot .state")
            await expect(state).to_have_text(re.compile("running", re.I), timeout=60_000)
            await expect(page.locator(".execution-result .state")).to_have_text("Success", timeout=30_000)
            await ui.screenshot("deploy-flow-running")

            # The Update of the deploy, with its log.
            await page.locator(".execution-result a").click()
            await expect(page.get_by_role("heading", name="Deploy")).to_be_visible()
            await expect(page.locator("main")).to_contain_text("docker run")
            await ui.screenshot("deploy-flow-update")
            await page.go_back()

            # Stop asks first, then the state follows.
            await expect(page.get_by_role("heading", name=name, exact=True)).to_be_visible()
            await page.get_by_role("button", name="Stop", exact=True).click()
            await page.get_by_role("dialog").get_by_role("button", name="Stop").click()
            await expect(state).to_have_text(re.compile("exited", re.I), timeout=60_000)

        # A user with Read only: the same page, read-only (no execution or write buttons that would fail).
        await grant(client, "Read", name)
        async with ui_page(browser, gateway_url) as ui:
            await ui.log_in("alice", "alice-password")
            await ui.open(f"/deployments/{name}")
            await expect(ui.page.get_by_role("heading", name=name, exact=True)).to_be_visible()
            await expect(ui.page.locator(".state-slot .state")).to_have_text(re.compile("exited", re.I))
            await expect(ui.page.locator("fieldset.schema-form")).to_be_visible(timeout=FORM_TIMEOUT)
            await expect(ui.page.get_by_label("Server Id")).to_be_disabled()
            for button in ("Deploy", "Stop", "Save", "Delete"):
                await expect(ui.page.get_by_role("button", name=button, exact=True)).to_have_count(0)
            await ui.screenshot("deploy-flow-readonly")
    finally:
        await agent.stop()
        docker = aiodocker.Docker()
        with contextlib.suppress(aiodocker.DockerError):
            await (await docker.containers.get(name)).delete(force=True)
        await docker.close()


async def _server_ok(client) -> bool:
    listed = await client.read("ListServers", {})
    return bool(listed) and listed[0]["info"]["state"] == "Ok"
