"""Checks of a kind's config beyond its model, run when a resource is created, copied or updated: what would
only fail later (at the next alert, or never visibly) is a 400 at write time, naming the field.

- Alerter: the endpoint URL (http(s) for Komodo's kinds, a URL apprise accepts for `Apprise`), the message
  template's syntax, and its maintenance windows.
- Server: its maintenance windows.

A maintenance window is invalid with an unknown time zone, a bad weekday or date, or no duration
(`services/common/maintenance.problems`). Unknown alert types in `alert_types` are refused by the model.
"""

from __future__ import annotations

from typing import Any

from jinja2 import TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment

from contracts.entities.alerter import AlerterConfig
from contracts.entities.common import ResourceTargetVariant
from contracts.entities.server import ServerConfig
from services.common.alert_urls import url_problem
from services.common.maintenance import problems as window_problems


def template_problem(template: str) -> str | None:
    """Why a message template cannot be parsed, or None."""
    if not template.strip():
        return None
    try:
        SandboxedEnvironment().parse(template)
    except TemplateSyntaxError as err:
        return f"line {err.lineno}: {err.message}"
    return None


def problems(variant: ResourceTargetVariant, config: Any) -> list[str]:
    """What is wrong with a validated config of `variant`, each naming its field; empty when nothing."""
    found: list[str] = []
    if isinstance(config, AlerterConfig) and variant == ResourceTargetVariant.Alerter:
        endpoint = config.endpoint
        problem = url_problem(endpoint.type, endpoint.params.url)
        if problem is not None:
            found.append(f"config.endpoint.params.url: {problem}")
        bad_template = template_problem(config.message_template)
        if bad_template is not None:
            found.append(f"config.message_template: not a valid Jinja2 template ({bad_template})")
    if isinstance(config, AlerterConfig | ServerConfig):
        found += [f"config.maintenance_windows: {p}" for p in window_problems(config.maintenance_windows)]
    return found
