"""ServerCache with the two heartbeats: a full status replaces what is held, a beat (plain JSON) refreshes
liveness and stats, which are typed when the status is read."""

from __future__ import annotations

import json
from typing import Any

from contracts.entities.agent import (
    AgentBeat,
    AgentContainer,
    AgentStatus,
    ContainerStateChange,
    DockerLists,
    PollStatusResponse,
)
from contracts.entities.docker import ContainerStateStatusEnum, ContainerStats
from contracts.entities.server import ServerState
from contracts.entities.system import SystemStats
from services.agent.heartbeat import status_digest
from services.executor.servers.cache import ServerCache


def full(ts: int, names: tuple[str, ...] = ("web", "db"), cpu: float = 1.0) -> AgentStatus:
    poll = PollStatusResponse(
        system_stats=SystemStats(cpu_perc=cpu, mem_total_gb=8.0),
        docker=DockerLists(
            containers=[
                AgentContainer(
                    name=name,
                    state=ContainerStateStatusEnum.Running,
                    stats=ContainerStats(name=name, cpu_perc="1%"),
                )
                for name in names
            ]
        ),
    )
    return AgentStatus(server_id="s1", ts=ts, interval_ms=1000, status=poll, digest=status_digest(poll))


def beat(status: AgentStatus, ts: int, **fields: Any) -> dict[str, Any]:
    one = AgentBeat(server_id="s1", ts=ts, interval_ms=1000, digest=status.digest, **fields)
    body: dict[str, Any] = json.loads(one.model_dump_json(by_alias=True))
    return body


def test_the_digest_leaves_the_stats_out_and_sees_the_lists() -> None:
    assert full(1, cpu=1.0).digest == full(2, cpu=99.0).digest
    assert full(1).digest != full(1, names=("web",)).digest


def test_a_beat_refreshes_liveness_and_its_stats_are_typed_when_read() -> None:
    cache = ServerCache()
    status = full(1000)
    cache.record(status, now=0.0)
    stats = {"web": ContainerStats(name="web", cpu_perc="55%")}
    body = beat(status, 2000, system_stats=SystemStats(cpu_perc=42.0), container_stats=stats)
    body["container_status"] = {"db": "Up 5 minutes"}
    assert cache.beat("s1", body, now=10.0)
    # Held as plain JSON until read.
    assert cache.seen["s1"].system_stats == {**SystemStats(cpu_perc=42.0).model_dump(mode="json")}
    assert cache.state("s1", now=12.0) == ServerState.Ok  # two intervals and the grace after the beat
    assert cache.state("s1", now=13.5) == ServerState.NotOk
    read = cache.status("s1")
    assert read is not None and read.ts == 2000
    assert read.status.system_stats is not None and read.status.system_stats.cpu_perc == 42.0
    by_name = {c.name: c.stats for c in cache.containers("s1")}
    assert by_name["web"] == ContainerStats(name="web", cpu_perc="55%")
    assert by_name["db"] == ContainerStats(name="db", cpu_perc="1%")
    assert [c.status for c in cache.containers("s1")] == [None, "Up 5 minutes"]
    assert cache.seen["s1"].system_stats is None  # applied once


def test_a_beat_for_other_lists_asks_for_the_full_status_and_an_older_full_is_ignored() -> None:
    cache = ServerCache()
    assert not cache.beat("s1", beat(full(1), 1), now=0.0)  # nothing held: ask for it
    cache.record(full(1000), now=0.0)
    changed = full(3000, names=("web", "db", "cache"))
    assert not cache.beat("s1", beat(changed, 3000), now=1.0)  # another digest: a full status was missed
    assert cache.state("s1", now=3.5) == ServerState.Ok  # yet the beat counted for liveness
    cache.record(full(2000), now=2.0)  # older than the beat: ignored
    assert [c.name for c in cache.containers("s1")] == ["web", "db"]
    cache.record(changed, now=3.0)
    assert [c.name for c in cache.containers("s1")] == ["web", "db", "cache"]
    assert cache.beat("s1", beat(changed, 4000), now=4.0)


def test_a_malformed_beat_stat_is_dropped_on_read() -> None:
    cache = ServerCache()
    status = full(1000)
    cache.record(status, now=0.0)
    body = beat(status, 2000)
    body["system_stats"] = {"cpu_perc": "not a number"}
    cache.beat("s1", body, now=1.0)
    read = cache.status("s1")
    assert read is not None and read.ts == 2000
    assert read.status.system_stats is not None and read.status.system_stats.cpu_perc == 1.0


def redeploy(with_rename: bool) -> list[tuple[str, str, str]]:
    """The container events of a redeploy of `web` (the previous one renamed aside, the new one created under
    its name, the previous stopped, the new started, the previous removed) applied to a held status; what the
    list holds then, as (name, id, state)."""
    cache = ServerCache()
    status = full(1, names=())
    status.status.docker.containers.append(
        AgentContainer(name="web", id="old", state=ContainerStateStatusEnum.Running)
    )
    cache.record(status)
    S = ContainerStateStatusEnum
    events = [
        ("rename", "web-previous", "old", S.Empty),
        ("create", "web", "new", S.Created),
        ("die", "web-previous", "old", S.Exited),
        ("start", "web", "new", S.Running),
        ("destroy", "web-previous", "old", S.Empty),
    ]
    for action, name, container_id, state in events:
        if action == "rename" and not with_rename:
            continue  # an agent from before renames were published
        cache.apply(
            ContainerStateChange(server_id="s1", ts=2, name=name, id=container_id, action=action, state=state)
        )
    return [(c.name, c.id or "", c.state.value) for c in cache.containers("s1")]


def test_a_redeploy_leaves_the_new_container_running_under_its_name() -> None:
    assert redeploy(with_rename=True) == [("web", "new", "running")]
    assert redeploy(with_rename=False) == [("web", "new", "running")]


def test_a_change_without_ids_is_matched_by_name() -> None:
    cache = ServerCache()
    cache.record(full(1))
    cache.apply(
        ContainerStateChange(
            server_id="s1", ts=2, name="web", action="die", state=ContainerStateStatusEnum.Exited
        )
    )
    assert [(c.name, c.state.value) for c in cache.containers("s1")] == [("web", "exited"), ("db", "running")]
