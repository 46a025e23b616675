"""Alert delivery as a user meets it: alert events on the bus reach Custom, Slack, Discord, ntfy and e-mail
endpoints (local receivers), failures are retried and recorded without holding up other endpoints, a
redelivered event sends once, filters and maintenance windows choose the Alerters, TestAlerter, and secrets in
URLs never show in a recorded error."""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from nats.aio.client import Client as NatsClient

from contracts.entities.alert import Alert
from contracts.events.alert import AlertOpened
from services.alerter.app import Alerter
from services.alerter.delivery import records
from services.alerter.delivery.records import deliveries_of, delivery_key
from services.common.settings import Settings
from services.registry.app import Registry
from tests.e2e.conftest import BusClient, running, service_settings
from tests.e2e.helpers import eventually
from tests.receivers import HttpReceiver, SmtpSink, http_receiver, smtp_sink

HOST = "https://komodo.example.com"
TIMEOUT = 1.5
"""The delivery timeout of these tests' alerter (seconds)."""


@pytest.fixture
def settings(registry: Registry, nats_url: str, mongo_url: str, db_prefix: str, tmp_path: Path) -> Settings:
    """The alerter's settings: a short delivery timeout, quick retries and three attempts."""
    return service_settings(
        nats_url,
        mongo_url,
        db_prefix,
        tmp_path,
        host=HOST,
        alert_delivery_timeout=TIMEOUT,
        alert_delivery_backoff=0.3,
        alert_delivery_attempts=3,
    )


@pytest.fixture
async def delivering(settings: Settings) -> AsyncIterator[Alerter]:
    """The alerter with those settings."""
    async with running(Alerter(settings)) as service:
        yield service


@pytest.fixture
async def receiver() -> AsyncIterator[HttpReceiver]:
    async with http_receiver() as found:
        yield found


@pytest.fixture
async def smtp() -> AsyncIterator[SmtpSink]:
    async with smtp_sink() as found:
        yield found


async def make_alerter(
    client: BusClient, service: Alerter, name: str, endpoint: dict[str, Any], **config: Any
) -> str:
    """An enabled Alerter, once the delivery knows it."""
    created = await client.write(
        "CreateAlerter", {"name": name, "config": {"enabled": True, "endpoint": endpoint, **config}}
    )
    alerter_id = str(created["_id"]["$oid"])

    async def known() -> bool:
        await service.delivery.current()
        return service.delivery.knows(alerter_id)

    assert await eventually(known, 10), f"the delivery did not learn alerter {name}"
    return alerter_id


def custom(receiver: HttpReceiver, path: str) -> dict[str, Any]:
    return {"type": "Custom", "params": {"url": receiver.url(path)}}


def cpu_alert(server_id: str = "65f000000000000000000001", name: str = "web-1") -> Alert:
    return Alert.model_validate(
        {
            "_id": uuid.uuid4().hex[:24],
            "ts": int(time.time() * 1000),
            "level": "CRITICAL",
            "target": {"type": "Server", "id": server_id},
            "data": {"type": "ServerCpu", "data": {"id": server_id, "name": name, "percentage": 97.5}},
        }
    )


async def publish(nc: NatsClient, alert: Alert, msg_id: str | None = None) -> AlertOpened:
    """Publish an AlertOpened on JetStream as the alerter's relay does."""
    event = AlertOpened(id=f"{alert.id}:opened", alert=alert, resource=alert.target)
    await nc.jetstream().publish(
        event.SUBJECT,
        event.model_dump_json(by_alias=True).encode(),
        headers={"Nats-Msg-Id": msg_id or event.id},
    )
    return event


async def arrives(receiver: HttpReceiver, path: str, count: int = 1, seconds: float = 10) -> None:
    async def enough() -> bool:
        return len(receiver.at(path)) >= count

    assert await eventually(enough, seconds), f"{path} got {len(receiver.at(path))} of {count} requests"


async def status_of(service: Alerter, key: str, status: str, seconds: float = 15) -> Any:
    async def reached() -> Any:
        found = await records.get(service.db, key)
        return found if found is not None and found.status.value == status else None

    found = await eventually(reached, seconds)
    assert found, f"delivery {key} did not become {status}: {await records.get(service.db, key)}"
    return found


