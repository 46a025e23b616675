"""Pure logic of the outbox and the consumers: stored entries, update merging, decoding, settling messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest

from contracts.entities.common import ResourceTarget, ResourceTargetVariant
from contracts.events.base import Event
from contracts.events.execution import DeploymentStateChanged
from contracts.events.resource import ResourceChange, ResourceChanged
from services.common import consumer as consumer_module
from services.common.consumer import Consumer, deadletter_subject, decode_event, handled_id
from services.common.outbox import OUTBOX_FIELD, PENDING_COUNT, entry, with_event, with_pending
from services.executor.forget_deleted import forget


def test_an_entry_keeps_what_the_relay_publishes() -> None:
    event = ResourceChanged(change=ResourceChange.Created, name="web")
    stored = entry(event)
    assert stored["id"] == event.id and stored["subject"] == "komodo.event.resource.ResourceChanged"
    assert ResourceChanged.model_validate_json(stored["data"]) == event


def test_with_event_adds_to_the_update_without_changing_it() -> None:
    update = {"$set": {"name": "web"}, "$inc": {"_rev": 1}}
    first = with_event(update, ResourceChanged(change=ResourceChange.Renamed, name="web"))
    both = with_event(first, ResourceChanged(change=ResourceChange.Updated, name="web"))
    assert update == {"$set": {"name": "web"}, "$inc": {"_rev": 1}}
    assert first["$inc"] == {"_rev": 1, PENDING_COUNT: 1} and both["$inc"][PENDING_COUNT] == 2
    keys = [k for k in both["$set"] if k.startswith(f"{OUTBOX_FIELD}.")]
    assert len(keys) == 2 and both["$set"]["name"] == "web"
    assert with_event({}, ResourceChanged(change=ResourceChange.Created))["$inc"] == {PENDING_COUNT: 1}


def test_with_pending_counts_the_events_of_an_inserted_document() -> None:
    events = [ResourceChanged(change=ResourceChange.Created, name=n) for n in ("a", "b")]
    doc = with_pending({"_id": 1}, *events)
    assert doc[PENDING_COUNT] == 2 and {e["id"] for e in doc[OUTBOX_FIELD].values()} == {e.id for e in events}


def test_decode_event_by_subject() -> None:
    event = DeploymentStateChanged(previous="running", current="exited")
    decoded = decode_event(event.SUBJECT, event.model_dump_json().encode())
    assert isinstance(decoded, DeploymentStateChanged) and decoded == event
    with pytest.raises(ValueError, match="no event is published on 'komodo\\.event\\.nope\\.Nope'"):
        decode_event("komodo.event.nope.Nope", b"{}")
    with pytest.raises(ValueError, match="malformed DeploymentStateChanged"):
        decode_event(event.SUBJECT, b'{"previous": 1}')
    with pytest.raises(ValueError, match="malformed ResourceChanged"):
        decode_event(ResourceChanged.SUBJECT, b"not json")


def test_names() -> None:
    assert handled_id("executor-forget-deleted", "e1") == "executor-forget-deleted:e1"
    assert deadletter_subject("executor-forget-deleted") == "komodo.deadletter.executor-forget-deleted"


@dataclass
class FakeCollection:
    docs: dict[str, dict[str, Any]] = field(default_factory=dict)

    async def find_one(self, query: dict[str, Any], projection: Any = None) -> dict[str, Any] | None:
        return self.docs.get(query["_id"])

    async def insert_one(self, doc: dict[str, Any]) -> None:
        self.docs[doc["_id"]] = doc


@dataclass
class FakeMessage:
    subject: str
    data: bytes
    deliveries: int = 1
    settled: list[str] = field(default_factory=list)

    @property
    def metadata(self) -> Any:
        return SimpleNamespace(num_delivered=self.deliveries, sequence=SimpleNamespace(stream=7))

    async def ack(self) -> None:
        self.settled.append("ack")

    async def nak(self, delay: float | None = None) -> None:
        self.settled.append("nak")

    async def term(self) -> None:
        self.settled.append("term")


def make_consumer(handler: Any) -> tuple[Consumer, FakeCollection, list[str]]:
    marks = FakeCollection()
    dead: list[str] = []
    consumer = Consumer("c", ResourceChanged.SUBJECT, handler, {"HandledEvent": marks})  # type: ignore[arg-type]

    async def deadletter(raw: Any, reason: str) -> None:
        dead.append(reason)
        await raw.term()

    consumer._deadletter = deadletter  # type: ignore[method-assign]
    return consumer, marks, dead


async def test_an_event_runs_once_then_its_redelivery_is_acked_without_running() -> None:
    runs: list[str] = []

    async def handler(event: Event) -> None:
        runs.append(event.id)

    consumer, marks, _ = make_consumer(handler)
    event = ResourceChanged(change=ResourceChange.Deleted, name="x")
    first = FakeMessage(event.SUBJECT, event.model_dump_json().encode())
    again = FakeMessage(event.SUBJECT, event.model_dump_json().encode(), deliveries=2)
    await consumer.process(SimpleNamespace(raw_message=first))  # type: ignore[arg-type]
    await consumer.process(SimpleNamespace(raw_message=again))  # type: ignore[arg-type]
    assert runs == [event.id] and first.settled == ["ack"] and again.settled == ["ack"]
    assert handled_id("c", event.id) in marks.docs and consumer.skipped == 1


async def test_a_failing_event_is_retried_then_dead_lettered_and_poison_at_once() -> None:
    async def handler(event: Event) -> None:
        raise RuntimeError("boom")

    consumer, marks, dead = make_consumer(handler)
    event = ResourceChanged(change=ResourceChange.Deleted, name="x")
    body = event.model_dump_json().encode()
    early = FakeMessage(event.SUBJECT, body, deliveries=1)
    last = FakeMessage(event.SUBJECT, body, deliveries=consumer_module.MAX_DELIVER)
    poison = FakeMessage(event.SUBJECT, b"\x00garbage")
    for msg in (early, last, poison):
        await consumer.process(SimpleNamespace(raw_message=msg))  # type: ignore[arg-type]
    assert early.settled == ["nak"] and last.settled == ["term"] and poison.settled == ["term"]
    assert "handler failed 5 times: RuntimeError: boom" in dead[0] and "malformed" in dead[1]
    assert not marks.docs


class Untouchable:
    def __getitem__(self, name: str) -> Any:
        raise AssertionError(f"{name} must not be touched")


async def test_forget_ignores_what_is_not_a_deletion_of_a_kept_kind() -> None:
    target = ResourceTarget(type=ResourceTargetVariant.Deployment, id="d1")
    for event in (
        ResourceChanged(change=ResourceChange.Updated, resource=target),
        ResourceChanged(change=ResourceChange.Deleted),
        ResourceChanged(
            change=ResourceChange.Deleted, resource=ResourceTarget(type=ResourceTargetVariant.Build)
        ),
        DeploymentStateChanged(previous="a", current="b", resource=target),
    ):
        assert await forget(Untouchable(), event) == 0  # type: ignore[arg-type]


class DeletingDatabase:
    def __init__(self) -> None:
        self.deleted: list[tuple[str, dict[str, Any]]] = []

    def __getitem__(self, name: str) -> Any:
        async def delete_many(query: dict[str, Any]) -> Any:
            self.deleted.append((name, query))
            return SimpleNamespace(deleted_count=1)

        return SimpleNamespace(delete_many=delete_many)


async def test_forget_drops_the_latest_run_of_a_deleted_action() -> None:
    db = DeletingDatabase()
    target = ResourceTarget(type=ResourceTargetVariant.Action, id="a1")
    assert await forget(db, ResourceChanged(change=ResourceChange.Deleted, resource=target)) == 1  # type: ignore[arg-type]
    assert db.deleted == [("ActionLastRun", {"_id": "a1"})]
