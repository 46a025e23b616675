"""The monitor's writes: an open that cannot be stored is retried by the next bad heartbeat, not lost."""

from __future__ import annotations

import types
from typing import Any

import pytest

from services.alerter import servers
from services.alerter.lifecycle import Rules, Sample
from services.alerter.servers import ServerMonitor
from services.common.settings import Settings


class FlakyStore:
    """Refuses every write while `down`; counts the opens it stored."""

    def __init__(self) -> None:
        self.down = True
        self.opened: list[str] = []

    async def open(self, alert: Any, key: str) -> bool:
        if self.down:
            raise ConnectionError("mongo is away")
        self.opened.append(key)
        return True


async def test_an_open_that_could_not_be_written_opens_at_the_next_bad_heartbeat(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(servers, "WRITE_BACKOFF_SECONDS", 0.0)
    store = FlakyStore()
    monitor = ServerMonitor(types.SimpleNamespace(settings=Settings()), store)  # type: ignore[arg-type]
    monitor.rules["s1"] = Rules(cpu=(50.0, 80.0))
    for i in range(2):
        monitor.observe("s1", 1000, Sample(ts=1000 + i, cpu=60.0))
    server_id, change = monitor.writes.get_nowait()
    await monitor._write(server_id, change)
    assert store.opened == []
    store.down = False
    monitor.observe("s1", 1000, Sample(ts=1003, cpu=60.0))
    server_id, change = monitor.writes.get_nowait()
    assert change.kind == "open"
    await monitor._write(server_id, change)
    assert store.opened == ["s1|ServerCpu|"]
