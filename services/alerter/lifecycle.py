"""The server alert lifecycle, as pure functions over in-memory state: no I/O, so every replica evaluates every
heartbeat quickly (`bench/alerts.py`), and the writes the changes need are made elsewhere (`servers.py`).

Each condition (a server's cpu, memory, each disk mount, reachability, agent version) keeps how many heartbeats
in a row were bad and the level of its open alert, if any:

- a condition opens after `open_after` consecutive bad heartbeats (default 2), at the level of the last one,
  unless the server is in a maintenance window (the count goes on; it opens on the first bad heartbeat after);
- an open alert is raised in place when the level grows (WARNING to CRITICAL), never lowered;
- it resolves only when the value falls `margin` points (default 5) under the warning threshold, so a value
  hovering around a threshold gives at most one open/resolve pair; flag conditions (reachable, version)
  resolve when the flag clears;
- it resolves when its disk disappears from the heartbeats, or its alerts are turned off in the server's config.

Unreachable is a CRITICAL condition with no heartbeat: `silence` counts a server bad once it has been silent for
`open_after` heartbeat intervals (and half of one, for jitter), and it resolves on the next heartbeat.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final, Literal

from contracts.entities.alert import AlertDataVariant
from contracts.entities.common import MaintenanceWindow, SeverityLevel
from contracts.entities.server import Server
from services.common.maintenance import in_maintenance

WARNING: Final = SeverityLevel.Warning
CRITICAL: Final = SeverityLevel.Critical
RANK: Final = {None: 0, SeverityLevel.Ok: 0, WARNING: 1, CRITICAL: 2}
"""Levels from none to most severe."""

CPU: Final = AlertDataVariant.ServerCpu
MEM: Final = AlertDataVariant.ServerMem
DISK: Final = AlertDataVariant.ServerDisk
UNREACHABLE: Final = AlertDataVariant.ServerUnreachable
VERSION: Final = AlertDataVariant.ServerVersionMismatch


@dataclass(frozen=True, slots=True)
class Policy:
    """The lifecycle settings shared by every server."""

    open_after: int = 2
    """Consecutive bad heartbeats (or silent intervals) before an alert opens."""
    margin: float = 5.0
    """Points under the warning threshold a value must fall to resolve its alert."""
    core_version: str = ""
    """The core's version (an agent reporting another one is a version mismatch)."""
    default_timezone: str = ""
    """The zone of maintenance windows that name none."""


@dataclass(frozen=True, slots=True)
class Rules:
    """What a server's config says about its alerts (thresholds are None when that alert is turned off)."""

    name: str = ""
    """The server's name."""
    region: str | None = None
    """Its region, shown in alerts."""
    enabled: bool = True
    """A disabled server has no alerts."""
    cpu: tuple[float, float] | None = (90.0, 99.0)
    """Warning and critical CPU percentages."""
    mem: tuple[float, float] | None = (75.0, 95.0)
    """Warning and critical memory percentages."""
    disk: tuple[float, float] | None = (75.0, 95.0)
    """Warning and critical disk percentages, per mount."""
    unreachable: bool = True
    """Whether ServerUnreachable alerts open."""
    version: bool = True
    """Whether ServerVersionMismatch alerts open."""
    ignore_mounts: frozenset[str] = frozenset()
    """Mounts never alerted on."""
    windows: tuple[MaintenanceWindow, ...] = ()
    """Maintenance windows: no alert opens while one is active."""

    @classmethod
    def of(cls, server: Server) -> Rules:
        """The rules of a server's config."""
        c = server.config
        return cls(
            name=server.name,
            region=c.region or None,
            enabled=c.enabled,
            cpu=(c.cpu_warning, c.cpu_critical) if c.send_cpu_alerts else None,
            mem=(c.mem_warning, c.mem_critical) if c.send_mem_alerts else None,
            disk=(c.disk_warning, c.disk_critical) if c.send_disk_alerts else None,
            unreachable=c.send_unreachable_alerts,
            version=c.send_version_mismatch_alerts,
            ignore_mounts=frozenset(c.ignore_mounts),
            windows=tuple(c.maintenance_windows),
        )


