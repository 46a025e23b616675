"""Keeping the cyclic garbage collector's full passes short in a process that holds millions of objects.

CPython's collector walks every tracked object of the oldest generation on a full pass, and starts one whenever
the objects that survived younger passes reach a quarter of those in it. The executor holds the statuses of
every server (about 230 objects per server of 20 containers): while 10,000 servers' first statuses came in, the
full passes came every 0.4-1 s and grew to 0.3-1 s each, 30 % of the executor's time, each stalling the event
loop (and the NATS read loop with it).

Every service process does the same once it is built (`settle`): what it built to serve (modules, models, the
app) lives as long as the process, and full passes over it only stall the event loop.

`freeze_after_slow_collections` moves every object alive out of the collector's sight (`gc.freeze`) right after
a full pass that took longer than `SLOW_SECONDS`: so no object is walked by more than one slow pass. Right after
a full pass nothing unreachable is left, so no garbage is frozen. Frozen objects are still freed by reference
counting when they die; what would leak is a frozen object that later becomes part of an unreachable reference
cycle (the statuses hold no cycles). A process that stays small never freezes anything.
"""

from __future__ import annotations

import gc
import time
from typing import Any, Final

SLOW_SECONDS: Final = 0.05
"""A full pass longer than this is followed by a freeze (about 200,000 objects on the development machine)."""


class _Freezer:
    """The `gc.callbacks` entry: times each full pass and freezes after a slow one."""

    def __init__(self, slow_seconds: float) -> None:
        self.slow_seconds = slow_seconds
        self.freezes = 0
        """How many times it froze (for tests and diagnostics)."""
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if info.get("generation") != 2:
            return
        if phase == "start":
            self._started = time.perf_counter()
        elif time.perf_counter() - self._started > self.slow_seconds:
            # The pass just ended: everything still tracked is reachable, so freezing keeps no garbage.
            gc.freeze()
            self.freezes += 1


def freeze_after_slow_collections(slow_seconds: float = SLOW_SECONDS) -> _Freezer:
    """Install (once per process: services sharing one process share it; a later call sets the threshold) the
    freeze after slow full passes, and answer it."""
    freezer = next((cb for cb in gc.callbacks if isinstance(cb, _Freezer)), None)
    if freezer is None:
        freezer = _Freezer(slow_seconds)
        gc.callbacks.append(freezer)
    freezer.slow_seconds = slow_seconds
    return freezer


def settle() -> _Freezer:
    """Once a service process has built what it keeps for its whole life (modules, contract models, the app,
    its routes and schemas): collect, freeze what is alive, and freeze again after any later slow full pass.

    A service process holds about a million such objects; without this every full pass walked them all, and
    under `bench/load.py` the gateway's took 130-450 ms each (nothing collected), stalling every request in
    flight. Garbage is collected first, so none is frozen."""
    gc.collect()
    gc.freeze()
    return freeze_after_slow_collections()


def uninstall() -> None:
    """Remove the freeze after slow full passes (what is frozen stays frozen)."""
    gc.callbacks[:] = [cb for cb in gc.callbacks if not isinstance(cb, _Freezer)]
