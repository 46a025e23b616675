"""ListAlerts query conversion, heartbeat parsing, derived ids, and the alert events in the AsyncAPI document."""

from __future__ import annotations

import json

import pytest
from bson import ObjectId

from contracts.catalog import load_all
from contracts.entities.agent import AgentBeat
from contracts.entities.system import SingleDiskUsage, SystemStats
from services.alerter.servers import parse_heartbeat
from services.alerter.store import alert_query, derived_id, open_key
from services.common.errors import BadRequest
from services.gateway.asyncapi import asyncapi_document

OID = "65f0c0ffee0000000000abcd"


def test_alert_query_converts_object_ids_and_refuses_code_and_hidden_fields() -> None:
    assert alert_query(None) == {}
    assert alert_query({"_id": {"$oid": OID}}) == {"_id": ObjectId(OID)}
    assert alert_query({"id": OID}) == {"_id": ObjectId(OID)}
    query = {"$or": [{"level": "CRITICAL"}, {"data.type": {"$in": ["ServerCpu", "ServerDisk"]}}]}
    assert alert_query(query) == query
    for bad in ({"$where": "1"}, {"$and": [{"$expr": {"$eq": [1, 1]}}]}, {"open_key": "x"}, {"_outbox_n": 1}):
        with pytest.raises(BadRequest):
            alert_query(bad)


def body(server_id: str, **stats: object) -> bytes:
    return json.dumps(
        {
            "server_id": server_id,
            "ts": 5,
            "interval_ms": 1000,
            "status": {"periphery_info": {"version": "1.2.3"}, "system_stats": stats or None},
        }
    ).encode()


def test_parse_heartbeat_reads_the_numbers_and_checks_the_subject() -> None:
    raw = body(
        "s1",
        cpu_perc=12.5,
        mem_used_gb=1,
        mem_total_gb=4,
        disks=[{"mount": "/", "used_gb": 3, "total_gb": 9}],
    )
    parsed = parse_heartbeat("komodo.agent.s1.status", raw)
    assert parsed is not None
    server_id, interval, sample = parsed
    assert (server_id, interval, sample.cpu, sample.disks, sample.version) == (
        "s1",
        1000,
        12.5,
        (("/", 3.0, 9.0),),
        "1.2.3",
    )
    without_stats = parse_heartbeat("komodo.agent.s1.status", body("s1"))
    assert without_stats is not None and without_stats[2].cpu is None
    # An agent speaks only for the server of its own subject; garbage is ignored.
    assert parse_heartbeat("komodo.agent.s2.status", raw) is None
    assert parse_heartbeat("komodo.agent.s1.status", b"{not json") is None
    assert parse_heartbeat("komodo.agent.s1.status", b'{"server_id": "s1"}') is None


def test_derived_ids_and_open_keys() -> None:
    assert derived_id("c", "e1") == derived_id("c", "e1") != derived_id("c", "e2")
    assert ObjectId.is_valid(derived_id("c", "e1"))
    assert open_key("s1", "ServerDisk", "/data") == "s1|ServerDisk|/data"


def test_the_asyncapi_document_lists_the_alert_events() -> None:
    load_all()
    channels = asyncapi_document("t", "1", "nats://127.0.0.1:4222")["channels"]
    assert {"event.alert.AlertOpened", "event.alert.AlertRaised", "event.alert.AlertResolved"} <= set(
        channels
    )


def test_parse_heartbeat_reads_a_small_beat() -> None:
    beat = AgentBeat(
        server_id="s1",
        ts=5,
        interval_ms=5000,
        digest="d",
        version="1.2.3",
        system_stats=SystemStats(
            cpu_perc=70.0,
            mem_used_gb=2,
            mem_total_gb=8,
            disks=[SingleDiskUsage(mount="/", used_gb=1, total_gb=2)],
        ),
    )
    raw = beat.model_dump_json(by_alias=True).encode()
    parsed = parse_heartbeat("komodo.agent.s1.beat", raw)
    assert parsed is not None
    server_id, interval, sample = parsed
    assert (server_id, interval, sample.ts, sample.cpu, sample.mem_used_gb, sample.disks, sample.version) == (
        "s1",
        5000,
        5,
        70.0,
        2.0,
        (("/", 1.0, 2.0),),
        "1.2.3",
    )
    assert parse_heartbeat("komodo.agent.s2.beat", raw) is None
