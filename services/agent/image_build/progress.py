"""Publishing a build's output lines while it runs: lines are collected as the process prints them and sent
in batches (`BuildProgress`) to the request's progress subject every `FLUSH_SECONDS`, redacted first. The last
batch is sent before the build's answer, so a listener has every line before the answer arrives."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Final

from contracts.api.agent.build import BuildProgress
from services.agent.redact import Redactor
from services.common.tasks import cancel_and_wait

log = logging.getLogger(__name__)

FLUSH_SECONDS: Final = 0.25
"""How often collected lines are published."""
MAX_BATCH_LINES: Final = 500
"""Lines per message at most (a message must fit NATS's payload limit)."""
MAX_LINE_CHARS: Final = 4000
"""Characters of one line kept in a progress message (the Log keeps the whole line)."""

Publish = Callable[[str, bytes], Awaitable[None]]


class Progress:
    """The output of one build, published in batches to `subject` (nothing is published when it is empty)."""

    def __init__(self, publish: Publish, subject: str, build_key: str, redactor: Redactor) -> None:
        self._publish = publish
        self._subject = subject
        self._key = build_key
        self._redactor = redactor
        self._pending: list[tuple[str, str]] = []
        self._seq = 0

    def sink(self, stage: str) -> Callable[[str], bool]:
        """A `keep_line` for `run_process`: collects each line for publishing and keeps it in the Log."""

        def keep(line: str) -> bool:
            if self._subject:
                self._pending.append((stage, line[:MAX_LINE_CHARS]))
            return True

        return keep

    async def flush(self) -> None:
        """Publish what was collected, one message per stage run of lines."""
        while self._pending:
            stage = self._pending[0][0]
            batch: list[str] = []
            while self._pending and self._pending[0][0] == stage and len(batch) < MAX_BATCH_LINES:
                batch.append(self._redactor.text(self._pending.pop(0)[1]))
            message = BuildProgress(build_key=self._key, stage=stage, seq=self._seq, lines=batch)
            self._seq += 1
            try:
                await self._publish(self._subject, message.model_dump_json().encode())
            except Exception as err:  # progress is best effort; the answer carries the full Logs
                log.warning("cannot publish build progress of %s: %s", self._key, err)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Progress]:
        """Publish every `FLUSH_SECONDS` while the block runs, and what is left when it ends."""
        if not self._subject:
            yield self
            return

        async def loop() -> None:
            while True:
                await asyncio.sleep(FLUSH_SECONDS)
                await self.flush()

        task = asyncio.create_task(loop())
        try:
            yield self
        finally:
            await cancel_and_wait(task)
            await self.flush()
