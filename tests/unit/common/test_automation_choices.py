"""What an automation (a built-in service user) may choose about the execution it starts, and nobody else."""

from __future__ import annotations

import pytest
from bson import ObjectId

from contracts.service_users import AUTO_REDEPLOY_USER_ID
from contracts.subjects import CAUSE_HEADER, UPDATE_ID_HEADER
from services.common.bus import RequestContext
from services.common.caller import Caller
from services.common.errors import BadRequest
from services.common.runs import chosen_by_automation
from services.executor.redeploy_on_build import redeploy_update_id

CHOSEN = "0123456789abcdef01234567"


def context(user_id: str, headers: dict[str, str]) -> RequestContext:
    return RequestContext(
        caller=Caller(user_id=user_id, username="x"), headers=headers, request_name="Deploy"
    )


def test_a_service_user_chooses_the_update_id_and_its_cause() -> None:
    update_id, logs = chosen_by_automation(
        context(AUTO_REDEPLOY_USER_ID, {UPDATE_ID_HEADER: CHOSEN, CAUSE_HEADER: "build 'api' finished 1.0.2"})
    )
    assert update_id == CHOSEN
    assert [(log.stage, log.stdout, log.success) for log in logs] == [
        ("Cause", "build 'api' finished 1.0.2", True)
    ]


def test_a_user_cannot_choose_either() -> None:
    update_id, logs = chosen_by_automation(
        context(str(ObjectId()), {UPDATE_ID_HEADER: CHOSEN, CAUSE_HEADER: "trust me"})
    )
    assert update_id != CHOSEN and ObjectId.is_valid(update_id) and logs == []


def test_without_headers_or_context_the_id_is_fresh() -> None:
    first, _ = chosen_by_automation(context(AUTO_REDEPLOY_USER_ID, {}))
    second, logs = chosen_by_automation(None)
    assert first != second and ObjectId.is_valid(first) and ObjectId.is_valid(second) and logs == []


def test_a_malformed_chosen_id_is_refused() -> None:
    with pytest.raises(BadRequest, match="not an ObjectId"):
        chosen_by_automation(context(AUTO_REDEPLOY_USER_ID, {UPDATE_ID_HEADER: "../etc"}))


def test_a_redeploy_has_the_same_update_id_on_every_delivery() -> None:
    first = redeploy_update_id("event-1", "dep-a")
    assert first == redeploy_update_id("event-1", "dep-a") and ObjectId.is_valid(first)
    assert len({first, redeploy_update_id("event-2", "dep-a"), redeploy_update_id("event-1", "dep-b")}) == 3
