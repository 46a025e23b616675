"""TOML renderings of resources, as Komodo records them in config Updates (`prev_toml`, `current_toml`)."""

from __future__ import annotations

from typing import Any

import tomli_w


def _clean(value: Any) -> Any:
    """Drop None values (TOML has no null) and keep the rest as is."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_clean(v) for v in value if v is not None]
    return value


def resource_toml(section: str, name: str, description: str, tags: list[str], config: dict[str, Any]) -> str:
    """A `[[section]]` TOML block for one resource, with its config under `[section.config]`."""
    body: dict[str, Any] = {"name": name}
    if description:
        body["description"] = description
    if tags:
        body["tags"] = tags
    body["config"] = _clean(config)
    return tomli_w.dumps({section: [body]})


def diff_lines(before: str, after: str) -> str:
    """A unified diff of two TOML texts, for the Update log."""
    import difflib

    lines = difflib.unified_diff(
        before.splitlines(), after.splitlines(), fromfile="before", tofile="after", lineterm="", n=1
    )
    return "\n".join(lines)
