"""Server alerts from agent heartbeats: every replica hears every heartbeat (no queue group), evaluates it with
the pure `lifecycle` functions, and writes the changes through the `AlertStore`, whose unique open key and
compare-and-set writes make replicas agree on one alert per condition.

Server configs (thresholds, `send_*_alerts`, maintenance windows) are read from the registry every
`REFRESH_SECONDS`; a server that disappears from the registry has its open alerts resolved. At start the open
alerts in Mongo rebuild the in-memory conditions, so an alert opened before a restart is raised and resolved,
never opened again.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import TYPE_CHECKING, Any, Final

from bson import ObjectId
from nats.aio.msg import Msg

from contracts.api.read.server import ListFullServers
from contracts.entities.alert import Alert, AlertDataVariant
from contracts.entities.common import ResourceTarget, ResourceTargetVariant, timelength_seconds
from contracts.entities.server import Server
from services.alerter.lifecycle import Change, Policy, Rules, Sample, Track, evaluate, silence
from services.alerter.store import AlertStore, open_key
from services.common.tasks import cancel_and_wait
from services.common.version import VERSION

if TYPE_CHECKING:
    from services.alerter.app import Alerter

log = logging.getLogger(__name__)

REFRESH_SECONDS: Final = 10.0
"""How often server configs are read again from the registry."""
WRITE_ATTEMPTS: Final = 5
"""Tries of one change's write (Mongo away) before it is given up (an open is then retried by the next bad
heartbeat)."""
WRITE_BACKOFF_SECONDS = 0.5
"""The pause before the second try of a write; it grows by as much each try."""
CHECK_SECONDS: Final = 1.0
"""How often silent servers are looked for."""
SERVER_VARIANTS: Final = frozenset(
    {
        AlertDataVariant.ServerCpu,
        AlertDataVariant.ServerMem,
        AlertDataVariant.ServerDisk,
        AlertDataVariant.ServerUnreachable,
        AlertDataVariant.ServerVersionMismatch,
    }
)
"""The variants this module opens and resolves."""


def parse_heartbeat(subject: str, data: bytes) -> tuple[str, int, Sample] | None:
    """(server id, interval ms, Sample) of a heartbeat body, read without building the whole model (it carries
    every container): a full `AgentStatus` (`.status`) or a small `AgentBeat` (`.beat`, whose system stats and
    version are at its top level); None when it is malformed or speaks for another server than its subject's."""
    try:
        body = json.loads(data)
        server_id = str(body["server_id"])
        if "status" in body:
            status = body.get("status") or {}
            stats = status.get("system_stats")
            version = str((status.get("periphery_info") or {}).get("version") or "")
        else:
            stats = body.get("system_stats")
            version = str(body.get("version") or "")
        ts = int(body["ts"])
        interval = int(body.get("interval_ms") or 0)
        if stats:
            disks = tuple(
                (str(d.get("mount", "")), float(d.get("used_gb", 0.0)), float(d.get("total_gb", 0.0)))
                for d in stats.get("disks") or ()
            )
            sample = Sample(
                ts=ts,
                cpu=float(stats.get("cpu_perc", 0.0)),
                mem_used_gb=float(stats.get("mem_used_gb", 0.0)),
                mem_total_gb=float(stats.get("mem_total_gb", 0.0)),
                disks=disks,
                version=version,
            )
        else:
            sample = Sample(ts=ts, version=version)
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    parts = subject.split(".")
    if len(parts) < 3 or parts[2] != server_id:
        return None
    return server_id, interval, sample


