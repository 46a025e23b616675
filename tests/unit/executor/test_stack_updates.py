"""Stack image update results: what is stored, answered, redeployed, and which credentials go where."""

from __future__ import annotations

from contracts.api.agent.container import RegistryAuth
from contracts.entities.stack import Stack, StackListItemInfo, StackQuerySpecifics, StackServiceWithUpdate
from services.executor.updates.stack_check import answer_services, auth_for, redeploy_services
from services.executor.updates.store import ServiceUpdate, StackUpdateRecord
from services.registry.resources import matches_specifics

RECORD = StackUpdateRecord(
    stack_id="s1",
    services=(
        ServiceUpdate("app", "reg.local:5000/a:latest", True, "sha256:new", "sha256:img-a"),
        ServiceUpdate("db", "reg.local:5000/db:16", False, "sha256:same", "sha256:img-db"),
        ServiceUpdate("tool", "", False),
    ),
    checked_ts=5,
)


def test_a_record_survives_the_database_round_trip() -> None:
    assert StackUpdateRecord.from_document(RECORD.to_document()) == RECORD
    assert [s.service for s in RECORD.updated()] == ["app"]


def test_an_update_shows_only_while_the_checked_image_runs() -> None:
    app = RECORD.services[0]
    assert app.shows_update("sha256:img-a") and app.shows_update(None)
    assert not app.shows_update("sha256:redeployed-since")
    assert not RECORD.services[1].shows_update("sha256:img-db")


def test_the_answer_pins_the_new_digest_of_updated_services() -> None:
    assert answer_services(RECORD) == [
        StackServiceWithUpdate(
            service="app",
            image="reg.local:5000/a:latest",
            latest_image="reg.local:5000/a:latest@sha256:new",
            update_available=True,
        ),
        StackServiceWithUpdate(service="db", image="reg.local:5000/db:16", update_available=False),
        StackServiceWithUpdate(service="tool", image="", update_available=False),
    ]


def test_auto_update_redeploys_the_updated_services_unless_all_are_asked_for() -> None:
    stack = Stack.model_validate({"name": "web", "config": {"auto_update": True}})
    assert redeploy_services(stack, RECORD) == ["app"]
    everything = Stack.model_validate(
        {"name": "web", "config": {"auto_update": True, "auto_update_all_services": True}}
    )
    assert redeploy_services(everything, RECORD) == []


def test_the_stack_account_goes_only_to_its_own_registry() -> None:
    auth = RegistryAuth(server="reg.local:5000", username="ci", password="pw")
    assert auth_for("reg.local:5000/a:latest", auth) == auth
    assert auth_for("nginx:latest", auth) is None
    assert auth_for("ghcr.io/x/y:1", auth) is None
    assert auth_for("reg.local:5000/a:latest", None) is None


def test_the_update_available_filter_looks_at_a_stacks_services() -> None:
    wanted = StackQuerySpecifics(update_available=True)
    with_update = StackListItemInfo.model_validate(
        {"services": [{"service": "a", "image": "x", "update_available": True}]}
    )
    without = StackListItemInfo.model_validate({"services": [{"service": "a", "image": "x"}]})
    assert matches_specifics(with_update, wanted)
    assert not matches_specifics(without, wanted)
    assert matches_specifics(without, StackQuerySpecifics(update_available=False))
