"""Komodo's batch patterns: which resources a `Batch*` execution acts on."""

from __future__ import annotations

import fnmatch
import re

from services.common.errors import BadRequest


def parse_pattern(pattern: str) -> list[str]:
    """The items of a pattern: comma- or newline-separated, blanks dropped."""
    return [item.strip() for line in pattern.splitlines() for item in line.split(",") if item.strip()]


def matches(item: str, name: str, resource_id: str) -> bool:
    """Whether one pattern item picks a resource: its id or name, a `*` wildcard, or a `\\regex\\`."""
    if len(item) >= 2 and item.startswith("\\") and item.endswith("\\"):
        try:
            return re.search(item[1:-1], name) is not None
        except re.error as err:
            raise BadRequest(f"pattern: {item!r} is not a valid regular expression ({err})") from None
    if "*" in item:
        return fnmatch.fnmatchcase(name, item)
    return item in (name, resource_id)


def select(pattern: str, resources: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The (id, name) pairs the pattern picks, in the given order; a 400 when the pattern is empty."""
    items = parse_pattern(pattern)
    if not items:
        raise BadRequest(
            "pattern: give names, ids, wildcards (web-*) or \\regex\\, comma or newline separated"
        )
    return [(rid, name) for rid, name in resources if any(matches(item, name, rid) for item in items)]