async def test_an_alert_event_reaches_custom_slack_discord_ntfy_and_email(
    delivering: Alerter,
    client: BusClient,
    receiver: HttpReceiver,
    smtp: SmtpSink,
    publisher: NatsClient,
) -> None:
    await make_alerter(client, delivering, "custom", custom(receiver, "/custom"))
    await make_alerter(
        client, delivering, "slack", {"type": "Slack", "params": {"url": receiver.url("/slack")}}
    )
    await make_alerter(
        client,
        delivering,
        "discord",
        {"type": "Discord", "params": {"url": receiver.url("/discord")}},
        message_template="{{ level }}: {{ name }} at {{ data.data.percentage }}% ({{ event }}) {{ link }}",
    )
    ntfy = {"type": "Ntfy", "params": {"url": receiver.url("/ntfy"), "email": "ops@example.com"}}
    await make_alerter(client, delivering, "ntfy", ntfy)
    mail = f"mailto://127.0.0.1:{smtp.port}?from=varanus@example.com&to=ops@example.com"
    await make_alerter(client, delivering, "mail", {"type": "Apprise", "params": {"url": mail}})

    alert = cpu_alert()
    await publish(publisher, alert)
    for path in ("/custom", "/slack", "/discord", "/ntfy"):
        await arrives(receiver, path)
    assert await eventually(lambda: _async(len(smtp.mails) == 1), 10), "no mail arrived"

    link = f"{HOST}/servers/{alert.target.id}"
    assert receiver.at("/custom")[0].json() == alert.to_json()  # Komodo's Alert JSON, as Komodo posts it
    slack = receiver.at("/slack")[0].json()
    assert slack["text"] == f"CRITICAL 🚨 | **web-1** cpu usage at **97.5%**\n{link}"
    assert slack["blocks"][0]["type"] == "header" and link in json.dumps(slack["blocks"])
    assert receiver.at("/discord")[0].json() == {"content": f"CRITICAL: web-1 at 97.5% (AlertOpened) {link}"}
    ntfy_got = receiver.at("/ntfy")[0]
    assert ntfy_got.body.decode().startswith("CRITICAL 🚨 | **web-1**")
    assert ntfy_got.headers["Title"] == "Komodo Alert" and ntfy_got.headers["X-Email"] == "ops@example.com"
    mail_got = smtp.mails[0]
    assert "web-1" in str(mail_got["Subject"]) and "ops@example.com" in str(mail_got["To"])

    sent = await deliveries_of(delivering.db, alert.id)
    assert await eventually(lambda: _deliveries_sent(delivering, alert.id, 5), 10), (
        f"not all recorded as sent: {sent}"
    )


async def _async(value: Any) -> Any:
    return value


async def _deliveries_sent(service: Alerter, alert_id: str, count: int) -> bool:
    found = await deliveries_of(service.db, alert_id)
    return len(found) == count and all(d.status.value == "sent" and d.attempts == 1 for d in found)


async def test_a_failing_and_a_hanging_endpoint_are_retried_and_recorded_while_another_gets_it_promptly(
    delivering: Alerter, client: BusClient, receiver: HttpReceiver, publisher: NatsClient
) -> None:
    receiver.hangs["/slow"] = 30.0
    receiver.statuses["/broken"] = 500
    # Created first, so a sequential sender would reach them before the fast one.
    slow = await make_alerter(client, delivering, "slow", custom(receiver, "/slow"))
    broken = await make_alerter(client, delivering, "broken", custom(receiver, "/broken"))
    await make_alerter(client, delivering, "fast", custom(receiver, "/fast"))

    alert = cpu_alert()
    started = time.monotonic()
    event = await publish(publisher, alert)
    await arrives(receiver, "/fast", seconds=TIMEOUT)
    fast_after = receiver.at("/fast")[0].at - started
    await arrives(receiver, "/slow")
    assert receiver.at("/fast")[0].at - started < 1.0, f"the fast endpoint waited {fast_after:.2f} s"
    print(f"fast endpoint reached {fast_after * 1000:.0f} ms after the event, the slow one hanging")

    failed = await status_of(delivering, delivery_key(event.id, broken), "failed")
    assert failed.attempts == 3 and "HTTP 500" in str(failed.last_error)
    assert len(receiver.at("/broken")) == 3
    hung = await status_of(delivering, delivery_key(event.id, slow), "failed", seconds=3 * TIMEOUT + 10)
    assert hung.attempts == 3 and f"no answer within {TIMEOUT:g} s" in str(hung.last_error)


