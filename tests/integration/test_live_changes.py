"""An executor's live-state notices on a real nats-server: a burst of changes becomes a few notices, the first
at once and one after the last change."""

from __future__ import annotations

import asyncio
import time

from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg

from contracts.subjects import LIVE_CHANGED_SUBJECT
from services.executor.live_changes import LiveChanges


async def heard(nc: NatsClient) -> list[float]:
    """When each notice arrived (filled as they come)."""
    times: list[float] = []

    async def on_notice(msg: Msg) -> None:
        times.append(time.monotonic())

    await nc.subscribe(LIVE_CHANGED_SUBJECT, cb=on_notice)
    await nc.flush()
    return times


async def test_a_burst_of_changes_is_told_at_once_and_after_its_last_change(publisher: NatsClient) -> None:
    times = await heard(publisher)
    changes = LiveChanges(lambda: publisher, window=0.05)
    started = time.monotonic()
    changes.changed()
    await asyncio.sleep(0.01)
    assert len(times) == 1 and times[0] - started < 0.05, "the first change was not told at once"
    last = 0.0
    for _ in range(30):  # 0.3 s of changes every 10 ms
        changes.changed()
        last = time.monotonic()
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.12)
    assert 2 <= len(times) <= 9, f"{len(times)} notices for 31 changes over 0.3 s with a 50 ms window"
    assert times[-1] >= last, "no notice after the last change"
    assert changes.sent == len(times)


async def test_nothing_is_told_without_a_connection_and_stop_cancels_a_due_notice(
    publisher: NatsClient,
) -> None:
    times = await heard(publisher)
    cut_off = LiveChanges(lambda: None, window=0.05)
    cut_off.changed()
    stopped = LiveChanges(lambda: publisher, window=0.05)
    stopped.changed()  # told at once (the positive control)
    await asyncio.sleep(0.01)
    stopped.changed()  # due at the end of the window
    stopped.stop()
    await asyncio.sleep(0.1)
    assert len(times) == 1 and cut_off.sent == 0 and stopped.sent == 1
