"""An action's ARGS: its default `arguments`, parsed per `arguments_format`, deep-merged with a run's `args`."""

from __future__ import annotations

import json
import tomllib
from typing import Any

import yaml

from contracts.entities.common import FileFormat
from services.common.errors import BadRequest


def key_values(text: str) -> dict[str, Any]:
    """Komodo's key_value format: one `KEY=value` (or `KEY: value`) a line, `#` comments; values stay strings."""
    found: dict[str, Any] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        line = line.removeprefix("- ")
        eq, colon = line.find("="), line.find(": ")
        cut = eq if eq >= 0 and (colon < 0 or eq < colon) else colon
        if cut <= 0:
            raise BadRequest(f"arguments: {line!r} is not KEY=value")
        key = line[:cut].strip()
        value = line[cut + (1 if cut == eq else 2) :].strip()
        found[key] = value
    return found


def parse_arguments(text: str, form: FileFormat) -> dict[str, Any]:
    """The default arguments as an object; a 400 saying what cannot be parsed."""
    if not text.strip():
        return {}
    try:
        match form:
            case FileFormat.KeyValue:
                parsed: Any = key_values(text)
            case FileFormat.Toml:
                parsed = tomllib.loads(text)
            case FileFormat.Yaml:
                parsed = yaml.safe_load(text)
            case FileFormat.Json:
                parsed = json.loads(text)
    except (ValueError, yaml.YAMLError) as err:
        raise BadRequest(f"arguments are not valid {form.value}: {err}") from None
    if not isinstance(parsed, dict):
        raise BadRequest(f"arguments ({form.value}) must be an object of named values")
    return parsed


def deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """`base` with `over` laid on top: objects merged key by key, anything else replaced."""
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged
