"""ContainerIndex pages are what sorting every visible container by name (a stable sort) and slicing gives."""

from __future__ import annotations

import random

import pytest

from contracts.entities.agent import (
    AgentContainer,
    AgentStatus,
    ContainerStateChange,
    DockerLists,
    PollStatusResponse,
)
from contracts.entities.docker import ContainerStateStatusEnum as S
from services.executor.servers import container_index
from services.executor.servers.cache import ServerCache
from services.executor.servers.container_index import ContainerIndex, page_by_name

STATES = [S.Running, S.Exited, S.Paused]


def _beat(server_id: str, names: list[str], ts: int, rng: random.Random) -> AgentStatus:
    containers = [AgentContainer(name=n, state=rng.choice(STATES)) for n in names]
    return AgentStatus(
        server_id=server_id,
        ts=ts,
        interval_ms=5000,
        status=PollStatusResponse(docker=DockerLists(containers=containers)),
    )


def _expected(
    cache: ServerCache,
    names: dict[str, str],
    readable: set[str] | None,
    terms: list[str],
    states: list[S],
    skip: int,
    size: int,
    desc: bool,
) -> list[tuple[str, str, str]]:
    """The handler's former algorithm: servers by name, their containers in order, filter, stable sort, slice."""
    every = [
        (c, sid, sname)
        for sid, sname in sorted(names.items(), key=lambda p: p[1])
        if (readable is None or sid in readable) and sid in cache.seen
        for c in cache.containers(sid)
    ]
    lowered = [t.lower() for t in terms]
    kept = [
        t
        for t in every
        if (not states or t[0].state in states) and all(x in t[0].name.lower() for x in lowered)
    ]
    kept.sort(key=lambda t: (t[0].name,), reverse=desc)
    page = kept if size == 0 else kept[skip : skip + size]
    return [(c.name, sid, sname) for c, sid, sname in page]


@pytest.mark.parametrize("rebuild_above", [100, 3])
@pytest.mark.parametrize("seed", range(6))
def test_pages_match_a_stable_sort_of_everything(
    seed: int, rebuild_above: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Edited entry by entry (few servers changed) or sorted anew (many), the pages are the same."""
    monkeypatch.setattr(container_index, "REBUILD_ABOVE", rebuild_above)
    rng = random.Random(seed)
    cache = ServerCache()
    index = ContainerIndex(cache)
    pool = [f"svc-{i}" for i in range(8)] + ["Web", "web", "db"]
    names = {f"{i:024x}": f"host-{rng.randrange(100):02d}-{i}" for i in range(30)}
    revision = 0
    ts = 1
    for round_ in range(4):
        # Heartbeats that keep, change or reorder container names; a rename; a server that goes away.
        for sid in rng.sample(sorted(names), 12 if round_ else 30):
            ts += 1
            cache.record(_beat(sid, rng.sample(pool, rng.randrange(0, 6)), ts, rng))
        if round_ == 2:
            sid = sorted(names)[3]
            names = {**names, sid: "aaa-renamed"}
            names.pop(sorted(names)[5])
            revision += 1
        if round_ == 3:
            first = next(iter(cache.seen))
            held = cache.containers(first)
            if held:
                cache.apply(
                    ContainerStateChange(
                        server_id=first, name=held[0].name, action="destroy", state=S.Empty, ts=ts
                    )
                )
        index.sync(names, revision)
        readable_choices: list[set[str] | None] = [None, set(rng.sample(sorted(names), 10))]
        for readable in readable_choices:
            for terms, states in (([], []), (["WEB"], []), (["svc", "1"], []), ([], [S.Exited])):
                for desc in (False, True):
                    for skip, size in ((0, 5), (7, 5), (0, 0), (1000, 5)):
                        got = page_by_name(index, readable, terms, states, skip, size, desc)
                        assert [(c.name, sid, sname) for c, sid, sname in got] == _expected(
                            cache, names, readable, terms, states, skip, size, desc
                        )
