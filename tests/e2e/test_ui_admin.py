"""The web UI's admin and settings pages (users, groups, permissions, variables, accounts, tags, onboarding
keys), driven in Chromium as an admin and as a plain user would, checked against what the API then holds."""

from __future__ import annotations

import re

from playwright.async_api import Page, expect

from tests.e2e.browser import PHONE, ui_page

ADMIN = ("e2e-admin", "e2e-admin-password")


async def nav_sections(page: Page) -> list[str]:
    return [text.strip() for text in await page.locator("nav .nav-section h2").all_text_contents()]


async def test_an_admin_creates_a_user_who_logs_in_and_is_refused_once_disabled(browser, gateway_url, client):
    async with ui_page(browser, gateway_url) as admin, ui_page(browser, gateway_url) as bob:
        await admin.log_in(*ADMIN)
        await admin.open("/admin/users")
        await admin.page.get_by_label("Username").fill("bob")
        await admin.page.get_by_label("Password").fill("bob-password")
        await admin.page.get_by_role("button", name="Create user").click()
        row = admin.page.locator("tbody tr", has_text="bob")
        await expect(row).to_contain_text("Enabled")
        await admin.screenshot("admin-users-desktop")

        # A refused request shows the server's own message.
        await admin.page.get_by_label("Username").fill("bob")
        await admin.page.get_by_label("Password").fill("other-password")
        await admin.page.get_by_role("button", name="Create user").click()
        await expect(admin.page.get_by_role("alert")).to_contain_text("a user named 'bob' already exists")

        await bob.log_in("bob", "bob-password")
        await expect(bob.page.get_by_role("heading", name="Dashboard")).to_be_visible()
        await bob.page.get_by_role("button", name="Log out").click()

        await row.get_by_role("button", name="Disable bob").click()
        await expect(row).to_contain_text("Disabled")
        listed = {u["username"]: u for u in await client.read("ListUsers", {})}
        assert listed["bob"]["enabled"] is False

        await bob.page.get_by_label("Username").fill("bob")
        await bob.page.get_by_label("Password").fill("bob-password")
        await bob.page.get_by_role("button", name="Log in").click()
        # The server's own words are shown.
        await expect(bob.page.get_by_role("alert")).to_contain_text("not enabled")
        await bob.screenshot("login-disabled-user")

        # Deleting asks for the username typed out.
        await row.get_by_role("button", name="Delete bob").click()
        dialog = admin.page.get_by_role("dialog")
        confirm = dialog.get_by_role("button", name="Delete")
        await expect(confirm).to_be_disabled()
        await dialog.get_by_role("textbox").fill("bob")
        await confirm.click()
        await expect(row).to_have_count(0)
        assert "bob" not in {u["username"] for u in await client.read("ListUsers", {})}


async def test_read_given_on_the_permissions_page_lets_alice_see_the_resource(
    browser, gateway_url, client, alice
):
    alice_bus, alice_id = alice
    await client.write("CreateDeployment", {"name": "web"})
    async with ui_page(browser, gateway_url) as admin, ui_page(browser, gateway_url) as her:
        # Positive control: before the grant, alice's dashboard counts no deployment.
        await her.log_in("alice", "alice-password")
        deployments = her.page.locator("article.summary[data-kind=deployments] .total")
        await expect(deployments).to_have_text("0")

        await admin.log_in(*ADMIN)
        await admin.open("/admin/permissions/deployments/web")
        await expect(admin.page.get_by_role("heading", name="Permissions on web")).to_be_visible()
        await expect(admin.page.get_by_text("Everything (admin)")).to_be_visible()
        await admin.page.get_by_label("User or group").select_option(label="alice")
        await admin.screenshot("admin-permissions-give")
        await admin.page.get_by_label("Level", exact=True).last.select_option("Read")
        await admin.page.get_by_role("button", name="Give permission").click()
        row = admin.page.locator("tbody tr", has_text="alice")
        await expect(row.locator("td").nth(1)).to_have_text("Read")
        await admin.screenshot("admin-permissions-desktop")

        given = await client.read(
            "ListUserTargetPermissions", {"user_target": {"type": "User", "id": alice_id}}
        )
        assert [(p["resource_target"]["type"], p["level"]) for p in given] == [("Deployment", "Read")]
        assert [d["name"] for d in await alice_bus.read("ListDeployments", {})] == ["web"]

        await her.page.reload()
        await expect(deployments).to_have_text("1")

        # Her user page lists the grant by the resource's name; raising it there goes through the row editor.
        await admin.open(f"/admin/users/{alice_id}")
        grants = admin.page.locator("section.permissions tbody tr", has_text="web")
        await expect(grants).to_contain_text("Read")
        await admin.screenshot("admin-user-desktop")

        await admin.open("/admin/permissions/Deployment/web")
        await row.get_by_label("Level of alice").select_option("Execute")
        # By keyboard: the folded specific permissions open with Enter, a box ticks with Space.
        await row.get_by_text("Specific permissions").focus()
        await admin.page.keyboard.press("Enter")
        await row.get_by_label("Logs").focus()
        await admin.page.keyboard.press("Space")
        await admin.page.keyboard.press("Tab")
        await admin.page.keyboard.press("Tab")
        save = row.get_by_role("button", name="Save the permission of alice")
        await expect(save).to_be_focused()
        await admin.screenshot("admin-permissions-keyboard", full_page=False)
        await admin.page.keyboard.press("Enter")
        await expect(row.locator("td").nth(1)).to_have_text("Execute + Logs")
        level = await alice_bus.read("GetPermission", {"target": {"type": "Deployment", "id": "web"}})
        assert level == {"level": "Execute", "specific": ["Logs"]}

    async with ui_page(browser, gateway_url, PHONE) as phone:
        await phone.log_in(*ADMIN)
        await phone.open("/admin/permissions/deployments/web")
        await expect(phone.page.locator("tbody tr", has_text="alice")).to_contain_text("Execute")
        await phone.screenshot("admin-permissions-phone")
        await phone.open(f"/admin/users/{alice_id}")
        await expect(phone.page.locator("section.permissions tbody tr", has_text="web")).to_be_visible()
        await phone.screenshot("admin-user-phone")
        await phone.open("/admin/users")
        await expect(phone.page.locator("tbody tr", has_text="alice")).to_be_visible()
        await phone.screenshot("admin-users-phone")


async def test_a_group_is_created_with_a_member(browser, gateway_url, client, alice):
    _, alice_id = alice
    async with ui_page(browser, gateway_url) as admin:
        await admin.log_in(*ADMIN)
        await admin.open("/admin/groups")
        await expect(admin.page.get_by_text("No user groups yet.")).to_be_visible()
        await admin.page.get_by_label("New group name").fill("ops")
        await admin.page.get_by_role("button", name="Create group").click()
        await expect(admin.page.get_by_role("heading", name="ops")).to_be_visible()
        await admin.page.get_by_label("New member").select_option(label="alice")
        await admin.page.get_by_role("button", name="Add member").click()
        await expect(admin.page.get_by_role("button", name="Remove alice from the group")).to_be_visible()
        group = await client.read("GetUserGroup", {"user_group": "ops"})
        assert group["users"] == [alice_id]
        await admin.screenshot("admin-group")

        await admin.page.get_by_label("Everyone is a member").check()
        await expect(admin.page.get_by_text("Every user is now a member")).to_be_visible()
        assert (await client.read("GetUserGroup", {"user_group": "ops"}))["everyone"] is True

        await admin.open("/admin/groups")
        await expect(admin.page.locator("tbody tr", has_text="ops")).to_contain_text("Everyone")