async def test_a_redelivered_event_sends_once(
    delivering: Alerter, client: BusClient, receiver: HttpReceiver, publisher: NatsClient
) -> None:
    alerter_id = await make_alerter(client, delivering, "once", custom(receiver, "/once"))
    alert = cpu_alert()
    event = await publish(publisher, alert)
    await status_of(delivering, delivery_key(event.id, alerter_id), "sent")
    # Published again under another message id (past JetStream's de-duplication), and handled again as after a
    # crash between the handler and its mark.
    await publish(publisher, alert, msg_id=f"again-{uuid.uuid4().hex}")
    await delivering.delivery.on_alert_event(event)
    control = cpu_alert()
    await publish(publisher, control)
    await arrives(receiver, "/once", count=2)  # the control arrived: the repeats had their chance
    assert [r.json()["_id"]["$oid"] for r in receiver.at("/once")] == [alert.id, control.id]


async def test_filters_choose_the_alerters(
    delivering: Alerter, client: BusClient, receiver: HttpReceiver, publisher: NatsClient
) -> None:
    server = (await client.write("CreateServer", {"name": "srv-x"}))["_id"]["$oid"]
    other = (await client.write("CreateServer", {"name": "srv-y"}))["_id"]["$oid"]
    x = {"type": "Server", "id": "srv-x"}
    y = {"type": "Server", "id": "srv-y"}
    cases = {
        "/types-yes": {"alert_types": ["ServerCpu"]},
        "/types-no": {"alert_types": ["ServerDisk"]},
        "/resources-yes": {"resources": [x]},
        "/resources-no": {"resources": [y]},
        "/except-no": {"except_resources": [x]},
        "/except-yes": {"except_resources": [y]},
        "/all-yes": {},
    }
    ids = {}
    for path, config in cases.items():
        ids[path] = await make_alerter(client, delivering, path.strip("/"), custom(receiver, path), **config)
    event = await publish(publisher, cpu_alert(server_id=server))
    for path in cases:
        if path.endswith("-yes"):
            await arrives(receiver, path)
    # Deliveries are recorded together before any is sent: those not recorded now never will be.
    recorded = {d.alerter_id for d in await deliveries_of(delivering.db, event.alert.id)}
    assert recorded == {ids[p] for p in cases if p.endswith("-yes")}
    assert all(not receiver.at(p) for p in cases if p.endswith("-no"))
    assert other


async def test_an_alerter_in_maintenance_gets_nothing(
    delivering: Alerter, client: BusClient, receiver: HttpReceiver, publisher: NatsClient
) -> None:
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    window = {
        "name": "now",
        "schedule_type": "Daily",
        "hour": now.hour,
        "minute": now.minute,
        "duration_minutes": 60,
        "timezone": "UTC",
    }
    quiet = await make_alerter(
        client, delivering, "quiet", custom(receiver, "/quiet"), maintenance_windows=[window]
    )
    later = {**window, "name": "later", "hour": (now.hour + 12) % 24}
    await make_alerter(client, delivering, "awake", custom(receiver, "/awake"), maintenance_windows=[later])
    event = await publish(publisher, cpu_alert())
    await arrives(receiver, "/awake")
    assert not receiver.at("/quiet")
    assert quiet not in {d.alerter_id for d in await deliveries_of(delivering.db, event.alert.id)}


async def test_send_alert_is_delivered_and_get_alert_shows_its_deliveries(
    delivering: Alerter, client: BusClient, receiver: HttpReceiver
) -> None:
    ok = await make_alerter(client, delivering, "ok", custom(receiver, "/ok"))
    receiver.statuses["/no"] = 500
    no = await make_alerter(client, delivering, "no", custom(receiver, "/no"))
    await client.ok("execute", "SendAlert", {"level": "WARNING", "message": "disk on fire"})
    await arrives(receiver, "/ok")
    posted = receiver.at("/ok")[0].json()
    assert posted["data"] == {"type": "Custom", "data": {"message": "disk on fire", "details": ""}}
    alert_id = posted["_id"]["$oid"]

    async def settled() -> Any:
        shown = await client.read("GetAlert", {"id": alert_id})
        states = {d["alerter_id"]: d for d in shown["deliveries"]}
        done = states.get(ok, {}).get("status") == "sent" and states.get(no, {}).get("status") == "failed"
        return states if done else None

    states = await eventually(settled, 15)
    assert states, "GetAlert did not show a sent and a failed delivery"
    assert states[no]["attempts"] == 3 and "HTTP 500" in states[no]["last_error"]
    assert states[ok]["event"] == "AlertOpened" and states[ok]["sent_ts"]


