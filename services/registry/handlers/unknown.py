"""Answers requests that nothing else will: unknown names (400) and requests whose service is not running (503).

It listens on every request subject in its own queue group. For a known name it stays quiet when a live service
instance answers that subject (the presence bucket says so), and answers 503 at once otherwise, so a caller is
not left waiting for a timeout. Staying quiet sends nothing, so the owner's answer is the only one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nats.aio.msg import Msg

from contracts.api.base import find_request
from contracts.subjects import PREFIX, REQUEST_KINDS, STATUS_HEADER
from services.common.bus import encode_error
from services.common.errors import BadRequest, ServiceError, Unavailable
from services.common.presence import PresenceView

if TYPE_CHECKING:
    from services.registry.app import Registry

QUEUE = "varanus-unknown-requests"
"""Queue group of the catch-all (one replica answers each unknown request)."""


def unanswered_request_error(subject: str, view: PresenceView) -> ServiceError | None:
    """The error for a request nobody will answer (unknown, or its service not running), else None."""
    unknown = unknown_request_error(subject)
    if unknown is not None:
        return unknown
    kind, name = subject.split(".")[1:3] if subject.count(".") == 2 else ("", "")
    if kind and not view.answers(subject):
        return Unavailable(
            f"no service answers {name} right now", ["the service that owns it is not running"]
        )
    return None


def unknown_request_error(subject: str) -> BadRequest | None:
    """The error for a request subject whose request name is not defined, or None when it is known."""
    parts = subject.split(".")
    if len(parts) != 3 or parts[0] != PREFIX or parts[1] not in REQUEST_KINDS:
        return None
    kind, name = parts[1], parts[2]
    if find_request(kind, name) is not None:
        return None
    return BadRequest(
        f"unknown {kind} request type {name!r}", [f"no request named {name!r} exists in the {kind} API"]
    )


async def subscribe(registry: Registry, view: PresenceView) -> None:
    """Start answering unanswerable requests on `komodo.<kind>.*`."""

    async def on_message(msg: Msg) -> None:
        error = unanswered_request_error(msg.subject, view)
        if error is not None and msg.reply:
            await registry.bus.nc.publish(
                msg.reply, encode_error(error), headers={STATUS_HEADER: str(error.status)}
            )

    for kind in REQUEST_KINDS:
        await registry.bus.nc.subscribe(f"{PREFIX}.{kind}.*", queue=QUEUE, cb=on_message)
