"""Driving the web UI in Debian's Chromium, headless, with Playwright (no browser download: the system's).

The tests share these helpers: the browser's flags for this closed machine, a page that records the
script errors it raised, log-in, and screenshots under the test output folder.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from playwright.async_api import Browser, Page, async_playwright, expect

CHROMIUM = os.environ.get("VARANUS_TEST_CHROMIUM", "/usr/bin/chromium")
"""Debian's Chromium (`./run test-env` installs the `chromium` package)."""

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Without these Chromium keeps dialing Google's hosts, which this machine's closed network refuses.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

OUTPUT = (
    Path(os.environ.get("VARANUS_TEST_OUTPUT", Path(__file__).resolve().parents[2] / "test-output")) / "ui"
)
"""Where the UI tests write their screenshots (look at them before changing the UI)."""

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    """Chromium started headless for the block."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield browser
        finally:
            await browser.close()


@dataclass
class UiPage:
    """A browser page on the UI, with the uncaught script errors it raised (a test fails on any)."""

    page: Page
    base: str
    errors: list[str] = field(default_factory=list)

    async def open(self, path: str = "/") -> None:
        """Goes to a UI path (`/deployments/web` → `<base>/#/deployments/web`)."""
        await self.page.goto(f"{self.base}/#{path}")

    async def log_in(self, username: str, password: str) -> None:
        """Logs in through the form and waits for the layout."""
        await self.page.goto(f"{self.base}/")
        await self.page.get_by_label("Username").fill(username)
        await self.page.get_by_label("Password").fill(password)
        await self.page.get_by_role("button", name="Log in").click()
        await expect(self.page.get_by_role("button", name="Log out")).to_be_visible()

    async def screenshot(self, name: str, *, full_page: bool = True) -> Path:
        """Saves a PNG of the page as `<OUTPUT>/<name>.png`."""
        OUTPUT.mkdir(parents=True, exist_ok=True)
        path = OUTPUT / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', name)}.png"
        await self.page.screenshot(path=str(path), full_page=full_page)
        return path


@asynccontextmanager
async def ui_page(
    browser: Browser, base: str, viewport: dict[str, int] | None = None
) -> AsyncIterator[UiPage]:
    """A fresh browser context (no stored log-in) on the UI at `base`; fails if the page raised a script
    error."""
    context = await browser.new_context(viewport=viewport or DESKTOP)  # type: ignore[arg-type]
    page = await context.new_page()
    ui = UiPage(page, base)
    page.on("pageerror", lambda exc: ui.errors.append(str(exc)))
    try:
        yield ui
    finally:
        await context.close()
    assert not ui.errors, f"the page raised script errors: {ui.errors}"
