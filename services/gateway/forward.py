"""Turning an HTTP call into the bus request a bus client would send, and the bus answer into HTTP."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import nats.errors
from nats.aio.client import Client as NatsClient

from contracts.api.base import ErrorEnvelope, find_request
from contracts.subjects import KEPT_FOR_HEADER, KEPT_FROM_HEADER, STATUS_HEADER
from services.common.logging import redactor

PUBLIC_KINDS = ("read", "write", "execute")
"""The APIs reachable over HTTP (internal requests are not)."""

FORWARDED_HEADERS = ("authorization", "x-api-key", "x-api-secret")
"""Headers passed on to the bus as they came: the credentials. A client's own `X-Forwarded-For` or `X-Real-IP`
is never passed on; the gateway sets `X-Real-IP` to the client address it determined itself."""

CANONICAL = {"authorization": "Authorization", "x-api-key": "X-Api-Key", "x-api-secret": "X-Api-Secret"}

HEADER_ROOM = 1024
"""Bytes kept free in a bus message besides the body and the headers' own length (NATS's framing)."""


@dataclass(frozen=True)
class Answer:
    """An HTTP answer: status and JSON body bytes."""

    status: int
    body: bytes
    kept_from: str = ""
    """The registry's `KEPT_FROM_HEADER`: what the answer was made of, when it may be kept ("" when not)."""
    kept_for: float = 0.0
    """The registry's `KEPT_FOR_HEADER`: seconds it may be kept at most."""


def error(status: int, message: str, trace: list[str] | None = None) -> Answer:
    """An answer carrying Komodo's error envelope (secrets redacted)."""
    envelope = ErrorEnvelope(error=redactor.redact(message), trace=[redactor.redact(t) for t in trace or []])
    return Answer(status, envelope.model_dump_json().encode())


def bus_headers(headers: Mapping[str, str], client_address: str | None) -> dict[str, str]:
    """The headers the bus request carries: credentials as they came, and the client address the gateway saw
    (after `KOMODO_TRUSTED_PROXIES`; whatever the client claimed is dropped)."""
    out = {CANONICAL[name]: headers[name] for name in FORWARDED_HEADERS if name in headers}
    if client_address:
        out["X-Real-IP"] = client_address
    return out


def message_size(payload: bytes, headers: Mapping[str, str]) -> int:
    """About how many bytes NATS counts against its `max_payload` for this message (body and headers)."""
    return len(payload) + sum(len(k) + len(v) + 4 for k, v in headers.items()) + HEADER_ROOM


def too_large(limit: int, what: str = "request body") -> Answer:
    """The 413 of a body over `limit` bytes, naming the limit."""
    return error(413, f"{what} over the limit of {describe_size(limit)}")


def describe_size(size: int) -> str:
    """A byte count as people read it: `10 MiB (10485760 bytes)`."""
    for unit, factor in (("MiB", 1024 * 1024), ("KiB", 1024)):
        if size >= factor:
            return f"{size / factor:.4g} {unit} ({size} bytes)"
    return f"{size} bytes"


def parse_object(body: bytes, shape: str = "") -> dict[str, Any] | Answer:
    """A JSON object body (empty means `{}`), or a 400 answer saying what is wrong with it."""
    try:
        value = json.loads(body or b"{}")
    except json.JSONDecodeError as err:
        return error(400, f"malformed JSON body: {err.msg} at line {err.lineno} column {err.colno}")
    except UnicodeDecodeError as err:
        return error(400, f"malformed JSON body: not UTF-8 (byte {err.start})")
    if not isinstance(value, dict):
        return error(400, f"the body must be a JSON object {shape}".rstrip())
    return value


def split_envelope(body: bytes) -> tuple[str, bytes] | Answer:
    """Read `{"type": ..., "params": {...}}`: the request name and its params as JSON, or a 400 answer."""
    envelope = parse_object(body, '{"type": ..., "params": {...}}')
    if isinstance(envelope, Answer):
        return envelope
    name = envelope.get("type")
    if not isinstance(name, str) or not name:
        return error(400, 'missing field "type": the name of the request, e.g. "GetDeployment"')
    params: Any = envelope.get("params", {})
    if not isinstance(params, dict):
        return error(400, f'field "params" of {name} must be a JSON object')
    return name, json.dumps(params).encode()


async def forward(
    nc: NatsClient, kind: str, name: str, params: bytes, headers: Mapping[str, str], timeout: float
) -> Answer:
    """Send the request on the bus and map the reply: its `Komodo-Status` becomes the HTTP status."""
    request_cls = find_request(kind, name)
    if kind not in PUBLIC_KINDS or request_cls is None:
        return error(
            400,
            f"unknown {kind} request type {name!r}",
            [f"no request named {name!r} exists in the {kind} API"],
        )
    if message_size(params, headers) > nc.max_payload:
        # The body was within the HTTP limit but grew when re-encoded (or the headers are large): NATS would
        # refuse it, and a server-side refusal closes the gateway's connection.
        return too_large(nc.max_payload - HEADER_ROOM, f"{name} request with its headers")
    try:
        reply = await nc.request(request_cls.SUBJECT, params, timeout=timeout, headers=dict(headers))
    except nats.errors.MaxPayloadError:
        return too_large(nc.max_payload - HEADER_ROOM, f"{name} request with its headers")
    except nats.errors.NoRespondersError:
        return error(503, f"no service answers {name} right now", ["the service that owns it is not running"])
    except (TimeoutError, nats.errors.TimeoutError):
        return error(504, f"no answer to {name} within {timeout:g} s")
    headers = reply.headers or {}
    status = int(headers.get(STATUS_HEADER, "200"))
    kept_from = headers.get(KEPT_FROM_HEADER, "")
    if not kept_from:
        return Answer(status, reply.data)
    try:
        kept_for = float(headers.get(KEPT_FOR_HEADER, "0"))
    except ValueError:
        kept_for = 0.0
    return Answer(status, reply.data, kept_from, kept_for)
