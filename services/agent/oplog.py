"""Operations as Komodo's `Log`: what was done (a docker-CLI-like command), what it printed, and when."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from aiodocker.exceptions import DockerError

from contracts.entities.update import Log


def now_ms() -> int:
    """The current time in unix milliseconds."""
    return int(time.time() * 1000)


Output = str | tuple[str, str] | None
"""What an operation printed: its stdout, or (stdout, stderr)."""


async def docker_step(stage: str, command: str, action: Callable[[], Awaitable[Output]]) -> Log:
    """Run one Docker operation and describe it as a Log.

    `stdout` (and `stderr`) are what `action` returns. A Docker error makes a failed Log with Docker's message in
    `stderr`; `Unavailable` (Docker not reachable) and `NotFound` are not caught: the request answers them.
    """
    start = now_ms()
    try:
        output = await action()
    except DockerError as err:
        return Log(
            stage=stage, command=command, stderr=err.message, success=False, start_ts=start, end_ts=now_ms()
        )
    stdout, stderr = output if isinstance(output, tuple) else (output or "", "")
    return Log(
        stage=stage,
        command=command,
        stdout=stdout,
        stderr=stderr,
        success=True,
        start_ts=start,
        end_ts=now_ms(),
    )


def prune_output(title: str, deleted: list[str], reclaimed: int | None) -> str:
    """What `docker ... prune -f` prints: the deleted objects, then the space reclaimed."""
    lines = [f"{title}:", *deleted, ""] if deleted else []
    if reclaimed is not None:
        lines.append(f"Total reclaimed space: {human_size(reclaimed, 4)}")
    return "\n".join(lines)


def human_size(size: float, precision: int = 3) -> str:
    """Bytes in decimal units as docker's CLI writes them (`go-units.HumanSizeWithPrecision`): `1.23MB`."""
    units = ("B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB")
    index = 0
    while size >= 1000.0 and index < len(units) - 1:
        size /= 1000.0
        index += 1
    return f"{size:.{precision}g}{units[index]}"


def bytes_size(size: float) -> str:
    """Bytes in binary units as docker's CLI writes them (`go-units.BytesSize`): `20MiB`, `1.953GiB`."""
    units = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB")
    index = 0
    while size >= 1024.0 and index < len(units) - 1:
        size /= 1024.0
        index += 1
    return f"{size:.4g}{units[index]}"
