"""Name rules and the ListUpdates filter guard of the registry."""

from __future__ import annotations

import pytest

from services.common.errors import BadRequest
from services.registry.names import validate_name
from services.registry.updates import sanitize_update_query


@pytest.mark.parametrize("name", ["web", "web-01", "my app", "api_v2.1", "ünïcode"])
def test_good_names(name: str) -> None:
    assert validate_name(name, "Deployment") == name


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "must not be empty"),
        ("x" * 129, "limit is 128"),
        (" web", "whitespace"),
        ("..", "not allowed"),
        ("../etc", "not allowed"),
        ("a/b", "not allowed"),
        ("a;rm -rf", "not allowed"),
        ("tab\there", "not allowed"),
        ("65a1b2c3d4e5f6a7b8c9d0e1", "object id"),
    ],
)
def test_bad_names(name: str, message: str) -> None:
    with pytest.raises(BadRequest, match=message):
        validate_name(name, "Deployment")


def test_update_query_keeps_supported_filters() -> None:
    query = {
        "target": {"type": "Deployment", "id": "abc"},
        "operation": {"$in": ["Deploy", "PullDeployment"]},
        "start_ts": {"$gte": 10},
        "$or": [{"success": False}, {"status": "InProgress"}],
    }
    assert sanitize_update_query(query) == {
        "target.type": "Deployment",
        "target.id": "abc",
        "operation": {"$in": ["Deploy", "PullDeployment"]},
        "start_ts": {"$gte": 10},
        "$or": [{"success": False}, {"status": "InProgress"}],
    }


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"$where": "sleep(1000)"}, "not supported"),
        ({"logs.stdout": "x"}, "not supported"),
        ({"operation": {"$regex": ".*"}}, "operator '\\$regex'"),
        ({"operator": {"$in": [{"$gt": ""}]}}, "plain values"),
        ({"operation": ["a"]}, "plain value"),
    ],
)
def test_update_query_refuses_the_rest(query: dict[str, object], message: str) -> None:
    with pytest.raises(BadRequest, match=message):
        sanitize_update_query(query)
