"""Alert delivery without I/O: message texts and endpoint bodies, templates, which Alerters take an alert, URL
checks and back-off."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from contracts.entities.alert import Alert
from contracts.entities.alerter import Alerter, AlerterEndpointNtfy, NtfyAlerterEndpoint
from contracts.entities.common import SeverityLevel
from services.alerter.delivery import messages
from services.alerter.delivery.records import backoff_ms
from services.alerter.delivery.routing import skip_reason
from services.common.alert_urls import url_problem

HOST = "https://komodo.example.com"
SERVER_ID = "65f000000000000000000001"


def cpu_alert(**fields: Any) -> Alert:
    return Alert.model_validate(
        {
            "_id": "65f0000000000000000000aa",
            "ts": 1_700_000_000_000,
            "level": "CRITICAL",
            "target": {"type": "Server", "id": SERVER_ID},
            "data": {"type": "ServerCpu", "data": {"id": SERVER_ID, "name": "web-1", "percentage": 93.25}},
            **fields,
        }
    )


def alerter(**config: Any) -> Alerter:
    return Alerter.model_validate(
        {"_id": "65f0000000000000000000bb", "name": "ops", "config": {"enabled": True, **config}}
    )


NOW = int(dt.datetime(2026, 12, 5, 12, 0, tzinfo=dt.UTC).timestamp() * 1000)


def test_standard_text_has_level_resource_what_and_link() -> None:
    text = messages.standard_text(cpu_alert(), HOST)
    assert text == f"CRITICAL 🚨 | **web-1** cpu usage at **93.2%**\n{HOST}/servers/{SERVER_ID}"


def test_resolved_server_alert_is_said_at_ok_and_unreachable_recovers() -> None:
    resolved = cpu_alert(resolved=True)
    assert messages.standard_text(resolved, HOST).startswith("OK ✅ | **web-1** cpu usage")
    back = cpu_alert(
        resolved=True, data={"type": "ServerUnreachable", "data": {"id": SERVER_ID, "name": "web-1"}}
    )
    assert "is now **reachable**" in messages.standard_text(back, HOST)
    # A one-off alert keeps its own level, though stored resolved.
    failed = cpu_alert(
        resolved=True,
        level="WARNING",
        data={"type": "BuildFailed", "data": {"name": "app", "version": "1.2.3"}},
    )
    assert messages.headline(failed) == "WARNING ‼️ | Build **app** failed\nversion: **v1.2.3**"


def test_every_alert_type_has_a_text() -> None:
    for variant in messages.ONE_OFF | {"ServerMem", "ServerDisk", "ServerVersionMismatch", "None"}:
        alert = cpu_alert(data={"type": variant, "data": {}})
        assert messages.headline(alert)


def test_endpoint_bodies() -> None:
    alert = cpu_alert()
    custom = messages.custom_body(alert)
    assert custom["_id"] == {"$oid": alert.id}
    assert custom["data"]["type"] == "ServerCpu" and custom["level"] == "CRITICAL"
    msg = messages.message(alert, HOST, "AlertOpened")
    slack = messages.slack_body(msg.text, msg.link)
    assert slack["text"] == msg.text
    assert slack["blocks"][0] == {"type": "header", "text": {"type": "plain_text", "text": msg.title}}
    assert slack["blocks"][-1]["text"]["text"] == msg.link
    assert messages.discord_body(msg.text) == {"content": msg.text}
    ntfy = AlerterEndpointNtfy(params=NtfyAlerterEndpoint(url="http://x/t", email="ops@example.com"))
    assert messages.ntfy_headers(ntfy) == {"Title": "Komodo Alert", "X-Email": "ops@example.com"}
    assert messages.pushover_form(msg.text) == {"message": msg.text}


def test_template_renders_over_the_alert_fields() -> None:
    template = "{{ level }} {{ data.type }} on {{ name }} ({{ event }}) -> {{ link }}"
    msg = messages.message(cpu_alert(), HOST, "AlertRaised", template)
    assert msg.text == f"CRITICAL ServerCpu on web-1 (AlertRaised) -> {HOST}/servers/{SERVER_ID}"
    assert msg.template_error is None


@pytest.mark.parametrize(
    "template",
    [
        "{{ nope.deeper }}",  # undefined
        "{% if %}",  # syntax
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",  # the sandbox refuses
    ],
)
def test_a_failing_template_falls_back_and_says_why(template: str) -> None:
    msg = messages.message(cpu_alert(), HOST, "AlertOpened", template)
    assert msg.text == messages.standard_text(cpu_alert(), HOST)
    assert msg.template_error is not None and msg.template_error.startswith("message_template failed")


def test_routing_rules_with_positive_controls() -> None:
    alert = cpu_alert()
    assert skip_reason(alerter(), alert, [], NOW) is None
    assert skip_reason(alerter(enabled=False), alert, [], NOW) == "disabled"
    assert skip_reason(alerter(alert_types=["ServerCpu"]), alert, [], NOW) is None
    assert "alert_types" in str(skip_reason(alerter(alert_types=["ServerDisk"]), alert, [], NOW))
    server = {"type": "Server", "id": SERVER_ID}
    other = {"type": "Server", "id": "65f0000000000000000000cc"}
    assert skip_reason(alerter(resources=[server]), alert, [], NOW) is None
    assert skip_reason(alerter(resources=[other]), alert, [], NOW) == "resource not in resources"
    assert skip_reason(alerter(except_resources=[other]), alert, [], NOW) is None
    assert skip_reason(alerter(except_resources=[server]), alert, [], NOW) == "resource in except_resources"
    assert skip_reason(alerter(), alert, ["65f0000000000000000000bb"], NOW) is None
    assert skip_reason(alerter(), alert, ["65f0000000000000000000dd"], NOW) == "not chosen"


def test_maintenance_window_suppresses_only_while_it_lasts() -> None:
    window = {"name": "noon", "schedule_type": "Daily", "hour": 11, "minute": 30, "duration_minutes": 60}
    assert "maintenance" in str(skip_reason(alerter(maintenance_windows=[window]), cpu_alert(), [], NOW))
    later = NOW + 2 * 3600 * 1000
    assert skip_reason(alerter(maintenance_windows=[window]), cpu_alert(), [], later) is None


def test_a_test_alert_passes_the_filters_but_not_enabled() -> None:
    test = cpu_alert(level=SeverityLevel.Ok, data={"type": "Test", "data": {"id": "x", "name": "ops"}})
    assert skip_reason(alerter(alert_types=["ServerDisk"]), test, [], NOW) is None
    assert skip_reason(alerter(enabled=False), test, [], NOW) == "disabled"


def test_url_problems() -> None:
    assert url_problem("Slack", "https://hooks.slack.com/services/A/B/C") is None
    assert url_problem("Custom", "http://127.0.0.1:7000/[[PATH]]") is None
    assert "http:// or https://" in str(url_problem("Discord", "ftp://example.com/x"))
    assert "http:// or https://" in str(url_problem("Ntfy", "localhost:8080/komodo"))
    assert url_problem("Apprise", "json://127.0.0.1:9/hook") is None
    assert url_problem("Apprise", "mailto://127.0.0.1:2525?from=a@example.com&to=b@example.com") is None
    assert url_problem("Apprise", "tgram://[[BOT]]/[[CHAT]]") is None
    assert "apprise does not accept" in str(url_problem("Apprise", "nosuchscheme://x"))
    assert "scheme" in str(url_problem("Apprise", "nosuchscheme://[[X]]"))


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff_ms(n, 2.0) for n in (1, 2, 3)] == [2000, 4000, 8000]
    assert backoff_ms(30, 2.0) == 300_000
