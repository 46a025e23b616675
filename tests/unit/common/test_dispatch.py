"""The request layer turns every outcome into Komodo's answer: response JSON or the error envelope with a status."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar

from contracts.api.base import ReadRequest
from contracts.base import KomodoModel
from services.common.bus import RequestContext, dispatch
from services.common.caller import Caller, trust_all
from services.common.errors import NotFound, Unauthorized
from services.common.logging import redactor


class Thing(KomodoModel):
    """A test response."""

    name: str
    """Its name."""
    size: int = 0
    """Its size."""


class GetThingForDispatchTest(ReadRequest):
    """A test request."""

    RESPONSE: ClassVar[Any] = Thing

    thing: str
    """Which thing."""
    size: int = 0
    """Wanted size."""


async def echo(req: GetThingForDispatchTest, ctx: RequestContext) -> Thing:
    return Thing(name=req.thing, size=req.size)


async def test_answers_response_json() -> None:
    status, body = await dispatch(
        GetThingForDispatchTest, echo, b'{"thing": "a", "size": 3, "extra": 1}', {}, trust_all
    )
    assert status == 200
    assert json.loads(body) == {"name": "a", "size": 3}


async def test_malformed_json_is_400_naming_request() -> None:
    status, body = await dispatch(GetThingForDispatchTest, echo, b'{"thing": ', {}, trust_all)
    envelope = json.loads(body)
    assert status == 400
    assert envelope["error"].startswith("malformed JSON in GetThingForDispatchTest request")
    assert isinstance(envelope["trace"], list)


async def test_non_object_body_is_400() -> None:
    status, body = await dispatch(GetThingForDispatchTest, echo, b"[1, 2]", {}, trust_all)
    assert status == 400
    assert "must be a JSON object" in json.loads(body)["error"]


async def test_missing_and_wrong_fields_are_named() -> None:
    status, body = await dispatch(GetThingForDispatchTest, echo, b'{"size": "big"}', {}, trust_all)
    envelope = json.loads(body)
    assert status == 400
    assert "thing: Field required" in envelope["error"]
    assert any(t.startswith("size:") for t in envelope["trace"])


async def test_service_error_keeps_status() -> None:
    async def missing(req: GetThingForDispatchTest, ctx: RequestContext) -> Thing:
        raise NotFound(f"no thing named {req.thing!r}")

    status, body = await dispatch(GetThingForDispatchTest, missing, b'{"thing": "x"}', {}, trust_all)
    assert status == 404
    assert json.loads(body) == {"error": "no thing named 'x'", "trace": []}


async def test_crash_is_500_without_details_or_secrets() -> None:
    redactor.add("hunter2-secret-value")

    async def crash(req: GetThingForDispatchTest, ctx: RequestContext) -> Thing:
        raise RuntimeError("boom with hunter2-secret-value")

    status, body = await dispatch(GetThingForDispatchTest, crash, b'{"thing": "x"}', {}, trust_all)
    envelope = json.loads(body)
    assert status == 500
    assert "internal error while handling GetThingForDispatchTest" in envelope["error"]
    assert "hunter2" not in body.decode()
    assert "Traceback" not in body.decode()


async def test_authentication_failure_is_401() -> None:
    async def deny(headers: Mapping[str, str]) -> Caller:
        raise Unauthorized("invalid api key")

    status, body = await dispatch(GetThingForDispatchTest, echo, b'{"thing": "x"}', {"X-Api-Key": "k"}, deny)
    assert status == 401
    assert json.loads(body)["error"] == "invalid api key"


async def test_validation_error_does_not_echo_input() -> None:
    status, body = await dispatch(
        GetThingForDispatchTest, echo, b'{"thing": {"password": "pw-in-body-123"}}', {}, trust_all
    )
    assert status == 400
    assert "pw-in-body-123" not in body.decode()
