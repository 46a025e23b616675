"""The web UI's log-in, dashboard and API keys, driven in Chromium as a user would."""

from __future__ import annotations

import re

import httpx
from playwright.async_api import expect

from tests.e2e.browser import PHONE, ui_page


async def test_the_gateway_serves_the_ui_with_its_own_files_only(gateway_url):
    async with httpx.AsyncClient(base_url=gateway_url) as http:
        index = await http.get("/")
        script = await http.get("/ui/js/main.js")
        missing = await http.get("/ui/js/nope.js")
    assert index.status_code == 200 and "/ui/js/main.js" in index.text
    assert "script-src 'self'" in index.headers["content-security-policy"]
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert missing.status_code == 404
    # Everything the page loads comes from this server: no CDN.
    assert not re.search(r"(src|href)=\"https?://", index.text)


async def test_a_wrong_password_is_refused_with_the_server_s_message_and_the_right_one_logs_in(
    browser, gateway_url, admin_headers
):
    async with ui_page(browser, gateway_url) as ui:
        await ui.page.goto(f"{gateway_url}/")
        await ui.page.get_by_label("Username").fill("e2e-admin")
        await ui.page.get_by_label("Password").fill("not-the-password")
        await ui.page.get_by_role("button", name="Log in").click()
        await expect(ui.page.get_by_role("alert")).to_contain_text("Log-in failed")
        await ui.screenshot("login-refused")

        await ui.log_in("e2e-admin", "e2e-admin-password")
        await expect(ui.page.get_by_role("heading", name="Dashboard")).to_be_visible()
        servers = ui.page.locator("article.summary[data-kind=servers]")
        await expect(servers.locator(".total")).to_have_text("0")
        await expect(ui.page.locator(".stream")).to_have_text("● live")
        await ui.screenshot("dashboard-desktop")

        await ui.page.get_by_role("button", name="Log out").click()
        await expect(ui.page.get_by_role("button", name="Log in")).to_be_visible()
        # The log-in is gone: a reload asks for it again.
        await ui.page.reload()
        await expect(ui.page.get_by_role("button", name="Log in")).to_be_visible()


async def test_the_dashboard_counts_what_exists_and_shows_its_updates(browser, gateway_url, client):
    await client.write("CreateServer", {"name": "counted"})
    async with ui_page(browser, gateway_url, PHONE) as ui:
        await ui.log_in("e2e-admin", "e2e-admin-password")
        servers = ui.page.locator("article.summary[data-kind=servers]")
        await expect(servers.locator(".total")).to_have_text("1")
        await expect(ui.page.locator("ul.updates")).to_contain_text("CreateServer")
        # An Update made while the page is open arrives over /ws/update, without a reload.
        await client.write("CreateServer", {"name": "arrives-live"})
        await expect(ui.page.locator("ul.updates li")).to_have_count(2)
        await ui.screenshot("dashboard-phone")


async def test_an_api_key_is_created_with_its_secret_shown_once_then_listed_and_deleted(
    browser, gateway_url, admin_headers
):
    async with ui_page(browser, gateway_url) as ui:
        await ui.log_in("e2e-admin", "e2e-admin-password")
        await ui.open("/keys")
        await expect(ui.page.get_by_text("You have no API keys.")).to_be_visible()
        await ui.page.get_by_label("Name").fill("ci-deploys")
        await ui.page.get_by_role("button", name="Create key").click()
        secret = ui.page.locator("code.secret")
        await expect(secret).to_have_text(re.compile(r"^S_.+_S$"))
        row = ui.page.locator("tbody tr", has_text="ci-deploys")
        await expect(row).to_have_count(1)
        await ui.screenshot("api-keys")

        # Shown once: the list never carries the secret, and a reload does not show it again.
        shown = await secret.text_content()
        await ui.page.reload()
        await expect(row).to_have_count(1)
        assert shown not in await ui.page.content()

        await row.get_by_role("button", name="Delete").click()
        await ui.page.get_by_role("dialog").get_by_role("button", name="Delete").click()
        await expect(ui.page.get_by_text("You have no API keys.")).to_be_visible()


async def test_after_too_many_failed_log_ins_the_form_shows_the_rate_limit_with_when_to_try_again(
    browser, gateway_url, admin_headers
):
    async with ui_page(browser, gateway_url) as ui:
        await ui.page.goto(f"{gateway_url}/")
        await ui.page.get_by_label("Username").fill("e2e-admin")
        await ui.page.get_by_label("Password").fill("not-the-password")
        alert = ui.page.get_by_role("alert")
        for _ in range(5):
            await ui.page.get_by_role("button", name="Log in").click()
            await expect(alert).to_contain_text("Log-in failed")
            # The next click must be told apart from this answer.
            await ui.page.evaluate("document.querySelector('[role=alert]').remove()")
        # The right password now too is refused until the window passes, and the form says so plainly.
        await ui.page.get_by_label("Password").fill("e2e-admin-password")
        await ui.page.get_by_role("button", name="Log in").click()
        await expect(alert).to_contain_text("Too many attempts")
        await expect(alert).to_contain_text(re.compile(r"\d+ s"))
        await expect(ui.page.get_by_role("button", name="Log out")).to_have_count(0)
        await ui.screenshot("login-rate-limited")