async def test_secret_values_are_masked_and_never_in_the_page(browser, gateway_url, client, alice):
    alice_bus, _ = alice
    secret = "s3cr3t-value-4711"
    await client.write("CreateVariable", {"name": "DB_PASSWORD", "value": secret, "is_secret": True})
    await client.write("CreateVariable", {"name": "REGION", "value": "eu-west", "description": "where"})
    # What the API gives a non-admin: the secret redacted, the plain value as it is.
    theirs = {v["name"]: v["value"] for v in await alice_bus.read("ListVariables", {})}
    assert theirs == {"DB_PASSWORD": "<redacted>", "REGION": "eu-west"}

    async with ui_page(browser, gateway_url) as admin:
        await admin.log_in(*ADMIN)
        await admin.open("/variables")
        row = admin.page.locator("tbody tr", has_text="DB_PASSWORD")
        await expect(row).to_contain_text("••••")
        await expect(admin.page.locator("tbody tr", has_text="REGION")).to_contain_text("eu-west")
        # The admin's answer carries the value, the page does not.
        assert secret not in await admin.page.content()

        await admin.page.get_by_label("Name").fill("API_TOKEN")
        await admin.page.get_by_label("Secret", exact=True).check()
        await admin.page.get_by_label("Value").fill("tok-123456")
        await admin.page.get_by_role("button", name="Create variable").click()
        await expect(admin.page.locator("tbody tr", has_text="API_TOKEN")).to_contain_text("••••")
        assert "tok-123456" not in await admin.page.content()
        await admin.screenshot("variables-admin-desktop")

        # Editing a secret: the field starts empty, and an empty field keeps the stored value.
        await row.get_by_role("button", name="Edit DB_PASSWORD").click()
        await expect(admin.page.locator("#var-edit-value")).to_have_value("")
        await admin.page.get_by_label("Description").last.fill("the database")
        await admin.page.get_by_role("button", name="Save").click()
        await expect(row).to_contain_text("the database")
        stored = await client.read("GetVariable", {"name": "DB_PASSWORD"})
        assert stored["value"] == secret and stored["description"] == "the database"

    for viewport, name in ((None, "variables-user-desktop"), (PHONE, "variables-user-phone")):
        async with ui_page(browser, gateway_url, viewport) as her:
            await her.log_in("alice", "alice-password")
            await her.open("/variables")
            await expect(her.page.locator("tbody tr", has_text="DB_PASSWORD")).to_contain_text("••••")
            await expect(her.page.locator("tbody tr", has_text="REGION")).to_contain_text("eu-west")
            html = await her.page.content()
            assert secret not in html and "<redacted>" not in html and "&lt;redacted&gt;" not in html
            # Read-only for her: no form, no row buttons.
            await expect(her.page.get_by_role("button", name="Create variable")).to_have_count(0)
            await expect(her.page.get_by_role("button", name=re.compile("^(Edit|Delete) "))).to_have_count(0)
            await expect(her.page.get_by_text("Only admins change variables.")).to_be_visible()
            await her.screenshot(name)


async def test_a_git_account_s_token_is_never_shown_back(browser, gateway_url, client):
    token = "ghp_never-shown-0123456789"
    async with ui_page(browser, gateway_url) as admin:
        await admin.log_in(*ADMIN)
        await admin.open("/accounts")
        git = admin.page.locator("form.account-form[data-kind=git]")
        await git.get_by_label("Domain").fill("git.example.com")
        await git.get_by_label("Username").fill("deployer")
        await git.get_by_label("Token").fill(token)
        await git.get_by_role("button", name="Add git account").click()
        row = admin.page.locator("section[data-kind=git] tbody tr", has_text="deployer")
        await expect(row).to_contain_text("git.example.com")
        await expect(row).to_contain_text("Set")
        await expect(git.get_by_label("Token")).to_have_value("")
        assert token not in await admin.page.content()
        await admin.screenshot("accounts")
        stored = await client.read("ListGitProviderAccounts", {})
        assert [(a["domain"], a["username"], a["token"]) for a in stored] == [
            ("git.example.com", "deployer", token)
        ]

        # Editing leaves the token alone unless a new one is typed.
        await row.get_by_role("button", name="Edit deployer@git.example.com").click()
        edit = admin.page.locator("form.account-form", has=admin.page.locator("#git-edit-username"))
        await expect(edit.get_by_label("New token")).to_have_value("")
        await edit.get_by_label("Username").fill("deployer2")
        await edit.get_by_role("button", name="Save").click()
        await expect(
            admin.page.locator("section[data-kind=git] tbody tr", has_text="deployer2")
        ).to_be_visible()
        stored = await client.read("ListGitProviderAccounts", {})
        assert [(a["username"], a["token"]) for a in stored] == [("deployer2", token)]
        assert token not in await admin.page.content()


async def test_a_tag_is_created_recoloured_renamed_and_deleted(browser, gateway_url, client):
    async with ui_page(browser, gateway_url) as admin:
        await admin.log_in(*ADMIN)
        await admin.open("/tags")
        await expect(admin.page.get_by_text("No tags yet.")).to_be_visible()
        await admin.page.get_by_label("New tag").fill("prod")
        await admin.page.get_by_label("Colour", exact=True).select_option("Red")
        await admin.page.get_by_role("button", name="Create tag").click()
        row = admin.page.locator("tbody tr", has_text="prod")
        await expect(row).to_contain_text("you")
        assert [(t["name"], t["color"]) for t in await client.read("ListTags", {})] == [("prod", "Red")]
        await row.get_by_label("Colour of prod").select_option("DarkTeal")
        # A colour applies on choosing it, said once the server took it.
        await expect(admin.page.get_by_text("prod is now DarkTeal")).to_be_visible()
        assert [t["color"] for t in await client.read("ListTags", {})] == ["DarkTeal"]
        await admin.screenshot("tags")

        await row.get_by_role("button", name="Rename prod").click()
        await admin.page.get_by_label("New name of prod").fill("production")
        await admin.page.get_by_role("button", name="Rename", exact=True).click()
        row = admin.page.locator("tbody tr", has_text="production")
        await expect(row).to_have_count(1)
        assert [t["name"] for t in await client.read("ListTags", {})] == ["production"]

        await row.get_by_role("button", name="Delete production").click()
        await admin.page.get_by_role("dialog").get_by_role("button", name="Delete").click()
        await expect(admin.page.get_by_text("No tags yet.")).to_be_visible()
        assert await client.read("ListTags", {}) == []


