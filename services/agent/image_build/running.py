"""The builds running on this agent, by build key, so CancelImageBuild can stop one."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

from services.common.errors import Busy

T = TypeVar("T")


class RunningBuilds:
    """One task per running build key."""

    def __init__(self) -> None:
        self._tasks: dict[str, asyncio.Task[Any]] = {}

    def start(self, key: str, work: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        """Run `work` as the build of `key`; a `Busy` error (and `work` never run) when one is running."""
        running = self._tasks.get(key)
        if running is not None and not running.done():
            work.close()
            raise Busy(f"a build with key {key!r} is already running on this host: cancel it or wait")
        task = asyncio.create_task(work)
        self._tasks[key] = task

        def forget(done: asyncio.Task[Any]) -> None:
            if self._tasks.get(key) is done:
                del self._tasks[key]

        task.add_done_callback(forget)
        return task

    def cancel(self, key: str) -> bool:
        """Cancel the build of `key`; whether one was running."""
        task = self._tasks.get(key)
        if task is None or task.done():
            return False
        task.cancel()
        return True

    def running(self) -> list[str]:
        """The keys of the builds running now."""
        return [key for key, task in self._tasks.items() if not task.done()]
