"""Errors a handler raises to answer with Komodo's error envelope and a status."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import ValidationError


class ServiceError(Exception):
    """An error that becomes `{"error": message, "trace": [...]}` with `status` on the bus and over HTTP."""

    status = 500

    def __init__(self, message: str, trace: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.trace = list(trace)


class TooManyRequests(ServiceError):
    """Too many failed attempts from one client (429)."""

    status = 429


class BadRequest(ServiceError):
    """The request is malformed or names something invalid (400)."""

    status = 400


class Unauthorized(ServiceError):
    """Credentials are missing or invalid (401)."""

    status = 401


class Forbidden(ServiceError):
    """The caller may not do this (403)."""

    status = 403


class NotFound(ServiceError):
    """The named resource does not exist (404)."""

    status = 404


class Conflict(ServiceError):
    """The change clashes with what exists, e.g. a duplicate name (409)."""

    status = 409


class Busy(ServiceError):
    """The resource is busy with another execution (409)."""

    status = 409


class Unavailable(ServiceError):
    """A service or agent needed for the answer did not respond (503)."""

    status = 503


def field_errors(err: ValidationError) -> list[tuple[str, str]]:
    """Each (dotted field location, reason) of a pydantic error, without the input (it may be long or secret)."""
    return [
        (".".join(str(part) for part in item["loc"]), str(item["msg"]))
        for item in err.errors(include_url=False, include_input=False)
    ]


def describe_validation_error(err: ValidationError, what: str) -> BadRequest:
    """Turn a pydantic error into a 400 whose message names each bad field and why."""
    problems = [f"{location or '(body)'}: {message}" for location, message in field_errors(err)]
    head = f"invalid {what}: " + "; ".join(problems[:3])
    if len(problems) > 3:
        head += f" (and {len(problems) - 3} more)"
    return BadRequest(head, problems)


def plain_reason(err: ValueError) -> str:
    """What a refused value did wrong, in one line: for a pydantic error each field and its reason (without the
    input, which may be long or secret, and without pydantic's "Value error, " prefix); else the message."""
    if not isinstance(err, ValidationError):
        return str(err)
    reasons: list[str] = []
    for location, raw in field_errors(err):
        message = raw.removeprefix("Value error, ")
        reason = f"{location}: {message}" if location else message
        if reason not in reasons:
            reasons.append(reason)
    return "; ".join(reasons)
