"""Backlog: messages filed off the connection at once, the newest per key, handled a slice at a time."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from services.executor.servers.backlog import Backlog


@dataclass
class Message:
    subject: str
    data: bytes


def recorder() -> tuple[list[bytes], Any]:
    handled: list[bytes] = []

    def handle(msg: Any) -> None:
        handled.append(msg.data)

    return handled, handle


async def test_the_newest_message_of_a_key_replaces_the_waiting_one_in_its_place() -> None:
    handled, handle = recorder()
    backlog = Backlog(handle)
    backlog.put("a", Message("s.a", b"a1"))
    backlog.put("b", Message("s.b", b"b1"))
    backlog.put("a", Message("s.a", b"a2"))
    assert len(backlog) == 2
    task = asyncio.create_task(backlog.run())
    try:
        for _ in range(10):
            await asyncio.sleep(0)
        assert handled == [b"a2", b"b1"]
        assert len(backlog) == 0
    finally:
        task.cancel()


async def test_take_handles_a_keys_waiting_message_at_once_and_only_once() -> None:
    handled, handle = recorder()
    backlog = Backlog(handle)
    backlog.put("a", Message("s.a", b"a1"))
    backlog.take("a")
    backlog.take("a")
    backlog.take("missing")
    assert handled == [b"a1"]
    assert len(backlog) == 0


async def test_run_gives_the_event_loop_a_turn_between_slices() -> None:
    order: list[str] = []
    backlog = Backlog(lambda msg: order.append("handled"), slice_seconds=0)

    async def other() -> None:
        for _ in range(3):
            order.append("other")
            await asyncio.sleep(0)

    for i in range(3):
        backlog.put(str(i), Message("s", b""))
    task = asyncio.create_task(backlog.run())
    try:
        await asyncio.gather(other(), asyncio.sleep(0.01))
    finally:
        task.cancel()
    # The other task ran between the first and the last message: it did not wait for all three.
    handled = [i for i, what in enumerate(order) if what == "handled"]
    assert len(handled) == 3
    assert "other" in order[handled[0] : handled[-1]], order


async def test_a_failing_message_does_not_stop_the_ones_after_it() -> None:
    handled: list[bytes] = []

    def handle(msg: Any) -> None:
        if msg.data == b"bad":
            raise ValueError("bad")
        handled.append(msg.data)

    backlog = Backlog(handle)
    backlog.put("a", Message("s.a", b"bad"))
    backlog.put("b", Message("s.b", b"good"))
    task = asyncio.create_task(backlog.run())
    try:
        for _ in range(10):
            await asyncio.sleep(0)
    finally:
        task.cancel()
    assert handled == [b"good"]
