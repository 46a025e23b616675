"""Write-time checks of Alerter and Server configs: what would fail only at the next alert is a 400 naming the
field, over the bus and HTTP; valid configs of the same shape are accepted (the positive controls)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.e2e.conftest import BusClient

WINDOW = {"name": "nightly", "schedule_type": "Daily", "hour": 2, "minute": 0, "duration_minutes": 60}


def alerter(endpoint_type: str, url: str, **config: Any) -> dict[str, Any]:
    return {"enabled": True, "endpoint": {"type": endpoint_type, "params": {"url": url}}, **config}


BAD_ALERTERS = [
    (
        alerter("Custom", "http://127.0.0.1:7000", alert_types=["ServerCpu", "ServerFire"]),
        "config.alert_types",
    ),
    (alerter("Apprise", "nosuchscheme://x/y"), "config.endpoint.params.url: apprise does not accept"),
    (alerter("Apprise", ""), "config.endpoint.params.url: an Apprise endpoint needs a URL"),
    (alerter("Slack", "ftp://hooks.example.com/x"), "a Slack endpoint needs an http:// or https:// URL"),
    (
        alerter("Discord", "discord.com/api/webhooks/1/2"),
        "a Discord endpoint needs an http:// or https:// URL",
    ),
    (alerter("Ntfy", "file:///etc/passwd"), "a Ntfy endpoint needs an http:// or https:// URL"),
    (alerter("Custom", "javascript:alert(1)"), "a Custom endpoint needs an http:// or https:// URL"),
    (
        alerter(
            "Custom", "http://127.0.0.1:7000", maintenance_windows=[{**WINDOW, "timezone": "Mars/Olympus"}]
        ),
        "config.maintenance_windows: maintenance window 'nightly': unknown time zone 'Mars/Olympus'",
    ),
    (
        alerter(
            "Custom",
            "http://127.0.0.1:7000",
            maintenance_windows=[{**WINDOW, "schedule_type": "Weekly", "day_of_week": "Funday"}],
        ),
        "day_of_week 'Funday' is not a weekday",
    ),
    (
        alerter(
            "Custom",
            "http://127.0.0.1:7000",
            maintenance_windows=[{**WINDOW, "schedule_type": "OneTime", "date": "2026-13-40"}],
        ),
        "date '2026-13-40' is not a date",
    ),
    (
        alerter("Custom", "http://127.0.0.1:7000", maintenance_windows=[{**WINDOW, "duration_minutes": 0}]),
        "duration_minutes must be at least 1",
    ),
    (
        alerter("Custom", "http://127.0.0.1:7000", message_template="{% if %}"),
        "config.message_template: not a valid",
    ),
]

GOOD_ALERTERS = [
    alerter("Custom", "http://127.0.0.1:7000/[[HOOK_PATH]]", alert_types=["ServerCpu"]),
    alerter("Apprise", "mailto://127.0.0.1:2525?from=varanus@example.com&to=ops@example.com"),
    alerter("Apprise", "tgram://[[BOT_TOKEN]]/[[CHAT_ID]]"),
    alerter("Slack", "https://hooks.slack.com/services/A/B/C"),
    alerter(
        "Ntfy",
        "https://ntfy.example.com/komodo",
        maintenance_windows=[
            {**WINDOW, "timezone": "Europe/Berlin", "schedule_type": "Weekly", "day_of_week": "mon"}
        ],
        message_template="{{ level }} {{ name }} {{ link }}",
    ),
]


@pytest.mark.parametrize(("config", "says"), BAD_ALERTERS)
async def test_a_bad_alerter_config_is_a_400_naming_what_is_wrong(
    client: BusClient, config: dict[str, Any], says: str
) -> None:
    created = await client.send("write", "CreateAlerter", {"name": "bad", "config": config})
    assert created.status == 400 and says in created.error, created.body
    # The same on update of an existing, valid alerter; the stored config stays as it was.
    await client.write("CreateAlerter", {"name": "good", "config": GOOD_ALERTERS[0]})
    updated = await client.send("write", "UpdateAlerter", {"id": "good", "config": config})
    assert updated.status == 400 and says in updated.error, updated.body
    stored = await client.read("GetAlerter", {"alerter": "good"})
    assert stored["config"]["endpoint"]["params"]["url"] == GOOD_ALERTERS[0]["endpoint"]["params"]["url"]


async def test_good_alerter_configs_are_accepted(client: BusClient) -> None:
    for index, config in enumerate(GOOD_ALERTERS):
        await client.write("CreateAlerter", {"name": f"good-{index}", "config": config})


async def test_server_maintenance_windows_are_checked(client: BusClient) -> None:
    bad = await client.send(
        "write",
        "CreateServer",
        {"name": "srv", "config": {"maintenance_windows": [{**WINDOW, "timezone": "Nowhere/City"}]}},
    )
    assert (
        bad.status == 400
        and "config.maintenance_windows: maintenance window 'nightly': unknown time zone" in bad.error
    )
    await client.write("CreateServer", {"name": "srv", "config": {"maintenance_windows": [WINDOW]}})
    zero = await client.send(
        "write",
        "UpdateServer",
        {"id": "srv", "config": {"maintenance_windows": [{**WINDOW, "duration_minutes": 0}]}},
    )
    assert zero.status == 400 and "duration_minutes must be at least 1" in zero.error


async def test_over_http_too(gateway_url: str, admin_headers: dict[str, str]) -> None:
    async with httpx.AsyncClient(base_url=gateway_url, headers=admin_headers, timeout=10) as http:
        bad = await http.post(
            "/write/CreateAlerter", json={"name": "web", "config": alerter("Apprise", "nosuchscheme://x")}
        )
        assert bad.status_code == 400 and "apprise does not accept" in bad.json()["error"]
        good = await http.post(
            "/write/CreateAlerter",
            json={"name": "web", "config": alerter("Apprise", "json://127.0.0.1:9/hook")},
        )
        assert good.status_code == 200, good.text