@dataclass(frozen=True, slots=True)
class Sample:
    """The numbers of one heartbeat that alerts look at."""

    ts: int
    """When it was taken (unix ms)."""
    cpu: float | None = None
    """CPU percent (None: no stats)."""
    mem_used_gb: float = 0.0
    """Used memory."""
    mem_total_gb: float = 0.0
    """Total memory (0: unknown)."""
    disks: tuple[tuple[str, float, float], ...] = ()
    """(mount, used GB, total GB) per disk."""
    version: str = ""
    """The agent's version."""


@dataclass(slots=True)
class Condition:
    """One condition's memory: the bad streak and the open alert's level."""

    bad: int = 0
    """Consecutive bad heartbeats (or silent checks)."""
    level: SeverityLevel | None = None
    """The level of its open alert; None when none is open."""


@dataclass(slots=True)
class Track:
    """Everything remembered about one server."""

    last_seen_ms: int = 0
    """When its last heartbeat was taken (or when following it began)."""
    interval_ms: int = 15_000
    """Its agent's heartbeat interval."""
    conditions: dict[tuple[str, str], Condition] = field(default_factory=dict)
    """By (variant, mount)."""

    def condition(self, variant: str, mount: str = "") -> Condition:
        """The condition, made on first use."""
        key = (variant, mount)
        found = self.conditions.get(key)
        if found is None:
            found = self.conditions[key] = Condition()
        return found


@dataclass(frozen=True, slots=True)
class Change:
    """A lifecycle change to write: open, raise or resolve one condition's alert."""

    kind: Literal["open", "raise", "resolve"]
    """What happens."""
    variant: AlertDataVariant
    """The alert variant."""
    mount: str
    """The disk mount (disk alerts), else empty."""
    level: SeverityLevel
    """The alert's level after the change."""
    data: dict[str, Any] | None
    """The alert's `data` (`{"type", "data"}`) after the change; None keeps the stored data (a resolve of a
    condition that went away)."""


def level_of(value: float, limits: tuple[float, float]) -> SeverityLevel | None:
    """CRITICAL at or over the critical threshold, WARNING at or over the warning one, else None."""
    if value >= limits[1]:
        return CRITICAL
    if value >= limits[0]:
        return WARNING
    return None


def _server_data(server_id: str, rules: Rules, variant: str, **extra: Any) -> dict[str, Any]:
    return {"type": variant, "data": {"id": server_id, "name": rules.name, "region": rules.region, **extra}}


def _suppressed(rules: Rules, at_ms: int, policy: Policy) -> bool:
    return bool(rules.windows) and in_maintenance(rules.windows, at_ms, policy.default_timezone) is not None


def step(
    cond: Condition,
    level: SeverityLevel | None,
    clear: bool,
    policy: Policy,
    suppressed: Any,
) -> Literal["open", "raise", "resolve"] | None:
    """One condition's transition for one observation, updating `cond` as if the change were written.

    `level` is the observation's level (None: not bad), `clear` whether it is far enough from the threshold
    to resolve, `suppressed` a callable telling whether a maintenance window holds (asked only when an alert
    would open)."""
    if cond.level is None:
        if level is None:
            cond.bad = 0
            return None
        cond.bad += 1
        if cond.bad >= policy.open_after and not suppressed():
            cond.level = level
            return "open"
        return None
    cond.bad = cond.bad + 1 if level is not None else 0
    if level is not None and RANK[level] > RANK[cond.level]:
        cond.level = level
        return "raise"
    if clear:
        cond.level = None
        cond.bad = 0
        return "resolve"
    return None


def _turned_off(cond: Condition | None) -> bool:
    """Whether a condition whose alert is turned off must resolve (it is open); resets it either way."""
    if cond is None:
        return False
    was_open = cond.level is not None
    cond.level, cond.bad = None, 0
    return was_open


def _percent(
    changes: list[Change],
    track: Track,
    variant: AlertDataVariant,
    mount: str,
    value: float,
    limits: tuple[float, float] | None,
    data: Any,
    policy: Policy,
    suppressed: Any,
) -> None:
    if limits is None:
        if _turned_off(track.conditions.get((variant, mount))):
            changes.append(Change("resolve", variant, mount, WARNING, None))
        return
    cond = track.condition(variant, mount)
    before = cond.level
    kind = step(cond, level_of(value, limits), value < limits[0] - policy.margin, policy, suppressed)
    if kind is not None:
        level = cond.level or before or WARNING
        changes.append(Change(kind, variant, mount, level, data()))


