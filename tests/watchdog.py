"""A watchdog for hung tests: when one test (setup, call and teardown together) runs longer than
`VARANUS_TEST_WATCHDOG_SECONDS` (default 300), every thread's stack and every asyncio task's stack go to stderr,
and after twice that the run ends with exit code 3, so a hang fails in minutes with the place it hung, not at
CI's time limit."""

from __future__ import annotations

import asyncio
import faulthandler
import os
import sys
import threading
from collections.abc import Iterator

import pytest

SECONDS = float(os.environ.get("VARANUS_TEST_WATCHDOG_SECONDS", "300"))

loops: list[asyncio.AbstractEventLoop] = []
"""The event loops tests ran on (the session's), for the task dump."""
configs: list[pytest.Config] = []


def pytest_configure(config: pytest.Config) -> None:
    configs.append(config)


def _dump(nodeid: str, final: bool) -> None:
    for config in configs:
        # Captured output would be lost with the process: print to the real stderr.
        capture = config.pluginmanager.getplugin("capturemanager")
        if capture is not None:
            capture.suspend_global_capture(in_=True)
    out = sys.stderr
    print(f"\n=== watchdog: {nodeid} has run {SECONDS * (2 if final else 1):.0f} s ===", file=out)
    faulthandler.dump_traceback(file=out, all_threads=True)
    for loop in loops:
        try:
            tasks = list(asyncio.all_tasks(loop))
        except RuntimeError:  # the set changed while read from this thread; one more try
            tasks = list(asyncio.all_tasks(loop))
        print(f"--- {len(tasks)} asyncio tasks ---", file=out)
        for task in tasks:
            task.print_stack(limit=12, file=out)
    out.flush()
    if final:
        os._exit(3)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Iterator[None]:
    warn = threading.Timer(SECONDS, _dump, (item.nodeid, False))
    end = threading.Timer(2 * SECONDS, _dump, (item.nodeid, True))
    for timer in (warn, end):
        timer.daemon = True
        timer.start()
    try:
        yield
    finally:
        warn.cancel()
        end.cancel()


@pytest.fixture(scope="session", autouse=True)
async def _watch_the_session_loop() -> None:
    """Remember the session's event loop for the task dump."""
    loops.append(asyncio.get_running_loop())
