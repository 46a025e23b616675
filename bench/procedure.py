"""Time of a procedure of one stage of 100 parallel `Sleep {duration_ms: 0}` executions, from POST /execute
`RunProcedure` until its Update is Complete, beside the same procedure with one such step (the fixed cost of a
run: the Update, the run document, the stage event through the outbox and JetStream, the close).

Starts nats-server and nx-27017 on free ports, the registry, the executor, the gateway and an agent as their own
processes (`bench/_system.py`); each timed run is what a Komodo client does: POST /execute RunProcedure with an API
key, then POST /read GetUpdate every 20 ms until Complete. The overhead per step is (time of 100 steps - time of
1 step) / 99.

    .venv/bin/python bench/procedure.py [-n 20]
"""

from __future__ import annotations

import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._servers import percentile
from bench._system import Client, cli, running_system

STEPS = 100
"""Parallel Sleep executions in the big procedure."""


async def create(client: Client, name: str, steps: int) -> None:
    """A procedure of one stage of `steps` Sleep 0 executions."""
    execution = {"execution": {"type": "Sleep", "params": {"duration_ms": 0}}, "enabled": True}
    stage = {"name": "sleeps", "enabled": True, "executions": [execution] * steps}
    await client.ask("write", "CreateProcedure", {"name": name, "config": {"stages": [stage]}})


async def run_once(client: Client, name: str) -> float:
    """Seconds from RunProcedure until its Update is Complete (and successful)."""
    started = time.perf_counter()
    await client.execute("RunProcedure", {"procedure": name})
    return time.perf_counter() - started


async def run(count: int) -> None:
    tag = uuid.uuid4().hex[:8]
    big: list[float] = []
    one: list[float] = []
    async with running_system(f"procedure_{tag}") as client:
        await create(client, "bench-100", STEPS)
        await create(client, "bench-1", 1)
        await run_once(client, "bench-100")  # untimed: warms the consumers and connections
        await run_once(client, "bench-1")
        for _ in range(count):
            big.append(await run_once(client, "bench-100"))
            one.append(await run_once(client, "bench-1"))
    b50, b90 = percentile(big, 50) * 1e3, percentile(big, 90) * 1e3
    o50, o90 = percentile(one, 50) * 1e3, percentile(one, 90) * 1e3
    print(f"runs per case: {count} (sequential; the client polls GetUpdate every 20 ms)")
    print(f"{'case':<52}{'p50 ms':>10}{'p90 ms':>10}")
    print(f"{f'procedure of {STEPS} parallel Sleep 0 steps':<52}{b50:>10.0f}{b90:>10.0f}")
    print(f"{'procedure of 1 Sleep 0 step':<52}{o50:>10.0f}{o90:>10.0f}")
    print(
        f"{'overhead per step ((100 - 1) / 99)':<52}{(b50 - o50) / (STEPS - 1):>10.2f}{(b90 - o90) / (STEPS - 1):>10.2f}"
    )


if __name__ == "__main__":
    cli(__doc__, run)
