"""A stop ends even when a background loop loses its cancellation (Python 3.11's wait_for can swallow one)."""

from __future__ import annotations

import asyncio
import logging

import pytest

from services.common.tasks import cancel_and_wait


async def _loop_that_loses_one_cancel(rounds: list[int]) -> None:
    """A periodic loop whose first cancellation is swallowed, as a wait_for finishing at that moment does."""
    lost = False
    while True:
        try:
            await asyncio.sleep(0.01)
        except asyncio.CancelledError:
            if lost:
                raise
            lost = True
        rounds.append(1)


async def test_a_loop_that_lost_its_cancel_is_cancelled_again_and_ends() -> None:
    rounds: list[int] = []
    task = asyncio.create_task(_loop_that_loses_one_cancel(rounds))
    await asyncio.sleep(0.05)
    await asyncio.wait_for(cancel_and_wait(task), 5)
    assert task.cancelled()


async def test_positive_control_a_single_cancel_and_await_waits_for_ever() -> None:
    rounds: list[int] = []
    task = asyncio.create_task(_loop_that_loses_one_cancel(rounds))
    await asyncio.sleep(0.05)
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=1.0)
    assert not done, "the loop should still run after losing its one cancellation"
    before = len(rounds)
    await asyncio.sleep(0.1)
    assert len(rounds) > before
    await cancel_and_wait(task)


async def test_several_tasks_none_and_finished_ones() -> None:
    finished = asyncio.create_task(asyncio.sleep(0))
    await finished
    sleeping = asyncio.create_task(asyncio.sleep(60))
    await cancel_and_wait(None, finished, sleeping)
    assert sleeping.cancelled() and finished.done()


async def test_an_error_a_task_ended_with_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    async def fails() -> None:
        raise RuntimeError("boom")

    task = asyncio.create_task(fails())
    await asyncio.sleep(0)
    with caplog.at_level(logging.WARNING, logger="services.common.tasks"):
        await cancel_and_wait(task)
    assert "boom" in caplog.text