class ServerMonitor:
    """Follows the heartbeats and server configs, and writes server alert changes in order."""

    def __init__(self, alerter: Alerter, store: AlertStore) -> None:
        self.alerter = alerter
        self.store = store
        settings = alerter.settings
        self.policy = Policy(
            open_after=settings.alert_open_after,
            margin=settings.alert_resolve_margin,
            core_version=VERSION,
            default_timezone=settings.timezone,
        )
        self.default_interval_ms = timelength_seconds(settings.monitoring_interval) * 1000
        self.tracks: dict[str, Track] = {}
        self.rules: dict[str, Rules] = {}
        self.loaded = False
        """Whether the server list was read from the registry at least once."""
        self.writes: asyncio.Queue[tuple[str, Change]] = asyncio.Queue()
        self.evaluated = 0
        """Heartbeats this replica evaluated."""
        self._tasks: list[asyncio.Task[None]] = []

    # --- start and stop --------------------------------------------------------------------------------

    async def start(self) -> None:
        """Rebuild conditions from the open alerts, then follow the heartbeats, the registry and silences."""
        await self.restore()
        await self.alerter.bus.nc.subscribe("komodo.agent.*.status", cb=self._heartbeat)
        # Agents send the small beat while their lists are unchanged: it carries all an alert looks at.
        await self.alerter.bus.nc.subscribe("komodo.agent.*.beat", cb=self._heartbeat)
        self._tasks = [
            asyncio.create_task(self._write_loop()),
            asyncio.create_task(self._refresh_loop()),
            asyncio.create_task(self._silence_loop()),
        ]

    async def stop(self) -> None:
        """Stop the loops (the subscription ends with the connection)."""
        await cancel_and_wait(*self._tasks)
        self._tasks = []

    async def restore(self) -> None:
        """Conditions of the open server alerts in Mongo, as if they had just opened here."""
        now = int(time.time() * 1000)
        for key, alert in await self.store.open_alerts():
            if alert.data.type not in SERVER_VARIANTS:
                continue
            server_id, variant, mount = [*key.split("|"), "", "", ""][:3]
            track = self._track(server_id, now)
            cond = track.condition(AlertDataVariant(variant), mount)
            cond.level, cond.bad = alert.level, self.policy.open_after

    def _track(self, server_id: str, now_ms: int) -> Track:
        track = self.tracks.get(server_id)
        if track is None:
            track = self.tracks[server_id] = Track(last_seen_ms=now_ms, interval_ms=self.default_interval_ms)
        return track

    # --- heartbeats ------------------------------------------------------------------------------------

    async def _heartbeat(self, msg: Msg) -> None:
        parsed = parse_heartbeat(msg.subject, msg.data)
        if parsed is None:
            log.warning("ignored a malformed heartbeat on %s", msg.subject)
            return
        self.observe(*parsed)

    def observe(self, server_id: str, interval_ms: int, sample: Sample) -> None:
        """Evaluate one heartbeat and queue its changes."""
        track = self._track(server_id, sample.ts)
        if interval_ms > 0:
            track.interval_ms = interval_ms
        rules = self.rules.get(server_id)
        if rules is None:
            # Not known to the registry yet (or no longer): remember it was heard, alert once it is known.
            track.last_seen_ms = max(track.last_seen_ms, sample.ts)
            return
        self.evaluated += 1
        for change in evaluate(server_id, track, rules, sample, self.policy):
            self.writes.put_nowait((server_id, change))

    async def _silence_loop(self) -> None:
        while True:
            await asyncio.sleep(CHECK_SECONDS)
            now = int(time.time() * 1000)
            for server_id, rules in list(self.rules.items()):
                track = self._track(server_id, now)
                for change in silence(server_id, track, rules, now, self.policy):
                    self.writes.put_nowait((server_id, change))

    # --- server configs --------------------------------------------------------------------------------

    async def _refresh_loop(self) -> None:
        while True:
            try:
                await self.refresh()
            except Exception as err:
                log.warning("could not read the servers from the registry (retrying): %s", err)
            await asyncio.sleep(REFRESH_SECONDS)

    async def refresh(self) -> None:
        """Read every server's config; resolve the alerts of servers that are gone."""
        servers: list[Server] = await self.alerter.bus.request(
            ListFullServers(limit=0), self.alerter.registry.system_headers()
        )
        rules = {server.id: Rules.of(server) for server in servers}
        # Servers followed (or restored from open alerts) that the registry no longer has were deleted, maybe
        # while this alerter was down (Komodo closes the alerts of deleted resources at start too).
        gone = [sid for sid in {*self.rules, *self.tracks} if sid not in rules]
        now = int(time.time() * 1000)
        for server_id in rules:
            self._track(server_id, now)
        self.rules = rules
        self.loaded = True
        for server_id in gone:
            await self.forget(server_id)

    def set_rules(self, server: Server) -> None:
        """Follow one server's config at once (tests and the resource consumer)."""
        self.rules[server.id] = Rules.of(server)
        self._track(server.id, int(time.time() * 1000))

    async def forget(self, server_id: str) -> None:
        """A server was deleted: stop following it and resolve its open alerts."""
        self.rules.pop(server_id, None)
        self.tracks.pop(server_id, None)
        for alert in await self.store.open_for_target(server_id):
            await self.store.resolve(alert)

    # --- writes ----------------------------------------------------------------------------------------

    async def _write_loop(self) -> None:
        while True:
            server_id, change = await self.writes.get()
            await self._write(server_id, change)
            self.writes.task_done()

    async def _write(self, server_id: str, change: Change) -> None:
        for attempt in range(WRITE_ATTEMPTS):
            try:
                await self.apply(server_id, change)
                return
            except Exception as err:
                log.warning("could not write %s of %s (try %d): %s", change.kind, server_id, attempt + 1, err)
                await asyncio.sleep(WRITE_BACKOFF_SECONDS * (attempt + 1))
        if change.kind == "open":
            # Not stored: the condition is taken as not open, so the next bad heartbeat tries again.
            track = self.tracks.get(server_id)
            cond = track.conditions.get((change.variant, change.mount)) if track is not None else None
            if cond is not None:
                cond.level, cond.bad = None, max(0, self.policy.open_after - 1)

    async def apply(self, server_id: str, change: Change) -> None:
        """Write one change; when another replica wrote the condition first, take its alert's level."""
        key = open_key(server_id, change.variant.value, change.mount)
        if change.kind == "resolve":
            await self.store.resolve_key(key, change.data)
            return
        if change.kind == "raise":
            await self.store.raise_level(key, change.level, change.data)
            return
        alert = Alert.model_validate(
            {
                "_id": str(ObjectId()),
                "ts": int(time.time() * 1000),
                "level": change.level,
                "target": ResourceTarget(type=ResourceTargetVariant.Server, id=server_id),
                "data": change.data or {"type": change.variant.value, "data": {"id": server_id}},
            }
        )
        if await self.store.open(alert, key):
            return
        # Another replica opened it first: a higher level seen here raises it.
        await self.store.raise_level(key, change.level, change.data)

    def forget_open(self, alert: Alert) -> None:
        """An admin closed an open server alert: let its condition open again after a new bad streak."""
        if alert.data.type not in SERVER_VARIANTS:
            return
        track = self.tracks.get(alert.target.id)
        if track is None:
            return
        mount = getattr(alert.data.data, "path", "") if alert.data.type == AlertDataVariant.ServerDisk else ""
        cond = track.conditions.get((AlertDataVariant(alert.data.type), mount))
        if cond is not None:
            cond.level, cond.bad = None, 0

    async def drain(self) -> None:
        """Wait until every queued change is written (tests)."""
        await self.writes.join()

    def stats(self) -> dict[str, Any]:
        """What the monitor holds (for logs and tests)."""
        return {"servers": len(self.tracks), "evaluated": self.evaluated, "queued": self.writes.qsize()}
