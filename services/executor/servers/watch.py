"""Following the agents: heartbeats into the cache (every replica) and the stats history (stored once), container
changes into the cache, and ServerStateChanged events when a server goes Ok or NotOk.

A full status (`komodo.agent.*.status`) is validated into an `AgentStatus`, not in the subscription's callback but
by a task of its own that gives the event loop a turn every 0.2 ms (see `AgentWatch._heartbeat`); a small beat
(`komodo.agent.*.beat`) is only `json.loads`ed: its stats are typed when read. A beat whose digest is not that of
the held status (this replica started after the agent's last full status, or missed one, e.g. while cut off)
makes the replica ask that agent for its full status (`komodo.agent.<server_id>.resend`), so a new or reconnected
replica holds the whole fleet within one interval."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import deque
from typing import Any

from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from pydantic import ValidationError

from contracts.api.internal.fleet import FleetStats
from contracts.entities.agent import AgentStatus, ContainerStateChange
from contracts.entities.common import ResourceTarget, ResourceTargetVariant
from contracts.entities.server import ServerState
from contracts.events.execution import ServerStateChanged
from contracts.subjects import agent_resend_subject
from services.common.bus import Bus
from services.common.gc_freeze import freeze_after_slow_collections
from services.common.tasks import cancel_and_wait
from services.executor.servers.backlog import Backlog
from services.executor.servers.cache import ServerCache
from services.executor.servers.stats import StatsStore

log = logging.getLogger(__name__)

CHECK_SECONDS = 0.5
"""How often server states are checked for missed heartbeats."""
PRUNE_SECONDS = 3600.0
"""How often old stats are pruned."""
SAMPLES = 20_000
"""Heartbeat timings kept for FleetStats."""
PENDING_MESSAGES = 200_000
"""Heartbeats a replica may hold unprocessed before NATS drops them (a slow consumer)."""
ANNOUNCE_BATCH = 500
"""State announcements stored in one outbox write (thousands of servers go Ok at once when a replica starts:
one write each was 17 % of the executor's time, and as much of nx-27017's, in that burst)."""
FLUSH_SECONDS = 1.0
"""How often the queued stats records are written."""
ASK_AGAIN_SECONDS = 2.0
"""Shortest time between two asks to one agent for its full status (its answer may be on the way)."""


def _percentile(values: list[float], pct: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def _beat_body(msg: Msg) -> dict[str, Any] | None:
    """A beat's JSON when it has the shape `ServerCache.beat` reads and speaks for its subject's server."""
    try:
        body = json.loads(msg.data)
    except ValueError:
        return None
    if not isinstance(body, dict) or msg.subject.split(".")[2] != body.get("server_id"):
        return None
    ok = (
        isinstance(body.get("ts"), int)
        and isinstance(body.get("interval_ms", 0), int)
        and isinstance(body.get("digest", ""), str)
        and isinstance(body.get("system_stats"), dict | None)
        and isinstance(body.get("container_stats", {}), dict)
        and isinstance(body.get("container_status", {}), dict)
    )
    return body if ok else None


class AgentWatch:
    """The executor's subscriptions to the agents, and its periodic checks."""

    def __init__(self, bus: Bus, cache: ServerCache, stats: StatsStore) -> None:
        self.bus = bus
        self.cache = cache
        self.stats = stats
        self.announced: dict[str, ServerState] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._handling: deque[float] = deque(maxlen=SAMPLES)
        self._lag: deque[float] = deque(maxlen=SAMPLES)
        self._heartbeats = 0
        self._subscription: Subscription | None = None
        self._beats: Subscription | None = None
        self._statuses = Backlog(self._type_status)
        """Full statuses taken off the connection and not typed yet (see `_heartbeat`)."""
        self._due_stats = Backlog(self._record_now)
        """Beats whose system stats are due for the history, not read yet."""
        self._asked: dict[str, float] = {}
        self._to_announce: set[str] = set()
        self._announce_wake = asyncio.Event()
        self.asked = 0
        """Full statuses this replica asked agents for."""

    async def start(self) -> None:
        """Subscribe to heartbeats and container changes, and start the state checks and stats pruning."""
        nc = self.bus.nc
        self._subscription = await nc.subscribe(
            "komodo.agent.*.status", cb=self._heartbeat, pending_msgs_limit=PENDING_MESSAGES
        )
        self._beats = await nc.subscribe(
            "komodo.agent.*.beat", cb=self._beat, pending_msgs_limit=PENDING_MESSAGES
        )
        # One replica (the queue group) stores each beat's stats. A full status's stats are taken where it is
        # typed, by every replica (stored once: a record's _id is its server and time): a queue group on
        # `.status` too made every full status cross this connection twice, 44 MB/s in a burst of 2,000 a second.
        await nc.subscribe("komodo.agent.*.beat", queue="varanus-executor-stats", cb=self._record)
        await nc.subscribe("komodo.agent.*.container", cb=self._container)
        self._tasks = [
            asyncio.create_task(self._statuses.run()),
            asyncio.create_task(self._due_stats.run()),
            asyncio.create_task(self._check_states()),
            asyncio.create_task(self._prune()),
            asyncio.create_task(self._flush()),
            asyncio.create_task(self._announcer()),
        ]
        # The held statuses are millions of objects at 10,000 servers: full collector passes over them stalled
        # the event loop for up to a second each (services/common/gc_freeze.py).
        freeze_after_slow_collections()

    async def stop(self) -> None:
        """Stop the periodic work (subscriptions end with the connection)."""
        await cancel_and_wait(*self._tasks)

    @staticmethod
    def _parse(msg: Msg) -> AgentStatus | None:
        try:
            status = AgentStatus.model_validate_json(msg.data)
        except ValidationError:
            log.warning("ignored a malformed heartbeat on %s", msg.subject)
            return None
        # An agent speaks only for the server of its own subject.
        if msg.subject.split(".")[2] != status.server_id:
            log.warning("ignored a heartbeat for %s sent on %s", status.server_id, msg.subject)
            return None
        return status

    async def _heartbeat(self, msg: Msg) -> None:
        """File a full status for typing (`_type_status`), newest per server.

        Typing is not done here: nats-py calls this for every message it has queued without giving the event
        loop a turn, and reads the socket only between turns, so typing here made the executor read no faster
        than it typed, and a burst (10,000 servers' first statuses) piled up in nats-server until it cut the
        whole connection as a slow consumer (services/executor/servers/backlog.py)."""
        self._statuses.put(msg.subject.split(".")[2], msg)

    def _type_status(self, msg: Msg) -> None:
        """Type and keep a full status."""
        started = time.perf_counter()
        status = self._parse(msg)
        if status is not None:
            self.cache.record(status)
            stats = status.status.system_stats
            if stats is not None and self.stats.due(status.server_id):
                self.stats.take(status.server_id, status.ts, stats.model_dump(mode="json", by_alias=True))
            if self.announced.get(status.server_id) != ServerState.Ok:
                self._announce_soon(status.server_id)
            self._count(started, status.ts)

    async def _beat(self, msg: Msg) -> None:
        started = time.perf_counter()
        body = _beat_body(msg)
        if body is None:
            log.warning("ignored a malformed beat on %s", msg.subject)
            return
        server_id = body["server_id"]
        # A beat comes after the full status it follows: that status is typed first, so neither is lost (the
        # cache keeps the newest by timestamp) and the agent is not asked for a status that is already here.
        self._statuses.take(server_id)
        if not self.cache.beat(server_id, body):
            await self._ask_full(server_id)
        if server_id in self.cache.seen and self.announced.get(server_id) != ServerState.Ok:
            self._announce_soon(server_id)
        self._count(started, int(body["ts"]))

    def _announce_soon(self, server_id: str) -> None:
        """Queue a state announcement: its outbox write must not hold up the heartbeats behind it (thousands of
        servers go Ok at once when a replica starts)."""
        self._to_announce.add(server_id)
        self._announce_wake.set()

    async def _announcer(self) -> None:
        while True:
            await self._announce_wake.wait()
            self._announce_wake.clear()
            while self._to_announce:
                batch = [self._to_announce.pop() for _ in range(min(ANNOUNCE_BATCH, len(self._to_announce)))]
                await self._announce(batch)

    def _count(self, started: float, ts: int) -> None:
        self._heartbeats += 1
        self._handling.append((time.perf_counter() - started) * 1e6)
        self._lag.append(time.time() * 1000 - ts)

    async def _ask_full(self, server_id: str) -> None:
        """Ask one agent to publish its full status again (not more often than every 2 s)."""
        now = time.monotonic()
        if now - self._asked.get(server_id, float("-inf")) < ASK_AGAIN_SECONDS:
            return
        self._asked[server_id] = now
        self.asked += 1
        try:
            await self.bus.nc.publish(agent_resend_subject(server_id), b"")
        except Exception:
            log.exception("could not ask %s for its full status", server_id)

    def fleet_stats(self, reset: bool) -> FleetStats:
        """How this replica keeps up with heartbeats (since the last reset)."""
        handling, lag = list(self._handling), list(self._lag)
        pending = len(self._statuses) + sum(
            s.pending_msgs for s in (self._subscription, self._beats) if s is not None
        )
        stats = FleetStats(
            heartbeats=self._heartbeats,
            servers=len(self.cache.seen),
            handling_p50_us=_percentile(handling, 50),
            handling_p99_us=_percentile(handling, 99),
            lag_p50_ms=_percentile(lag, 50),
            lag_p99_ms=_percentile(lag, 99),
            pending=pending,
        )
        if reset:
            self._handling.clear()
            self._lag.clear()
            self._heartbeats = 0
        return stats

    async def _record(self, msg: Msg) -> None:
        """File a beat whose system stats are due for the stats history (read later, from plain JSON, like the
        full statuses: see `_heartbeat`)."""
        server_id = msg.subject.split(".")[2]
        if self.stats.due(server_id):
            self._due_stats.put(server_id, msg)

    def _record_now(self, msg: Msg) -> None:
        """Queue the system stats of a beat for the stats history."""
        try:
            body = json.loads(msg.data)
            server_id = str(body["server_id"])
            ts = int(body["ts"])
            stats = body.get("system_stats")
        except (ValueError, KeyError, TypeError, AttributeError):
            return
        if msg.subject.split(".")[2] == server_id and isinstance(stats, dict):
            self.stats.take(server_id, ts, stats)

    async def _flush(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_SECONDS)
            try:
                await self.stats.flush()
            except Exception:
                log.exception("could not store the queued stats")

    async def _container(self, msg: Msg) -> None:
        try:
            change = ContainerStateChange.model_validate_json(msg.data)
        except ValidationError:
            log.warning("ignored a malformed container change on %s", msg.subject)
            return
        if msg.subject.split(".")[2] == change.server_id:
            self._statuses.take(change.server_id)  # the change applies to the status sent before it
            self.cache.apply(change)

    async def _announce(self, server_ids: list[str]) -> None:
        """Record a ServerStateChanged for each of `server_ids` whose state differs from the one announced, all
        in one outbox write. If the write fails, those servers count as not announced, so the next state check
        (every `CHECK_SECONDS`) queues them again; the events that were stored go out, once (ids are stable)."""
        events: list[ServerStateChanged] = []
        announcing: dict[str, ServerState] = {}
        for server_id in server_ids:
            current = self.cache.state(server_id)
            previous = self.announced.get(server_id, ServerState.NotOk)
            self.announced[server_id] = current
            if current == previous:
                continue
            announcing[server_id] = previous
            status = self.cache.status(server_id)
            # Every replica sees the same last heartbeat, so they record the same event id and the outbox keeps one.
            events.append(
                ServerStateChanged(
                    id=f"server-state-{server_id}-{current.value}-{status.ts if status else 0}",
                    previous=previous.value,
                    current=current.value,
                    resource=ResourceTarget(type=ResourceTargetVariant.Server, id=server_id),
                )
            )
        if not events:
            return
        self.cache.on_server_change()
        try:
            await self.bus.record(*events)
        except Exception:
            log.exception("could not record the state changes of %d servers (trying again)", len(events))
            for server_id, previous in announcing.items():
                self.announced[server_id] = previous

    async def _check_states(self) -> None:
        while True:
            await asyncio.sleep(CHECK_SECONDS)
            now = time.monotonic()
            for server_id in list(self.cache.seen):
                if self.cache.state(server_id, now=now) != self.announced.get(server_id):
                    self._announce_soon(server_id)

    async def _prune(self) -> None:
        while True:
            try:
                removed = await self.stats.prune()
                if removed:
                    log.info("pruned %d old stats records", removed)
            except Exception:
                log.exception("could not prune old stats")
            await asyncio.sleep(PRUNE_SECONDS)