async def test_test_alerter_sends_now_and_logs_the_outcome(
    delivering: Alerter, client: BusClient, receiver: HttpReceiver
) -> None:
    await make_alerter(client, delivering, "tested", custom(receiver, "/tested"), alert_types=["ServerDisk"])
    update = await client.ok("execute", "TestAlerter", {"alerter": "tested"})
    assert update["operation"] == "TestAlerter" and update["success"] is True
    assert "sent a test alert to the Custom endpoint" in update["logs"][-1]["stdout"]
    got = receiver.at("/tested")[0].json()
    assert got["data"]["type"] == "Test" and got["data"]["data"]["name"] == "tested"

    receiver.statuses["/down"] = 503
    await make_alerter(client, delivering, "down", custom(receiver, "/down"))
    failed = await client.ok("execute", "TestAlerter", {"alerter": "down"})
    assert failed["success"] is False and "HTTP 503" in failed["logs"][-1]["stderr"]
    missing = await client.send("execute", "TestAlerter", {"alerter": "nobody"})
    assert missing.status == 404


async def test_a_secret_in_the_url_never_shows_in_a_recorded_error(
    delivering: Alerter, client: BusClient, receiver: HttpReceiver, publisher: NatsClient
) -> None:
    secret = f"tok-{uuid.uuid4().hex}"
    await client.write("CreateVariable", {"name": "HOOK_TOKEN", "value": secret, "is_secret": True})
    receiver.statuses["/hook"] = 500
    receiver.echo = True  # the receiver's error body repeats the URL it was called with
    endpoint = {"type": "Custom", "params": {"url": receiver.url("/hook") + "?token=[[HOOK_TOKEN]]"}}
    alerter_id = await make_alerter(client, delivering, "secretive", endpoint)
    event = await publish(publisher, cpu_alert())
    failed = await status_of(delivering, delivery_key(event.id, alerter_id), "failed")
    assert receiver.at("/hook")[0].headers  # it was called, with the secret in its query
    error = str(failed.last_error)
    assert "HTTP 500" in error and "token=<HOOK_TOKEN>" in error and secret not in error

    update = await client.ok("execute", "TestAlerter", {"alerter": "secretive"})
    assert update["success"] is False
    assert "<HOOK_TOKEN>" in update["logs"][-1]["stderr"] and secret not in json.dumps(update)


async def test_a_retry_left_by_a_stopped_alerter_is_sent_after_a_restart(
    settings: Settings, client: BusClient, receiver: HttpReceiver, publisher: NatsClient
) -> None:
    first = Alerter(settings.model_copy(update={"alert_delivery_backoff": 2.0}))
    await first.start()
    receiver.statuses["/later"] = 500
    try:
        alerter_id = await make_alerter(client, first, "later", custom(receiver, "/later"))
        event = await publish(publisher, cpu_alert())
        key = delivery_key(event.id, alerter_id)

        async def failed_once() -> bool:
            found = await records.get(first.db, key)
            return found is not None and found.attempts == 1 and found.last_error is not None

        assert await eventually(failed_once, 10)
    finally:
        await first.stop()
    receiver.statuses["/later"] = 200
    second = Alerter(settings)
    await second.start()
    try:
        sent = await status_of(second, key, "sent")
        assert sent.attempts == 2 and sent.last_error is None
        assert len(receiver.at("/later")) == 2
    finally:
        await second.stop()


async def test_two_replicas_send_each_delivery_once(
    settings: Settings, client: BusClient, receiver: HttpReceiver, publisher: NatsClient
) -> None:
    replicas = [Alerter(settings), Alerter(settings)]
    for replica in replicas:
        await replica.start()
    try:
        for index in range(2):
            alerter_id = await make_alerter(client, replicas[0], f"twice-{index}", custom(receiver, "/twice"))
            for replica in replicas[1:]:
                await make_known(replica, alerter_id)
        events = [await publish(publisher, cpu_alert()) for _ in range(10)]
        await arrives(receiver, "/twice", count=20)
        # Both replicas record and kick, and both sweep: still one request per (event, alerter).
        for replica in replicas:
            for event in events:
                await replica.delivery.on_alert_event(event)
        control = await publish(publisher, cpu_alert())
        await arrives(receiver, "/twice", count=22)
        ids = [r.json()["_id"]["$oid"] for r in receiver.at("/twice")]
        assert sorted(ids) == sorted([e.alert.id for e in events for _ in range(2)] + [control.alert.id] * 2)
    finally:
        for replica in replicas:
            await replica.stop()


async def make_known(service: Alerter, alerter_id: str) -> None:
    async def known() -> bool:
        await service.delivery.current()
        return service.delivery.knows(alerter_id)

    assert await eventually(known, 10)
