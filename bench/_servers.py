"""Throwaway nats-server and nx-27017 on free ports for a benchmark run (the same way `./run up` starts them)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from services.common import embedded


@contextmanager
def servers() -> Iterator[tuple[str, str]]:
    """Yield (nats_url, mongo_url); use BENCH_NATS_URL / BENCH_MONGO_URL instead when both are set."""
    if os.environ.get("BENCH_NATS_URL") and os.environ.get("BENCH_MONGO_URL"):
        yield os.environ["BENCH_NATS_URL"], os.environ["BENCH_MONGO_URL"]
        return
    tmp = Path(tempfile.mkdtemp(prefix="varanus-bench-"))
    started = []
    try:
        nats_port, mongo_port = embedded.free_port(), embedded.free_port()
        started.append(embedded.start_nats(nats_port, tmp / "js", tmp / "nats.log"))
        started.append(embedded.start_mongo(mongo_port, tmp / "mongo", tmp / "mongo.log", tmp / "mongo.pid"))
        yield f"nats://127.0.0.1:{nats_port}", f"mongodb://127.0.0.1:{mongo_port}"
    finally:
        for proc in reversed(started):
            embedded.stop(proc)
        shutil.rmtree(tmp, ignore_errors=True)


def percentile(samples: list[float], pct: float) -> float:
    """The pct-th percentile (nearest rank) of samples."""
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]