async def test_an_onboarding_key_shows_its_private_key_once(browser, gateway_url, client):
    tag = await client.write("CreateTag", {"name": "edge"})
    server = await client.write("CreateServer", {"name": "template-host"})
    async with ui_page(browser, gateway_url) as admin:
        await admin.log_in(*ADMIN)
        await admin.open("/admin/onboarding")
        await admin.page.get_by_label("Name").fill("web hosts")
        await admin.page.get_by_label("Single use").check()
        await admin.page.get_by_label("New servers copy the config of").select_option(label="template-host")
        await admin.page.get_by_label("edge").check()
        await admin.page.get_by_role("button", name="Create key").click()
        private = admin.page.locator("code.secret")
        await expect(private).to_have_text(re.compile(r"^O_.+_O$"))
        row = admin.page.locator("tbody tr", has_text="web hosts")
        await expect(row).to_contain_text("Enabled")
        await expect(row).to_contain_text("single use")
        await expect(row).to_contain_text("copies template-host")
        await expect(row).to_contain_text("edge")
        await admin.screenshot("onboarding")
        shown = await private.text_content()
        assert shown
        [key] = await client.read("ListOnboardingKeys", {})
        assert key["name"] == "web hosts" and key["single_use"] is True and shown not in str(key)
        assert key["tags"] == [tag["_id"]["$oid"]] and key["copy_server"] == server["_id"]["$oid"]

        await admin.page.reload()
        await expect(row).to_have_count(1)
        assert shown not in await admin.page.content()

        await row.get_by_role("button", name="Disable web hosts").click()
        await expect(row).to_contain_text("Disabled")
        [key] = await client.read("ListOnboardingKeys", {})
        assert key["enabled"] is False

        await row.get_by_role("button", name="Edit web hosts").click()
        edit = admin.page.locator("form", has=admin.page.get_by_role("heading", name="Edit web hosts"))
        await edit.get_by_label("Name").fill("edge hosts")
        await edit.get_by_label("edge", exact=True).uncheck()
        await edit.get_by_role("button", name="Save").click()
        await expect(admin.page.locator("tbody tr", has_text="edge hosts")).to_be_visible()
        [key] = await client.read("ListOnboardingKeys", {})
        assert (
            key["name"] == "edge hosts" and key["tags"] == [] and key["copy_server"] == server["_id"]["$oid"]
        )


async def test_a_plain_user_has_no_admin_section_and_a_plain_message_on_admin_pages(
    browser, gateway_url, client, alice
):
    await client.write("CreateDeployment", {"name": "web"})
    async with ui_page(browser, gateway_url) as admin:
        await admin.log_in(*ADMIN)
        sections = await nav_sections(admin.page)
        assert "Settings" in sections and "Admin" in sections

    async with ui_page(browser, gateway_url) as her:
        await her.log_in("alice", "alice-password")
        assert "Admin" not in await nav_sections(her.page)
        await expect(her.page.locator("nav").get_by_role("link", name="Variables")).to_be_visible()
        await expect(her.page.locator("nav").get_by_role("link", name="Tags")).to_be_visible()
        for path in (
            "/admin/users",
            "/admin/users/0123456789abcdef01234567",
            "/admin/groups",
            "/admin/permissions/deployments/web",
            "/accounts",
            "/admin/onboarding",
        ):
            await her.open(path)
            await expect(her.page.get_by_text("This page is for admins.")).to_be_visible()
            await expect(her.page.get_by_role("alert")).to_have_count(0)
        await her.screenshot("admin-page-refused")

        # Tags are hers to make, and to change while she owns them.
        await her.open("/tags")
        await her.page.get_by_label("New tag").fill("mine")
        await her.page.get_by_role("button", name="Create tag").click()
        await expect(her.page.get_by_role("button", name="Delete mine")).to_be_visible()