def evaluate(server_id: str, track: Track, rules: Rules, sample: Sample, policy: Policy) -> list[Change]:
    """The changes one heartbeat makes to a server's alerts (updating `track`)."""
    track.last_seen_ms = max(track.last_seen_ms, sample.ts)
    changes: list[Change] = []
    if not rules.enabled:
        for (variant, mount), cond in list(track.conditions.items()):
            if _turned_off(cond):
                changes.append(Change("resolve", AlertDataVariant(variant), mount, WARNING, None))
        return changes
    cache: list[bool] = []

    def suppressed() -> bool:
        if not cache:
            cache.append(_suppressed(rules, sample.ts, policy))
        return cache[0]

    reach = track.conditions.get((UNREACHABLE, ""))
    if reach is not None and reach.level is not None:
        reach.level, reach.bad = None, 0
        changes.append(
            Change(
                "resolve", UNREACHABLE, "", CRITICAL, _server_data(server_id, rules, UNREACHABLE, err=None)
            )
        )
    elif reach is not None:
        reach.bad = 0
    if sample.cpu is not None:
        cpu = sample.cpu
        _percent(
            changes,
            track,
            CPU,
            "",
            cpu,
            rules.cpu,
            lambda: _server_data(server_id, rules, CPU, percentage=cpu),
            policy,
            suppressed,
        )
        if sample.mem_total_gb > 0:
            used, total = sample.mem_used_gb, sample.mem_total_gb
            _percent(
                changes,
                track,
                MEM,
                "",
                100.0 * used / total,
                rules.mem,
                lambda: _server_data(server_id, rules, MEM, used_gb=used, total_gb=total),
                policy,
                suppressed,
            )
        seen: set[str] = set()
        for mount, used, total in sample.disks:
            if total <= 0 or mount in rules.ignore_mounts:
                continue
            seen.add(mount)
            _percent(
                changes,
                track,
                DISK,
                mount,
                100.0 * used / total,
                rules.disk,
                lambda m=mount, u=used, t=total: _server_data(
                    server_id, rules, DISK, path=m, used_gb=u, total_gb=t
                ),
                policy,
                suppressed,
            )
        for variant, mount in list(track.conditions):
            if variant == DISK and mount not in seen:
                cond = track.conditions.pop((variant, mount))
                if cond.level is not None:
                    changes.append(Change("resolve", DISK, mount, cond.level, None))
    if sample.version and policy.core_version:
        if not rules.version:
            if _turned_off(track.conditions.get((VERSION, ""))):
                changes.append(Change("resolve", VERSION, "", WARNING, None))
        else:
            mismatch = sample.version != policy.core_version
            cond = track.condition(VERSION)
            kind = step(cond, WARNING if mismatch else None, not mismatch, policy, suppressed)
            if kind is not None:
                changes.append(
                    Change(
                        kind,
                        VERSION,
                        "",
                        WARNING,
                        _server_data(
                            server_id,
                            rules,
                            VERSION,
                            server_version=sample.version,
                            core_version=policy.core_version,
                        ),
                    )
                )
    return changes


def silence(server_id: str, track: Track, rules: Rules, now_ms: int, policy: Policy) -> list[Change]:
    """The change a check without heartbeats makes: ServerUnreachable opens once the server has been silent for
    `open_after` intervals (and half of one). Call it about once an interval; it counts one bad check per call."""
    if not rules.enabled or not rules.unreachable:
        if _turned_off(track.conditions.get((UNREACHABLE, ""))):
            return [Change("resolve", UNREACHABLE, "", CRITICAL, None)]
        return []
    silent_ms = now_ms - track.last_seen_ms
    if silent_ms <= (policy.open_after + 0.5) * track.interval_ms:
        return []
    cond = track.condition(UNREACHABLE)
    if cond.level is not None:
        return []
    if _suppressed(rules, now_ms, policy):
        return []
    cond.level, cond.bad = CRITICAL, policy.open_after
    err = {"error": f"no heartbeat for {silent_ms // 1000} s", "trace": []}
    return [Change("open", UNREACHABLE, "", CRITICAL, _server_data(server_id, rules, UNREACHABLE, err=err))]
