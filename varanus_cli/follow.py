"""Waiting for an Update to complete, printing each stage log as it appears."""

from __future__ import annotations

import time
from typing import Any

from varanus_cli.client import KomodoClient
from varanus_cli.console import Console, elapsed_text
from varanus_cli.errors import CliError, Interrupted
from varanus_cli.render import log_lines, object_id, scalar

POLL_INTERVAL = 0.5
"""Seconds between two GetUpdate calls."""
SPIN_INTERVAL = 0.1
"""Seconds between two frames of the progress spinner."""


def succeeded(update: dict[str, Any]) -> bool:
    """Whether an Update is complete and successful."""
    return update.get("status") == "Complete" and update.get("success") is True


def summary_line(update: dict[str, Any], took: float | None = None) -> str:
    """One line on how an Update ended: success, or the stages that failed."""
    operation = update.get("operation", "update")
    start, end = int(update.get("start_ts") or 0), update.get("end_ts")
    if took is None and isinstance(end, int) and start and end >= start:
        took = (end - start) / 1000
    after = f" in {elapsed_text(took)}" if took is not None else ""
    if update.get("status") != "Complete":
        return f"{operation} is still {update.get('status', 'running')}{after}"
    if update.get("success") is True:
        return f"{operation} succeeded{after}"
    failed = [str(log.get("stage", "")) for log in update.get("logs") or [] if not log.get("success", True)]
    why = f": stage {', '.join(repr(stage) for stage in failed)} failed" if failed else ""
    return f"{operation} FAILED{after}{why}"


class Follower:
    """Polls GetUpdate until an Update is Complete, streaming new logs and drawing a progress line."""

    def __init__(
        self,
        client: KomodoClient,
        console: Console,
        *,
        stream: bool = True,
        timeout: float = 3600.0,
        interval: float = POLL_INTERVAL,
    ) -> None:
        self.client = client
        self.console = console
        self.stream = stream
        """Print logs as they appear (off for --json, where only the final Update is printed)."""
        self.timeout = timeout
        self.interval = interval

    def follow(self, update: dict[str, Any], shown: int = 0) -> dict[str, Any]:
        """Wait until the Update completes and return it; `shown` logs are taken as already printed.

        Raises CliError (exit 1) when it is still running after the timeout.
        """
        update_id = object_id(update)
        if update_id is None:
            raise CliError("the answer is not an Update with an id; nothing to follow")
        label = f"{update.get('operation', 'update')} on {scalar(update.get('target')) or 'the system'}"
        try:
            return self._poll(update, update_id, label, shown)
        except KeyboardInterrupt:
            self.console.end_progress()
            # The execution runs on the server regardless; say how to pick it up again.
            raise Interrupted(
                f"stopped following {label}; it goes on",
                [f"follow it with: varanus update {update_id} --follow"],
            ) from None

    def _poll(self, update: dict[str, Any], update_id: str, label: str, shown: int) -> dict[str, Any]:
        """The polling loop of `follow`: print new logs, stop when Complete or past the timeout."""
        started = time.monotonic()
        current = update
        while True:
            logs = current.get("logs") or []
            if self.stream:
                for log in logs[shown:]:
                    self.console.print_lines(log_lines(log))
            shown = max(shown, len(logs))
            if current.get("status") == "Complete":
                self.console.end_progress()
                return current
            waited = time.monotonic() - started
            if waited > self.timeout:
                self.console.end_progress()
                raise CliError(
                    f"{label} is still {current.get('status')} after {elapsed_text(self.timeout)}",
                    [f"follow it with: varanus update {update_id} --follow"],
                )
            last = f", last: {logs[-1].get('stage')}" if logs else ""
            self._spin(label, f"{len(logs)} stage(s) done{last}", started)
            current = self.client.request("read", "GetUpdate", {"id": update_id})

    def _spin(self, label: str, detail: str, started: float) -> None:
        """Wait one poll interval, refreshing the progress line (and its elapsed time) meanwhile."""
        deadline = time.monotonic() + self.interval
        while True:
            now = time.monotonic()
            self.console.progress(f"{label}  {elapsed_text(now - started)}  {detail}")
            if now >= deadline:
                return
            time.sleep(min(SPIN_INTERVAL, deadline - now))
