"""Which Alerters an alert goes to (Komodo's `send_alert_to_alerter` rules), as a pure function."""

from __future__ import annotations

from collections.abc import Iterable

from contracts.entities.alert import Alert, AlertDataVariant
from contracts.entities.alerter import Alerter
from contracts.entities.common import ResourceTarget
from services.common.maintenance import in_maintenance


def _same(a: ResourceTarget, b: ResourceTarget) -> bool:
    return a.type == b.type and a.id == b.id


def skip_reason(
    alerter: Alerter, alert: Alert, only: Iterable[str], now_ms: int, default_timezone: str = ""
) -> str | None:
    """Why `alerter` does not take `alert`, or None when it does.

    The rules, in Komodo's order: disabled; not among `only` (a SendAlert's chosen Alerters, when any); in one
    of its maintenance windows; and unless the alert is a Test: `alert_types` given and not listing its type,
    its resource in `except_resources`, `resources` given and not listing its resource.
    """
    config = alerter.config
    if not config.enabled:
        return "disabled"
    chosen = list(only)
    if chosen and alerter.id not in chosen:
        return "not chosen"
    window = in_maintenance(config.maintenance_windows, now_ms, default_timezone)
    if window is not None:
        return f"in maintenance window {window.name!r}"
    if alert.data.type == AlertDataVariant.Test.value:
        return None
    if config.alert_types and alert.data.type not in {t.value for t in config.alert_types}:
        return f"alert type {alert.data.type} not in alert_types"
    if any(_same(alert.target, excluded) for excluded in config.except_resources):
        return "resource in except_resources"
    if config.resources and not any(_same(alert.target, chosen_) for chosen_ in config.resources):
        return "resource not in resources"
    return None
