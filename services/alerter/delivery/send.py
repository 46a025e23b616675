"""Sending one alert to one Alerter's endpoint: Komodo's endpoint kinds over HTTP, and any apprise URL.

The URL is interpolated first (`[[NAME]]` from the variables and the config file's secrets); every error that
leaves this module has each secret value replaced by `<NAME>`, so a recorded failure or a log line never shows
one. A send either returns (the endpoint took it) or raises `DeliveryError` with a message safe to store.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Final

import apprise
import httpx

from contracts.entities.alert import Alert
from contracts.entities.alerter import (
    AlerterConfig,
    AlerterEndpointApprise,
    AlerterEndpointCustom,
    AlerterEndpointDiscord,
    AlerterEndpointNtfy,
    AlerterEndpointPushover,
    AlerterEndpointSlack,
)
from contracts.entities.common import SeverityLevel
from services.alerter.delivery import messages
from services.alerter.delivery.messages import Message
from services.common.alert_urls import url_problem
from services.common.interpolation import Interpolation

log = logging.getLogger(__name__)

ERROR_BODY_CHARS: Final = 300
"""Characters of an endpoint's error answer kept in the recorded error."""
NOTIFY_TYPES: Final = {
    SeverityLevel.Ok: apprise.NotifyType.SUCCESS,
    SeverityLevel.Warning: apprise.NotifyType.WARNING,
    SeverityLevel.Critical: apprise.NotifyType.FAILURE,
}
"""The apprise message type of each level."""


class DeliveryError(Exception):
    """A send failed; the message is redacted and may be stored and shown."""


def endpoint_url(config: AlerterConfig) -> str:
    """The URL of an Alerter's endpoint as written."""
    return config.endpoint.params.url


async def send(
    config: AlerterConfig,
    alert: Alert,
    msg: Message,
    interpolation: Interpolation,
    timeout: float,
    client: httpx.AsyncClient | None = None,
) -> None:
    """Send `alert` (as `msg`) to the Alerter's endpoint within `timeout` seconds; raises DeliveryError."""
    redact: Callable[[str], str] = interpolation.redact
    endpoint = config.endpoint
    kind = endpoint.type
    missing = interpolation.missing([endpoint_url(config)])
    if missing:
        names = ", ".join(f"[[{name}]]" for name in missing)
        raise DeliveryError(f"{kind}: no variable or secret named {names}")
    url = interpolation.apply(endpoint_url(config))
    problem = url_problem(kind, url)
    if problem is not None:
        raise DeliveryError(redact(f"{kind}: {problem}"))
    try:
        async with asyncio.timeout(timeout):
            if isinstance(endpoint, AlerterEndpointApprise):
                await _send_apprise(url, alert, msg)
            else:
                await _send_http(endpoint, url, alert, msg, timeout, client)
    except DeliveryError as err:
        raise DeliveryError(redact(str(err))) from None
    except TimeoutError:
        raise DeliveryError(f"{kind}: no answer within {timeout:g} s") from None
    except httpx.HTTPError as err:
        raise DeliveryError(redact(f"{kind}: {type(err).__name__}: {err}")) from None
    except Exception as err:
        log.warning("alert delivery to a %s endpoint failed: %s", kind, redact(repr(err)))
        raise DeliveryError(redact(f"{kind}: {type(err).__name__}: {err}")) from None


async def _send_http(
    endpoint: AlerterEndpointCustom
    | AlerterEndpointSlack
    | AlerterEndpointDiscord
    | AlerterEndpointNtfy
    | AlerterEndpointPushover,
    url: str,
    alert: Alert,
    msg: Message,
    timeout: float,
    client: httpx.AsyncClient | None,
) -> None:
    async with _client(client, timeout) as http:
        if isinstance(endpoint, AlerterEndpointCustom):
            answer = await http.post(url, json=messages.custom_body(alert))
        elif isinstance(endpoint, AlerterEndpointSlack):
            answer = await http.post(url, json=messages.slack_body(msg.text, msg.link))
        elif isinstance(endpoint, AlerterEndpointDiscord):
            answer = await http.post(url, json=messages.discord_body(msg.text))
        elif isinstance(endpoint, AlerterEndpointNtfy):
            answer = await http.post(url, content=msg.text.encode(), headers=messages.ntfy_headers(endpoint))
        else:
            answer = await http.post(url, data=messages.pushover_form(msg.text))
    if answer.status_code >= 300:
        body = answer.text[:ERROR_BODY_CHARS].strip()
        raise DeliveryError(
            f"{endpoint.type}: the endpoint answered HTTP {answer.status_code}"
            + (f": {body}" if body else "")
        )


class _client:
    """The shared client when given, else one for this send (closed after it)."""

    def __init__(self, client: httpx.AsyncClient | None, timeout: float) -> None:
        self.given = client
        self.timeout = timeout
        self.own: httpx.AsyncClient | None = None

    async def __aenter__(self) -> httpx.AsyncClient:
        if self.given is not None:
            return self.given
        self.own = httpx.AsyncClient(timeout=self.timeout, follow_redirects=False)
        return self.own

    async def __aexit__(self, *exc: object) -> None:
        if self.own is not None:
            await self.own.aclose()


async def _send_apprise(url: str, alert: Alert, msg: Message) -> None:
    notifier = apprise.Apprise()
    if not notifier.add(url):
        raise DeliveryError("Apprise: apprise does not accept this URL")
    result = await notifier.async_notify(
        title=msg.title, body=msg.text, notify_type=NOTIFY_TYPES[messages.shown_level(alert)]
    )
    if bool(result):
        return
    reasons: list[str] = []
    for one in getattr(result, "results", []) or []:
        reasons += [entry.message for entry in one.logs()]
    status = getattr(getattr(result, "status", None), "name", "FAILURE")
    detail = "; ".join(reasons[-3:]) if reasons else "no detail"
    raise DeliveryError(f"Apprise: {status}: {detail}")
