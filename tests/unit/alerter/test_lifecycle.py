"""The server alert lifecycle (pure): N consecutive bad heartbeats, raise in place, resolve under a margin, no
flapping, maintenance suppression, silence, disks that go away."""

from __future__ import annotations

import datetime as dt

from contracts.entities.alert import AlertDataVariant
from contracts.entities.common import MaintenanceWindow, SeverityLevel
from services.alerter.lifecycle import Change, Policy, Rules, Sample, Track, evaluate, silence

SID = "s1"
POLICY = Policy(open_after=2, margin=5.0, core_version="1.0.0")
RULES = Rules(name="web", cpu=(50.0, 80.0), mem=(75.0, 95.0), disk=(75.0, 95.0))
T0 = 1_700_000_000_000


def cpu(value: float, i: int = 0, version: str = "1.0.0") -> Sample:
    return Sample(ts=T0 + i * 1000, cpu=value, mem_used_gb=1, mem_total_gb=10, version=version)


def run(values: list[float], rules: Rules = RULES, track: Track | None = None) -> list[Change]:
    track = track or Track(last_seen_ms=T0)
    out: list[Change] = []
    for i, value in enumerate(values):
        out += evaluate(SID, track, rules, cpu(value, i), POLICY)
    return out


def kinds(changes: list[Change]) -> list[tuple[str, str]]:
    return [(c.kind, c.level.value) for c in changes]


def test_opens_only_after_two_consecutive_bad_heartbeats() -> None:
    assert run([60]) == []
    assert run([60, 10, 60]) == []
    changes = run([60, 60])
    assert kinds(changes) == [("open", "WARNING")]
    assert changes[0].variant == AlertDataVariant.ServerCpu
    assert changes[0].data == {
        "type": "ServerCpu",
        "data": {"id": SID, "name": "web", "region": None, "percentage": 60},
    }


def test_raises_in_place_and_never_lowers() -> None:
    assert kinds(run([60, 60, 90, 60, 90])) == [("open", "WARNING"), ("raise", "CRITICAL")]


def test_resolves_only_under_the_margin() -> None:
    # Warning 50, margin 5: 46 is under the threshold but not under 45, so the alert stays open.
    assert kinds(run([60, 60, 46, 49, 46])) == [("open", "WARNING")]
    assert kinds(run([60, 60, 46, 44])) == [("open", "WARNING"), ("resolve", "WARNING")]


def test_a_flapping_value_gives_at_most_one_open_and_one_resolve() -> None:
    values = [49, 51] * 50 + [51, 51] + [49, 52] * 50 + [30]
    assert kinds(run(values)) == [("open", "WARNING"), ("resolve", "WARNING")]
    # Alternating around the threshold never opens at all (never two bad in a row).
    assert run([49, 51] * 100) == []


def test_maintenance_window_suppresses_opening_with_a_positive_control() -> None:
    start = dt.datetime.fromtimestamp(T0 / 1000, dt.UTC)
    window = MaintenanceWindow.model_validate(
        {
            "name": "now",
            "schedule_type": "OneTime",
            "date": start.strftime("%Y-%m-%d"),
            "hour": start.hour,
            "minute": 0,
            "duration_minutes": 120,
            "timezone": "UTC",
        }
    )
    in_window = Rules(name="web", cpu=(50.0, 80.0), windows=(window,))
    assert run([90, 90, 90, 90], in_window) == []
    # The same values outside any window open an alert.
    assert kinds(run([90, 90, 90, 90])) == [("open", "CRITICAL")]


def test_disk_per_mount_and_a_mount_that_goes_away_resolves() -> None:
    track = Track(last_seen_ms=T0)
    full = (("/", 90.0, 100.0), ("/data", 10.0, 100.0))
    changes: list[Change] = []
    for i in range(2):
        changes += evaluate(SID, track, RULES, Sample(ts=T0 + i, cpu=1, disks=full), POLICY)
    assert [(c.kind, c.mount) for c in changes] == [("open", "/")]
    gone = evaluate(SID, track, RULES, Sample(ts=T0 + 5, cpu=1, disks=(("/data", 10.0, 100.0),)), POLICY)
    assert [(c.kind, c.mount, c.data) for c in gone] == [("resolve", "/", None)]


def test_turning_alerts_off_resolves_the_open_one() -> None:
    track = Track(last_seen_ms=T0)
    assert kinds(run([90, 90], track=track)) == [("open", "CRITICAL")]
    off = Rules(name="web", cpu=None)
    assert kinds(evaluate(SID, track, off, cpu(90, 3), POLICY)) == [("resolve", "WARNING")]


def test_version_mismatch_opens_after_two_and_resolves_when_it_matches() -> None:
    track = Track(last_seen_ms=T0)
    changes: list[Change] = []
    for i, version in enumerate(["0.9.0", "0.9.0", "0.9.0", "1.0.0"]):
        changes += evaluate(SID, track, RULES, cpu(1, i, version), POLICY)
    assert [(c.kind, c.variant.value) for c in changes] == [
        ("open", "ServerVersionMismatch"),
        ("resolve", "ServerVersionMismatch"),
    ]


def test_silence_opens_unreachable_and_a_heartbeat_resolves_it() -> None:
    track = Track(last_seen_ms=T0, interval_ms=1000)
    assert silence(SID, track, RULES, T0 + 2400, POLICY) == []
    opened = silence(SID, track, RULES, T0 + 2600, POLICY)
    assert kinds(opened) == [("open", "CRITICAL")]
    assert silence(SID, track, RULES, T0 + 3600, POLICY) == []  # open already: nothing more
    back = evaluate(SID, track, RULES, cpu(1, 4), POLICY)
    assert [(c.kind, c.variant.value) for c in back] == [("resolve", "ServerUnreachable")]


def test_a_disabled_server_has_no_alerts() -> None:
    assert run([90, 90, 90], Rules(enabled=False)) == []
    assert silence(SID, Track(last_seen_ms=T0), Rules(enabled=False), T0 + 10**6, POLICY) == []


def test_an_alert_opens_at_the_level_of_the_heartbeat_that_completes_the_streak() -> None:
    assert kinds(run([90, 60])) == [("open", SeverityLevel.Warning.value)]
    assert kinds(run([60, 90])) == [("open", SeverityLevel.Critical.value)]


def test_rules_follow_the_server_config() -> None:
    from contracts.entities.server import Server

    server = Server.model_validate(
        {
            "_id": {"$oid": "65f0c0ffee0000000000abcd"},
            "name": "db",
            "config": {
                "enabled": True,
                "region": "eu",
                "cpu_warning": 60,
                "cpu_critical": 70,
                "send_mem_alerts": False,
                "send_version_mismatch_alerts": False,
                "ignore_mounts": ["/boot"],
            },
        }
    )
    rules = Rules.of(server)
    assert (rules.name, rules.region, rules.enabled) == ("db", "eu", True)
    assert rules.cpu == (60, 70) and rules.mem is None and rules.disk == (75, 95)
    assert rules.version is False and rules.unreachable is True
    assert rules.ignore_mounts == frozenset({"/boot"})
    track = Track(last_seen_ms=T0)
    boot = (("/boot", 99.0, 100.0),)
    for i in range(3):
        assert evaluate(SID, track, rules, Sample(ts=T0 + i, cpu=1, disks=boot, version="0.1"), POLICY) == []
