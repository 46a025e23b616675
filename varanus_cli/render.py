"""Human output: aligned tables for lists, `key: value` lines for objects, Updates with their logs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from varanus_cli.console import elapsed_text

MAX_AUTO_COLUMNS = 8
"""Columns shown for a list no table layout is defined for."""

_FIRST_COLUMNS = ("name", "username", "id", "_id")
"""Columns a generic table starts with, when present."""


def to_json(value: Any) -> str:
    """The raw answer, pretty (2-space indent), as `--json` prints it."""
    return json.dumps(value, indent=2, ensure_ascii=False)


def object_id(value: Any) -> str | None:
    """The id of a document: `_id` as `{"$oid": ...}` or a string, or `id`."""
    if not isinstance(value, dict):
        return None
    for key in ("_id", "id"):
        raw = value.get(key)
        if isinstance(raw, dict) and isinstance(raw.get("$oid"), str):
            return str(raw["$oid"])
        if isinstance(raw, str) and raw:
            return raw
    return None


def _is_time_key(key: str) -> bool:
    """Whether a key holds a unix-ms time (Komodo's `*_ts`, `*_at` and a few others)."""
    last = key.rsplit(".", 1)[-1]
    return last.endswith(("_ts", "_at")) or last in {"ts", "next_scheduled_run", "expires"}


def format_time(ms: int) -> str:
    """A unix-ms time as local `YYYY-MM-DD HH:MM:SS`; 0 means never, shown as `-`."""
    if ms <= 0:
        return "-"
    return datetime.fromtimestamp(ms / 1000).astimezone().strftime("%Y-%m-%d %H:%M:%S")


def scalar(value: Any, key: str = "") -> str:
    """One value as table or `key: value` text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int) and _is_time_key(key) and value > 10**11:
        return format_time(value)
    if isinstance(value, int) and _is_time_key(key) and value == 0:
        return "-"
    if isinstance(value, dict):
        if set(value) == {"$oid"}:
            return str(value["$oid"])
        if set(value) == {"major", "minor", "patch"}:
            return f"{value['major']}.{value['minor']}.{value['patch']}"
        if set(value) == {"type", "id"}:
            return f"{value['type']} {value['id']}".strip()
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        if all(not isinstance(item, dict | list) for item in value):
            return ", ".join(scalar(item) for item in value)
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _is_leaf(value: Any) -> bool:
    """Whether a value is shown whole (ids, versions and targets are objects shown on one line)."""
    if not isinstance(value, dict):
        return True
    return set(value) in ({"$oid"}, {"major", "minor", "patch"}, {"type", "id"}) or not value


def flatten(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """An object's leaves as dotted keys (`config.image`), in order."""
    if not isinstance(value, dict) or (prefix and _is_leaf(value)):
        return [(prefix, value)]
    out: list[tuple[str, Any]] = []
    for key, item in value.items():
        out.extend(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
    return out


def key_values(value: dict[str, Any]) -> list[str]:
    """An object as aligned `key: value` lines; multi-line text is indented below its key."""
    pairs = [(("id" if key == "_id" else key), item) for key, item in flatten(value)]
    if not pairs:
        return []
    width = max(len(key) for key, _ in pairs)
    lines: list[str] = []
    for key, item in pairs:
        text = scalar(item, key)
        if "\n" in text:
            lines.append(f"{key}:")
            lines.extend(f"    {line}" for line in text.rstrip("\n").splitlines())
        else:
            lines.append(f"{key + ':':<{width + 1}} {text}".rstrip())
    return lines


def pluck(item: Any, path: str) -> Any:
    """The value at a dotted path of an object (`info.state`); `id` also finds `_id`."""
    current = item
    for part in path.split("."):
        if not isinstance(current, dict):
            return None
        key = "_id" if part == "id" and "id" not in current and "_id" in current else part
        current = current.get(key)
    return current


@dataclass(frozen=True)
class Column:
    """A table column: its header and the dotted path of its value."""

    header: str
    path: str


def table(rows: list[Any], columns: list[Column]) -> list[str]:
    """Rows as lines of aligned columns under a header row; newlines in cells become spaces."""
    cells = [
        [scalar(pluck(row, column.path), column.path).replace("\n", " ") for column in columns]
        for row in rows
    ]
    widths = [
        max([len(column.header)] + [len(line[index]) for line in cells])
        for index, column in enumerate(columns)
    ]
    out = []
    for line in [[column.header for column in columns], *cells]:
        out.append("  ".join(text.ljust(width) for text, width in zip(line, widths, strict=True)).rstrip())
    return out


def auto_columns(rows: list[Any]) -> list[Column]:
    """Columns for a list of objects with no layout of its own: name and id first, then short leaves."""
    seen: dict[str, None] = {}
    for row in rows:
        if isinstance(row, dict):
            for key, value in flatten(row):
                if not isinstance(value, list) and (not isinstance(value, dict) or _is_leaf(value)):
                    seen.setdefault(key, None)
    keys = [key for key in _FIRST_COLUMNS if key in seen]
    if "_id" in keys and "id" in keys:
        keys.remove("_id")
    keys += [
        key for key in seen if key not in keys and any(pluck(row, key) not in (None, "", []) for row in rows)
    ]
    keys = keys[:MAX_AUTO_COLUMNS]
    headers = [key.rsplit(".", 1)[-1].lstrip("_") for key in keys]
    return [
        Column((key if headers.count(header) > 1 else header).replace("_", " ").upper(), key)
        for key, header in zip(keys, headers, strict=True)
    ]


def any_value(value: Any) -> list[str]:
    """Any answer in human form: a table for a list of objects, lines for a list of values, else key: value."""
    if isinstance(value, list):
        if value and all(isinstance(item, dict) for item in value):
            return table(value, auto_columns(value))
        return [scalar(item) for item in value]
    if isinstance(value, dict):
        return key_values(value)
    return [scalar(value)]


def is_update(value: Any) -> bool:
    """Whether an answer is an Update (an execution's answer)."""
    return isinstance(value, dict) and "operation" in value and "status" in value and "target" in value


def log_lines(log: dict[str, Any]) -> list[str]:
    """One stage log: a `==>` heading with outcome and duration, the command, then its output."""
    start, end = int(log.get("start_ts") or 0), int(log.get("end_ts") or 0)
    took = f"  {elapsed_text((end - start) / 1000)}" if start and end >= start else ""
    outcome = "ok" if log.get("success", True) else "FAILED"
    lines = [f"==> {log.get('stage', '')}  [{outcome}]{took}"]
    if log.get("command"):
        lines.append(f"    $ {log['command']}")
    lines.extend(f"    {line}" for line in str(log.get("stdout") or "").rstrip("\n").splitlines())
    lines.extend(f"    stderr| {line}" for line in str(log.get("stderr") or "").rstrip("\n").splitlines())
    return lines


def update_header(update: dict[str, Any], username: str | None = None) -> list[str]:
    """An Update's fields (everything but its logs) as `key: value` lines."""
    start, end = int(update.get("start_ts") or 0), update.get("end_ts")
    fields: list[tuple[str, str]] = [
        ("update", object_id(update) or ""),
        ("operation", str(update.get("operation", ""))),
        ("target", scalar(update.get("target"))),
        ("status", str(update.get("status", ""))),
        (
            "success",
            scalar(update.get("success")) if update.get("status") == "Complete" else "- (not finished)",
        ),
        (
            "operator",
            f"{username} ({update.get('operator', '')})" if username else str(update.get("operator", "")),
        ),
        ("started", format_time(start)),
    ]
    if isinstance(end, int) and end:
        fields.append(("ended", f"{format_time(end)} (took {elapsed_text(max(end - start, 0) / 1000)})"))
    for key in ("version", "commit_hash", "other_data"):
        if update.get(key) not in (None, "", {"major": 0, "minor": 0, "patch": 0}):
            fields.append((key.replace("_", " "), scalar(update[key])))
    width = max(len(key) for key, _ in fields)
    return [f"{key + ':':<{width + 1}} {value}".rstrip() for key, value in fields]


def update_lines(update: dict[str, Any], username: str | None = None) -> list[str]:
    """An Update in full: its fields, then each stage log."""
    lines = update_header(update, username)
    logs = update.get("logs") or []
    if logs:
        lines.append("")
    for log in logs:
        lines.extend(log_lines(log))
    return lines
