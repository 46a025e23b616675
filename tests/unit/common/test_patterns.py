"""Komodo's batch patterns."""

from __future__ import annotations

import pytest

from services.common.errors import BadRequest
from services.common.patterns import parse_pattern, select

RESOURCES = [("id1", "web-1"), ("id2", "web-2"), ("id3", "db"), ("id4", "worker")]


def test_items_are_comma_or_newline_separated():
    assert parse_pattern("a, b\nc,\n\n d ") == ["a", "b", "c", "d"]


@pytest.mark.parametrize(
    ("pattern", "picked"),
    [
        ("web-*", ["web-1", "web-2"]),
        ("db, worker", ["db", "worker"]),
        ("id2\nid3", ["web-2", "db"]),
        ("\\^w.*r$\\", ["worker"]),
        ("\\-\\d\\", ["web-1", "web-2"]),
        ("nothing", []),
    ],
)
def test_select(pattern: str, picked: list[str]):
    assert [name for _, name in select(pattern, RESOURCES)] == picked


def test_bad_patterns_say_what_is_wrong():
    with pytest.raises(BadRequest, match="give names"):
        select(" , ", RESOURCES)
    with pytest.raises(BadRequest, match="not a valid regular expression"):
        select("\\(\\", RESOURCES)
