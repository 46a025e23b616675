"""One script process: its output read as it comes (and shown in batches), a time limit, and a kill on cancel."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from services.common.tasks import cancel_and_wait

Shown = Callable[[str], Awaitable[None]]
"""Shows a batch of new output lines while the script runs (best effort)."""

SHOW_EVERY_SECONDS = 0.5
"""How often new output is shown in the Update while the script runs."""
EXIT_POLL_SECONDS = 0.05
"""How often the script's exit is looked for."""
MAX_OUTPUT_CHARS = 1_000_000
"""Output kept per stream; beyond it the start is kept and the rest dropped with a note."""


@dataclass
class ScriptProcess:
    """A running script; `kill` ends it (and every process it started) at once."""

    argv: Sequence[str]
    """The command line."""
    cwd: Path
    """The run's folder."""
    env: dict[str, str]
    """The whole environment of the script (nothing else is inherited)."""
    stdout: list[str] = field(default_factory=list)
    """Output lines so far."""
    stderr: list[str] = field(default_factory=list)
    """Error output lines so far."""
    killed_because: str = ""
    """Why it was killed ("" when it ended by itself)."""
    _proc: asyncio.subprocess.Process | None = None
    _unshown: list[str] = field(default_factory=list)

    def kill(self, reason: str) -> None:
        """Kill the script's process group (SIGKILL) and say why."""
        if not self.killed_because:
            self.killed_because = reason
        # The group, not only the script: what it left running (even after it exited) holds its output open.
        if self._proc is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self._proc.pid, signal.SIGKILL)

    async def _read(self, stream: asyncio.StreamReader, into: list[str], prefix: str) -> None:
        size = 0
        while raw := await stream.readline():
            line = raw.decode("utf-8", "replace").rstrip("\n")
            size += len(line) + 1
            if size > MAX_OUTPUT_CHARS:
                if size - len(line) - 1 <= MAX_OUTPUT_CHARS:
                    into.append(f"[output past {MAX_OUTPUT_CHARS} characters dropped]")
                continue
            into.append(line)
            self._unshown.append(prefix + line)

    async def _show(self, shown: Shown) -> None:
        while True:
            await asyncio.sleep(SHOW_EVERY_SECONDS)
            await self._flush(shown)

    async def _flush(self, shown: Shown) -> None:
        if self._unshown:
            batch, self._unshown = self._unshown, []
            with contextlib.suppress(Exception):
                await shown("\n".join(batch))

    async def _exited(self) -> None:
        # Not `Process.wait()`: it also waits for the pipes to close, which a child left running keeps open.
        assert self._proc is not None
        while self._proc.returncode is None:  # noqa: ASYNC110 (asyncio has no event for the exit alone)
            await asyncio.sleep(EXIT_POLL_SECONDS)

    async def run(self, limit_seconds: float, shown: Shown) -> int:
        """Run to the end, or kill it at the limit; answers the exit code (negative: killed by that signal)."""
        self._proc = await asyncio.create_subprocess_exec(
            *self.argv,
            cwd=self.cwd,
            env=self.env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,  # its own process group, so a kill reaches what it started too
        )
        assert self._proc.stdout is not None and self._proc.stderr is not None
        readers = asyncio.gather(
            self._read(self._proc.stdout, self.stdout, ""), self._read(self._proc.stderr, self.stderr, "! ")
        )
        showing = asyncio.create_task(self._show(shown))
        try:
            try:
                await asyncio.wait_for(self._exited(), timeout=limit_seconds)
            except TimeoutError:
                self.kill(f"killed: it ran longer than its time limit of {limit_seconds:g} s")
            # A child the script left running may hold the pipes open: bounded wait for the rest of the output.
            try:
                await asyncio.wait_for(asyncio.shield(readers), timeout=5)
            except TimeoutError:
                self.kill(
                    self.killed_because or "killed: it left processes running that held its output open"
                )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(readers, timeout=2)
        except BaseException:
            self.kill("killed: the executor stopped")
            readers.cancel()
            raise
        finally:
            await cancel_and_wait(showing)
        return await self._proc.wait()
