"""The failures the CLI reports, each with the exit status it ends the command with."""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILURE = 1
"""The API refused the call, the server could not be reached, or an execution failed."""
EXIT_USAGE = 2
"""The command line or the configuration is wrong; nothing was sent."""
EXIT_INTERRUPTED = 130
"""Stopped by Ctrl-C (128 + SIGINT, as shells report it)."""


class CliError(Exception):
    """A failure shown as `error: <message>` (then any detail lines) on stderr."""

    exit_code = EXIT_FAILURE

    def __init__(self, message: str, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []


class UsageError(CliError):
    """The command line or the configuration is wrong (exit 2)."""

    exit_code = EXIT_USAGE


class ApiError(CliError):
    """The server answered with an error, or could not be reached (exit 1)."""

    def __init__(self, message: str, details: list[str] | None = None, status: int | None = None) -> None:
        super().__init__(message, details)
        self.status = status
        """The HTTP status of the answer; None when no answer came."""


class Interrupted(CliError):
    """The user pressed Ctrl-C (exit 130)."""

    exit_code = EXIT_INTERRUPTED
