"""Answers requests whose name no contract defines, so a typo gets a clear 400 instead of silence.

It listens on every request subject in its own queue group and stays quiet for known names (their owning
service answers them); it uses a plain nats-py subscription so that staying quiet sends nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nats.aio.msg import Msg

from contracts.api.base import find_request
from contracts.subjects import PREFIX, REQUEST_KINDS, STATUS_HEADER
from services.common.bus import encode_error
from services.common.errors import BadRequest

if TYPE_CHECKING:
    from services.registry.app import Registry

QUEUE = "varanus-unknown-requests"
"""Queue group of the catch-all (one replica answers each unknown request)."""


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


async def subscribe(registry: Registry) -> None:
    """Start answering unknown request names on `komodo.<kind>.*`."""

    async def on_message(msg: Msg) -> None:
        error = unknown_request_error(msg.subject)
        if error is not None and msg.reply:
            await registry.bus.nc.publish(
                msg.reply, encode_error(error), headers={STATUS_HEADER: str(error.status)}
            )

    for kind in REQUEST_KINDS:
        await registry.bus.nc.subscribe(f"{PREFIX}.{kind}.*", queue=QUEUE, cb=on_message)
