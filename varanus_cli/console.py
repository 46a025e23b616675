"""The terminal the CLI talks to: output on stdout, messages and the progress line on stderr, prompts."""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass, field
from typing import TextIO

SPINNER = "|/-\\"
"""Frames of the progress spinner (ASCII, so any terminal shows it)."""


@dataclass
class Console:
    """Where output goes; the progress line is drawn only when stderr is a terminal."""

    out: TextIO = field(default_factory=lambda: sys.stdout)
    err: TextIO = field(default_factory=lambda: sys.stderr)
    stdin: TextIO = field(default_factory=lambda: sys.stdin)
    _status: str = ""
    _frame: int = 0

    @property
    def stdin_is_tty(self) -> bool:
        """Whether a person can answer a prompt (stdin is a terminal)."""
        return self.stdin.isatty()

    @property
    def shows_progress(self) -> bool:
        """Whether the progress line is drawn (stderr is a terminal; never into files or pipes)."""
        return self.err.isatty()

    def print(self, text: str = "") -> None:
        """Write a line on stdout (clearing the progress line first so they do not mix)."""
        self.print_lines([text])

    def print_lines(self, lines: list[str]) -> None:
        """Write lines on stdout, the progress line cleared before and drawn again after."""
        self._clear()
        self.out.write("".join(line + "\n" for line in lines))
        self.out.flush()
        self._draw()

    def message(self, text: str) -> None:
        """Write a line on stderr (notes, warnings, errors)."""
        self._clear()
        self.err.write(text + "\n")
        self.err.flush()
        self._draw()

    def ask(self, question: str) -> str:
        """Print a question on stderr and read one line of answer from stdin ('' at end of input)."""
        self.err.write(question)
        self.err.flush()
        return self.stdin.readline().strip()

    def progress(self, text: str) -> None:
        """Show (or refresh) the one-line progress display: spinner and text."""
        if not self.shows_progress:
            return
        self._status = text
        self._frame = (self._frame + 1) % len(SPINNER)
        self._clear()
        self._draw()

    def end_progress(self) -> None:
        """Remove the progress line for good."""
        self._clear()
        self._status = ""

    def _clear(self) -> None:
        if self._status and self.shows_progress:
            self.err.write("\r\x1b[K")
            self.err.flush()

    def _draw(self) -> None:
        if self._status and self.shows_progress:
            # A line wider than the terminal wraps, and `\r` would then clear only its last part.
            width = shutil.get_terminal_size().columns - 1
            self.err.write(f"{SPINNER[self._frame]} {self._status}"[:width])
            self.err.flush()


def elapsed_text(seconds: float) -> str:
    """`4.2s`, `3m07s` or `1h02m`."""
    if seconds < 60:
        return f"{seconds:.1f}s"
    if seconds < 3600:
        return f"{int(seconds // 60)}m{int(seconds % 60):02d}s"
    return f"{int(seconds // 3600)}h{int(seconds % 3600 // 60):02d}m"
