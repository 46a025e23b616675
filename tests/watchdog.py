"""A watchdog for hung tests: when one test (setup, call and teardown together) runs longer than
`VARANUS_TEST_WATCHDOG_SECONDS` (default 300), every thread's stack and every asyncio task's stack go to stderr,
and after twice that the run ends with exit code 3, so a hang fails in minutes with the place it hung, not at
CI's time limit.

CI shows only the tail of a run's output, so the dump is compact and ends with what matters: asyncio tasks
with the same stack are printed once with a count (a session holds hundreds of idle NATS subscription tasks),
the idle ones first, and the last line names the hung test. The whole dump also goes to a file named in that
line."""

from __future__ import annotations

import asyncio
import faulthandler
import gc
import io
import os
import sys
import tempfile
import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

SECONDS = float(os.environ.get("VARANUS_TEST_WATCHDOG_SECONDS", "300"))

loops: list[asyncio.AbstractEventLoop] = []
"""The event loops tests ran on (the session's), for the task dump."""
configs: list[pytest.Config] = []

IDLE = ("_wait_for_msgs", "periodic_executor.py", "_read_loop", "_ping_interval", "_flusher")
"""Frames of tasks that wait by design for the whole session; grouped and printed before the rest."""


def pytest_configure(config: pytest.Config) -> None:
    configs.append(config)


def _chain(awaitable: Any) -> list[str]:
    """The frames of a coroutine and of everything it awaits in turn, outermost first (asyncio's own stack of a
    task shows only the outermost)."""
    lines: list[str] = []
    for _ in range(40):
        frame = None
        for name in ("cr_frame", "ag_frame", "gi_frame"):
            frame = frame or getattr(awaitable, name, None)
        if frame is not None:
            lines.append(
                f'  File "{frame.f_code.co_filename}", line {frame.f_lineno}, in {frame.f_code.co_name}'
            )
        following = None
        for name in ("cr_await", "ag_await", "gi_yieldfrom"):
            following = following or getattr(awaitable, name, None)
        if following is None:
            break
        awaitable = following
    return lines


def _suspended_generators() -> list[str]:
    """The chains of the project's async generators (fixtures among them) stopped inside an await."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    found = []
    for thing in gc.get_objects():
        if type(thing).__name__ == "async_generator" and getattr(thing, "ag_await", None) is not None:
            frame = thing.ag_frame
            if frame is not None and frame.f_code.co_filename.startswith(root):
                found.append("\n".join(_chain(thing)))
    return found


def _task_stacks() -> Counter[str]:
    """Every task's stack on the remembered loops, counted by identical text."""
    stacks: Counter[str] = Counter()
    for loop in loops:
        try:
            tasks = list(asyncio.all_tasks(loop))
        except RuntimeError:  # the set changed while read from this thread; one more try
            tasks = list(asyncio.all_tasks(loop))
        for task in tasks:
            coro = task.get_coro()
            head = getattr(coro, "__qualname__", repr(coro))
            stacks[f"coro {head}()\n" + "\n".join(_chain(coro))] += 1
    return stacks


def _dump(nodeid: str, final: bool) -> None:
    for config in configs:
        # Captured output would be lost with the process: print to the real stderr.
        capture = config.pluginmanager.getplugin("capturemanager")
        if capture is not None:
            capture.suspend_global_capture(in_=True)
    seconds = SECONDS * (2 if final else 1)
    with tempfile.NamedTemporaryFile("w", prefix="varanus-watchdog-", suffix=".txt", delete=False) as file:
        faulthandler.dump_traceback(file=file, all_threads=True)
        path = file.name
    with open(path, encoding="utf-8", errors="replace") as file:
        threads = file.read()
    stacks = _task_stacks()
    idle = {text: n for text, n in stacks.items() if any(mark in text for mark in IDLE)}
    busy = {text: n for text, n in stacks.items() if text not in idle}
    report = io.StringIO()
    print(f"\n=== watchdog: {nodeid} has run {seconds:.0f} s ===", file=report)
    print("--- threads ---", file=report)
    print(threads, file=report)
    print(f"--- {sum(idle.values())} idle asyncio tasks (grouped) ---", file=report)
    for text, n in idle.items():
        print(f"[{n}x] {text.splitlines()[0]}", file=report)
    print(f"--- {sum(busy.values())} other asyncio tasks ---", file=report)
    for text, n in busy.items():
        print(f"[{n}x] {text}", file=report)
    print("--- the project's async generators suspended in an await (fixtures) ---", file=report)
    for text in _suspended_generators():
        print(text, file=report)
    with open(path, "w", encoding="utf-8") as file:
        file.write(report.getvalue())
    out = sys.stderr
    out.write(report.getvalue())
    print(f"=== watchdog: {nodeid} has run {seconds:.0f} s (dump in {path}) ===", file=out)
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
