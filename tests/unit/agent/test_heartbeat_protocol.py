"""What an agent publishes each heartbeat: the full status when its lists changed, every `full_every_seconds`
and when asked; a small beat with only the changed container stats otherwise."""

from __future__ import annotations

import json
from typing import Any

import pytest

from contracts.entities.agent import AgentContainer, AgentStatus, DockerLists, PollStatusResponse
from contracts.entities.docker import ContainerStats
from contracts.entities.system import SystemStats
from services.agent.context import AgentContext
from services.agent.heartbeat import Heartbeat, status_digest
from services.agent.settings import FULL_EVERY_VARIABLE, AgentConfig, AgentConfigError, full_every_seconds
from services.common.settings import Settings


def status(ts: int, names: tuple[str, ...], cpu: str = "1%", line: str = "Up 1 second") -> AgentStatus:
    poll = PollStatusResponse(
        system_stats=SystemStats(cpu_perc=float(ts)),
        docker=DockerLists(
            containers=[
                AgentContainer(name=n, status=line, stats=ContainerStats(name=n, cpu_perc=cpu)) for n in names
            ]
        ),
    )
    return AgentStatus(server_id="s1", ts=ts, interval_ms=1000, status=poll, digest=status_digest(poll))


async def sent_by(
    full_every: float, statuses: list[AgentStatus], resend_after: int = -1
) -> list[tuple[str, Any]]:
    sent: list[tuple[str, Any]] = []

    async def publish(subject: str, payload: bytes) -> None:
        sent.append((subject.rsplit(".", 1)[1], json.loads(payload)))

    config = AgentConfig(
        settings=Settings(monitoring_interval="1-sec"), server_id="s1", full_every_seconds=full_every
    )
    ctx = AgentContext.build(config)
    try:
        beat = Heartbeat(ctx, publish)
        for index, one in enumerate(statuses):
            await beat.send(one)
            if index == resend_after:
                await beat.send_again()
                await beat.send_again()  # asked twice within a second: sent once
    finally:
        await ctx.close()
    return sent


async def test_full_on_change_beats_otherwise_with_only_changed_container_stats() -> None:
    statuses = [
        status(1, ("web", "db")),
        status(2, ("web", "db")),
        status(3, ("web", "db"), cpu="9%"),
        status(4, ("web", "db"), cpu="9%", line="Up 2 seconds"),
        status(5, ("web",), cpu="9%"),
    ]
    sent = await sent_by(60.0, statuses, resend_after=1)
    assert [kind for kind, _ in sent] == ["status", "beat", "status", "beat", "beat", "status"]
    resent = sent[2][1]
    # The latest status taken (the second, sent as a beat), in full and stamped anew.
    assert resent["ts"] > 2 and resent["status"]["system_stats"]["cpu_perc"] == 2.0
    assert sent[1][1]["system_stats"]["cpu_perc"] == 2.0 and sent[1][1]["container_stats"] == {}
    assert set(sent[3][1]["container_stats"]) == {"web", "db"}  # the stats changed
    assert sent[3][1]["container_status"] == {}
    assert sent[4][1]["container_stats"] == {}  # not again
    assert sent[4][1]["container_status"] == {"web": "Up 2 seconds", "db": "Up 2 seconds"}  # aged: a beat
    assert sent[3][1]["digest"] == sent[0][1]["digest"] != sent[5][1]["digest"]


async def test_every_heartbeat_is_full_with_full_every_zero() -> None:
    sent = await sent_by(0.0, [status(1, ("web",)), status(2, ("web",))])
    assert [kind for kind, _ in sent] == ["status", "status"]


def test_full_every_setting() -> None:
    assert full_every_seconds("") == 60.0 and full_every_seconds("0") == 0.0
    with pytest.raises(AgentConfigError, match=FULL_EVERY_VARIABLE):
        full_every_seconds("-1")
