"""The web UI's resource pages: lists with state, tags and search, create, the config form generated from the
JSON Schema (defaults, diff before saving, only the changed field sent, the server's refusal shown), copy,
rename, delete, executions, and what a user below Write sees — driven in Chromium as a user would."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from playwright.async_api import Page, expect

from tests.e2e.browser import PHONE, ui_page
from tests.e2e.conftest import BusClient, grant

ADMIN = ("e2e-admin", "e2e-admin-password")

FORM_TIMEOUT = 60_000
"""The gateway builds /openapi.json (the config schemas) on its first request: seconds on a busy machine."""


async def stored_config(client: BusClient, name: str, want: dict[str, Any]) -> dict[str, Any]:
    """The deployment's config once it equals `want` (the save's request may still be on its way), or as it is
    after 10 s."""
    config: dict[str, Any] = {}
    for _ in range(100):
        config = (await client.read("GetDeployment", {"deployment": name}))["config"]
        if config == want:
            break
        await asyncio.sleep(0.1)
    return config


async def form_ready(page: Page) -> None:
    """Waits until the Config tab shows its form."""
    await expect(page.locator("fieldset.schema-form")).to_be_visible(timeout=FORM_TIMEOUT)


async def test_a_list_shows_its_resources_with_state_and_tags_search_filters_them_and_updates_arrive_live(
    browser, gateway_url, client
):
    await client.write("CreateTag", {"name": "prod"})
    for name in ("web", "api", "worker"):
        await client.write("CreateDeployment", {"name": name, "config": {}})
    await client.write(
        "UpdateResourceMeta", {"target": {"type": "Deployment", "id": "web"}, "tags": ["prod"]}
    )
    async with ui_page(browser, gateway_url) as ui:
        await ui.log_in(*ADMIN)
        await ui.page.get_by_role("navigation", name="Main").get_by_role("link", name="Deployments").click()
        await expect(ui.page.get_by_role("heading", name="Deployments")).to_be_visible()
        rows = ui.page.locator(".resource-list tbody tr")
        await expect(rows).to_have_count(3)
        web = rows.filter(has=ui.page.get_by_role("link", name="web", exact=True))
        await expect(web.locator(".state")).to_have_text(re.compile("unknown", re.I))
        await expect(web.locator(".tag")).to_have_text("prod")
        await ui.screenshot("resources-list-desktop")

        # The search asks the server for names containing the words; the tag filter for tagged ones.
        await ui.page.get_by_label("Search").fill("wor")
        await expect(rows).to_have_count(1)
        await expect(rows.first).to_contain_text("worker")
        await ui.page.get_by_label("Search").fill("")
        await expect(rows).to_have_count(3)
        await ui.page.get_by_label("Tag").select_option(label="prod")
        await expect(rows).to_have_count(1)
        await expect(rows.first).to_contain_text("web")
        await ui.page.get_by_label("Tag").select_option(label="Any tag")
        await expect(rows).to_have_count(3)

        # A resource made elsewhere shows up without a reload (its Update arrives over /ws/update).
        await client.write("CreateDeployment", {"name": "arrives-live", "config": {}})
        await expect(rows).to_have_count(4)
        await expect(ui.page.get_by_role("link", name="arrives-live")).to_be_visible()

    async with ui_page(browser, gateway_url, PHONE) as ui:
        await ui.log_in(*ADMIN)
        await ui.open("/deployments")
        await expect(ui.page.locator(".resource-list tbody tr")).to_have_count(4)
        await ui.screenshot("resources-list-phone")


async def test_create_from_the_list_asks_a_name_and_opens_the_new_resource(browser, gateway_url, client):
    async with ui_page(browser, gateway_url) as ui:
        await ui.log_in(*ADMIN)
        await ui.open("/procedures")
        await expect(ui.page.get_by_text("No procedures yet.")).to_be_visible()
        await ui.page.get_by_role("button", name="New procedure").click()
        dialog = ui.page.get_by_role("dialog")
        await dialog.get_by_label("Name").fill("nightly")
        await dialog.get_by_role("button", name="Create").click()
        await expect(ui.page.get_by_role("heading", name="nightly", exact=True)).to_be_visible()
        created = await client.read("GetProcedure", {"procedure": "nightly"})
        assert ui.page.url.endswith(f"#/procedures/{created['_id']['$oid']}")
        # A name that is taken is refused with the server's message.
        await ui.open("/procedures")
        await ui.page.get_by_role("button", name="New procedure").click()
        await ui.page.get_by_role("dialog").get_by_label("Name").fill("nightly")
        await ui.page.get_by_role("dialog").get_by_role("button", name="Create").click()
        await expect(ui.page.get_by_role("alert")).to_contain_text("nightly")

        # A resource that does not exist: the server's message, and the way back to the list.
        await ui.open("/procedures/nope")
        await expect(ui.page.get_by_role("alert")).to_contain_text("nope")
        await expect(ui.page.get_by_role("link", name="All procedures")).to_be_visible()


async def test_the_config_form_shows_defaults_diffs_a_change_and_saves_only_that_field(
    browser, gateway_url, client
):
    await client.write("CreateDeployment", {"name": "web", "config": {}})
    before = (await client.read("GetDeployment", {"deployment": "web"}))["config"]
    async with ui_page(browser, gateway_url) as ui:
        await ui.log_in(*ADMIN)
        await ui.open("/deployments/web")
        await expect(ui.page.get_by_role("heading", name="web", exact=True)).to_be_visible()
        await form_ready(ui.page)
        network = ui.page.get_by_label("Network", exact=True)
        # The defaults of the contract: the form shows them, with their description.
        await expect(network).to_have_value("host")
        await expect(ui.page.locator("[data-field=network] .help")).to_contain_text("Default: host")
        await expect(ui.page.get_by_label("Termination Timeout")).to_have_value("10")
        await expect(ui.page.get_by_label("Send Alerts")).to_be_checked()
        await expect(ui.page.get_by_label("Restart", exact=True)).to_have_value("no")
        await ui.screenshot("resource-detail-desktop", full_page=False)

        # Nothing changed: nothing to send.
        await ui.page.get_by_role("button", name="Save").click()
        await expect(ui.page.get_by_text("Nothing changed.")).to_be_visible()

        await network.fill("bridge")
        await ui.page.get_by_role("button", name="Save").click()
        dialog = ui.page.get_by_role("dialog")
        await expect(dialog.locator("tbody tr")).to_have_count(1)
        await expect(dialog.locator("tbody tr")).to_contain_text("network")
        await expect(dialog.locator(".diff-old")).to_have_text("host")
        await expect(dialog.locator(".diff-new")).to_have_text("bridge")
        await ui.screenshot("resource-config-diff", full_page=False)
        await dialog.get_by_role("button", name="Save").click()
        await expect(ui.page.locator(".toast")).to_contain_text("Saved web")
        want = {**before, "network": "bridge"}
        assert await stored_config(client, "web", want) == want

        # A tagged union ({type, params}) is a nested fieldset; its change is sent whole.
        image = ui.page.locator("[data-field='image.params.image'] input")
        await image.fill("nginx:1.27")
        await ui.page.get_by_role("button", name="Save").click()
        await expect(ui.page.get_by_role("dialog").locator("tbody tr")).to_contain_text("image")
        await ui.page.get_by_role("dialog").get_by_role("button", name="Save").click()
        want = {**want, "image": {"type": "Image", "params": {"image": "nginx:1.27"}}}
        assert await stored_config(client, "web", want) == want

        # A change saved elsewhere shows up at once in a form without unsaved changes...
        await client.write("UpdateDeployment", {"id": "web", "config": {"replicas": 3}})
        await expect(ui.page.get_by_label("Replicas")).to_have_value("3")
        # ... and in one with unsaved changes, it is announced and not sent back: only the user's change is.
        await network.fill("none")
        await expect(ui.page.locator(".form-status")).to_have_text("Unsaved changes")
        await client.write("UpdateDeployment", {"id": "web", "config": {"replicas": 4}})
        await expect(ui.page.locator(".form-status")).to_contain_text("Saved elsewhere meanwhile")
        await expect(ui.page.get_by_label("Replicas")).to_have_value("3")
        await ui.page.get_by_role("button", name="Save").click()
        await expect(ui.page.get_by_role("dialog").locator("tbody th")).to_have_text(["network"])
        await ui.page.get_by_role("dialog").get_by_role("button", name="Save").click()
        want = {**want, "network": "none", "replicas": 4}
        assert await stored_config(client, "web", want) == want
        await expect(ui.page.get_by_label("Replicas")).to_have_value("4")

        # A value the server refuses: its message is shown, nothing is stored.
        await ui.page.get_by_label("Server Id").fill("nope")
        await ui.page.get_by_role("button", name="Save").click()
        await ui.page.get_by_role("dialog").get_by_role("button", name="Save").click()
        await expect(ui.page.get_by_role("alert")).to_contain_text("no Server named or with id 'nope'")
        assert (await client.read("GetDeployment", {"deployment": "web"}))["config"]["server_id"] == ""

        # A number field that is not a number is caught before anything is sent.
        await ui.page.get_by_label("Server Id").fill("")
        await ui.page.get_by_label("Termination Timeout").fill("")
        await ui.page.get_by_role("button", name="Save").click()
        await expect(ui.page.get_by_role("alert")).to_contain_text("termination_timeout: a number is needed")


async def test_tags_copy_rename_and_delete_from_the_detail_page(browser, gateway_url, client):
    await client.write("CreateProcedure", {"name": "nightly", "config": {"schedule": "every day at 02:00"}})
    tag = await client.write("CreateTag", {"name": "jobs"})
    async with ui_page(browser, gateway_url) as ui:
        await ui.log_in(*ADMIN)
        await ui.open("/procedures/nightly")
        await expect(ui.page.get_by_role("heading", name="nightly", exact=True)).to_be_visible()

        await ui.page.get_by_role("button", name="Edit tags").click()
        dialog = ui.page.get_by_role("dialog")
        await dialog.get_by_label("Description").fill("Runs the night's jobs")
        await dialog.get_by_label("jobs").check()
        await dialog.get_by_role("button", name="Save").click()
        await expect(ui.page.locator(".resource-header .tag")).to_have_text("jobs")
        await expect(ui.page.locator(".description")).to_have_text("Runs the night's jobs")
        stored = await client.read("GetProcedure", {"procedure": "nightly"})
        assert stored["tags"] == [tag["_id"]["$oid"]] and stored["description"] == "Runs the night's jobs"
        # A new tag is created and added on the way.
        await ui.page.get_by_role("button", name="Edit tags").click()
        await ui.page.get_by_role("dialog").get_by_label("New tag").fill("nightly-ops")
        await ui.page.get_by_role("dialog").get_by_role("button", name="Save").click()
        await expect(ui.page.locator(".resource-header .tag")).to_have_text(["jobs", "nightly-ops"])
        stored = await client.read("GetProcedure", {"procedure": "nightly"})
        assert len(stored["tags"]) == 2

        await ui.page.get_by_role("button", name="Copy").click()
        await ui.page.get_by_role("dialog").get_by_label("Name of the copy").fill("weekly")
        await ui.page.get_by_role("dialog").get_by_role("button", name="Copy").click()
        await expect(ui.page.get_by_role("heading", name="weekly", exact=True)).to_be_visible()
        copied = await client.read("GetProcedure", {"procedure": "weekly"})
        assert copied["config"]["schedule"] == "every day at 02:00"

        await ui.page.get_by_role("button", name="Rename").click()
        await ui.page.get_by_role("dialog").get_by_label("New name").fill("monthly")
        await ui.page.get_by_role("dialog").get_by_role("button", name="Rename").click()
        await expect(ui.page.get_by_role("heading", name="monthly", exact=True)).to_be_visible()
        renamed = await client.read("GetProcedure", {"procedure": "monthly"})
        assert renamed["_id"] == copied["_id"]

        await ui.page.get_by_role("button", name="Delete").click()
        dialog = ui.page.get_by_role("dialog")
        confirm = dialog.get_by_role("button", name="Delete")
        await expect(confirm).to_be_disabled()
        await dialog.get_by_label("type monthly to confirm").fill("monthly")
        await confirm.click()
        await expect(ui.page.get_by_role("heading", name="Procedures")).to_be_visible()
        await expect(ui.page.locator(".resource-list tbody tr")).to_have_count(1)
        names = [p["name"] for p in await client.read("ListProcedures", {})]
        assert names == ["nightly"]


async def test_a_reader_sees_a_disabled_form_and_no_buttons_while_executors_and_writers_see_theirs(
    browser, gateway_url, client, alice
):
    ids = {}
    for name in ("ro", "ex", "rw"):
        ids[name] = (await client.write("CreateDeployment", {"name": name, "config": {}}))["_id"]["$oid"]
    rw_id = ids["rw"]
    await grant(client, "Read", "ro")
    await grant(client, "Execute", "ex")
    await grant(client, "Write", "rw")
    async with ui_page(browser, gateway_url, PHONE) as ui:
        await ui.log_in("alice", "alice-password")
        page = ui.page

        await ui.open("/deployments/ro")
        await expect(page.get_by_role("heading", name="ro", exact=True)).to_be_visible()
        await form_ready(page)
        await expect(page.locator(".readonly")).to_contain_text("You have Read permission")
        await expect(page.get_by_label("Network", exact=True)).to_be_disabled()
        await expect(page.get_by_label("Network", exact=True)).to_have_value("host")
        for button in ("Save", "Delete", "Rename", "Deploy", "Stop", "Destroy"):
            await expect(page.get_by_role("button", name=button, exact=True)).to_have_count(0)
        await ui.screenshot("resource-detail-phone-readonly")

        # Execute: the executions, still no writes.
        await ui.open("/deployments/ex")
        await expect(page.get_by_role("heading", name="ex", exact=True)).to_be_visible()
        await form_ready(page)
        await expect(page.get_by_role("button", name="Deploy", exact=True)).to_be_visible()
        await expect(page.get_by_label("Network", exact=True)).to_be_disabled()
        for button in ("Save", "Delete", "Rename"):
            await expect(page.get_by_role("button", name=button, exact=True)).to_have_count(0)

        # Write: everything (the positive control of the two above).
        await ui.open("/deployments/rw")
        await expect(page.get_by_role("heading", name="rw", exact=True)).to_be_visible()
        await form_ready(page)
        await expect(page.get_by_label("Network", exact=True)).to_be_enabled()
        for button in ("Save", "Delete", "Rename", "Deploy", "Destroy"):
            await expect(page.get_by_role("button", name=button, exact=True)).to_be_visible()
        await expect(page.locator(".readonly")).to_have_count(0)
        await ui.screenshot("resource-detail-phone", full_page=False)

        # Destructive executions ask first; Destroy wants the name typed. Cancelled, nothing is sent.
        await page.get_by_role("button", name="Stop", exact=True).click()
        await expect(page.get_by_role("dialog")).to_contain_text("StopDeployment")
        await page.get_by_role("dialog").get_by_role("button", name="Cancel").click()
        await page.get_by_role("button", name="Destroy", exact=True).click()
        dialog = page.get_by_role("dialog")
        await expect(dialog.get_by_role("button", name="Destroy")).to_be_disabled()
        await dialog.get_by_label("type rw to confirm").fill("r")
        await expect(dialog.get_by_role("button", name="Destroy")).to_be_disabled()
        await dialog.get_by_role("button", name="Cancel").click()
        await expect(page.get_by_role("dialog")).to_have_count(0)
        await expect(page.locator(".execution-result")).to_be_empty()
        updates = await client.read("ListUpdates", {"query": {"target.id": rw_id}})
        assert [u["operation"] for u in updates["updates"]] == ["CreateDeployment"]


async def test_an_execution_button_sends_its_request_and_links_the_update(
    browser, gateway_url, client, executor
):
    await client.write("CreateProcedure", {"name": "empty", "config": {}})
    async with ui_page(browser, gateway_url) as ui:
        await ui.log_in(*ADMIN)
        await ui.open("/procedures/empty")
        await ui.page.get_by_role("button", name="Run", exact=True).click()
        update_link = ui.page.get_by_role("link", name=re.compile("see its Update"))
        await expect(update_link).to_be_visible()
        href = await update_link.get_attribute("href")
        assert href and re.fullmatch(r"#/updates/[0-9a-f]{24}", href)
        update = await client.read("GetUpdate", {"id": href.rsplit("/", 1)[1]})
        assert update["operation"] == "RunProcedure"
        # The run's state follows its Update to the end.
        await expect(ui.page.locator(".execution-result .state")).to_have_text("Success")

        # The Updates tab lists it (reached by keyboard: arrow keys move between tabs).
        await ui.page.get_by_role("tab", name="Config").focus()
        await ui.page.keyboard.press("ArrowRight")
        await expect(ui.page.get_by_role("tab", name="Updates")).to_have_attribute("aria-selected", "true")
        await expect(ui.page.get_by_role("tab", name="Updates")).to_be_focused()
        items = ui.page.locator(".resource-updates li", has_text="RunProcedure")
        await expect(items).to_have_count(1)
        await expect(items.first.locator(".state")).to_have_text("Success")


async def test_a_tagged_config_saves_its_changed_params_and_a_new_type_whole_and_bad_json_is_caught(
    browser, gateway_url, client
):
    await client.write("CreateBuilder", {"name": "remote", "config": {}})
    await client.write("CreateProcedure", {"name": "nightly", "config": {}})
    before = (await client.read("GetBuilder", {"builder": "remote"}))["config"]
    assert before["type"] == "Url"
    async with ui_page(browser, gateway_url) as ui:
        await ui.log_in(*ADMIN)
        await ui.open("/builders/remote")
        await form_ready(ui.page)
        await ui.page.get_by_label("Address").fill("https://builder.internal:8120")
        await ui.page.get_by_role("button", name="Save").click()
        dialog = ui.page.get_by_role("dialog")
        await expect(dialog.locator("tbody tr")).to_have_count(1)
        await expect(dialog.locator("tbody th")).to_have_text("params.address")
        await dialog.get_by_role("button", name="Save").click()
        await expect(ui.page.locator(".toast")).to_contain_text("Saved remote")
        stored = (await client.read("GetBuilder", {"builder": "remote"}))["config"]
        assert stored == {
            **before,
            "params": {**before["params"], "address": "https://builder.internal:8120"},
        }

        # Another type: its own fields, from its defaults, sent whole.
        await ui.page.get_by_label("Type", exact=True).select_option("Server")
        await expect(ui.page.get_by_label("Address")).to_have_count(0)
        await ui.page.get_by_role("button", name="Save").click()
        await expect(ui.page.get_by_role("dialog").locator("tbody th")).to_have_text("type")
        await ui.page.get_by_role("dialog").get_by_role("button", name="Save").click()
        for _ in range(100):
            stored = (await client.read("GetBuilder", {"builder": "remote"}))["config"]
            if stored["type"] == "Server":
                break
            await asyncio.sleep(0.1)
        assert stored["type"] == "Server"

        # A list of objects is edited as JSON; JSON that does not parse is named before anything is sent.
        await ui.open("/procedures/nightly")
        await form_ready(ui.page)
        await ui.page.get_by_label("Stages").fill("[{")
        await ui.page.get_by_role("button", name="Save").click()
        await expect(ui.page.get_by_role("alert")).to_contain_text("stages: not valid JSON")
        await expect(ui.page.get_by_label("Stages")).to_be_focused()
