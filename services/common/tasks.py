"""Stopping background tasks so that a stop always ends.

A cancellation can be lost. In Python 3.11, `asyncio.wait_for` (which nats-py, pymongo and our own code await
in many places) swallows a cancellation that arrives just as the awaitable it waits on completes; the task then
goes on as if nothing happened. A background loop (`while True: sleep; work`) whose one cancellation was
swallowed runs on, and `task.cancel(); await task` waits for it forever: a service's stop hangs. This was seen:
a presence refresh loop kept a builder's stop, and the whole test run, waiting. `cancel_and_wait` cancels
again until the task has ended.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

log = logging.getLogger(__name__)

RECANCEL_SECONDS = 0.5
"""How long a cancelled task gets to end before it is cancelled again."""


async def cancel_and_wait(*tasks: asyncio.Task[Any] | None) -> None:
    """Cancel `tasks` (None ones are skipped) and return once every one has ended, cancelling again each
    `RECANCEL_SECONDS` a task that did not. An error a task ended with other than its cancellation is logged,
    not raised: the caller is stopping and has nothing better to do with it."""
    pending = {task for task in tasks if task is not None and not task.done()}
    ended = {task for task in tasks if task is not None} - pending
    while pending:
        for task in pending:
            task.cancel()
        done, pending = await asyncio.wait(pending, timeout=RECANCEL_SECONDS)
        ended |= done
    for task in ended:
        if not task.cancelled() and task.exception() is not None:
            log.warning("task %s ended with an error while stopping: %r", task.get_name(), task.exception())
