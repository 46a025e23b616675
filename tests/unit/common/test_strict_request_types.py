"""A request's JSON types are taken as they are, as Komodo's serde takes them: found by bench/fuzz_api.py, whose
schema-breaking bodies (`"limit": false`, `"update_available": 0`) were answered 200."""

from __future__ import annotations

import pytest

from contracts.api.base import find_request
from contracts.catalog import load_all
from services.common.bus import parse_request
from services.common.errors import BadRequest


@pytest.mark.parametrize(
    ("kind", "name", "body", "field"),
    [
        ("read", "ListDeployments", b'{"limit": false}', "limit"),
        ("read", "ListDeployments", b'{"sort_desc": 0.0}', "sort_desc"),
        ("read", "ListFullProcedures", b'{"page": true}', "page"),
        ("read", "ListStacks", b'{"query": {"specific": {"update_available": 0}}}', "update_available"),
        ("read", "ListDeployments", b'{"limit": "5"}', "limit"),
    ],
)
def test_a_wrong_json_type_is_a_400_naming_the_field(kind: str, name: str, body: bytes, field: str) -> None:
    load_all()
    request_cls = find_request(kind, name)
    assert request_cls is not None
    with pytest.raises(BadRequest) as refused:
        parse_request(request_cls, body)
    assert refused.value.message.startswith(f"invalid {name} request: ")
    assert field in refused.value.message


def test_the_right_types_and_unknown_fields_pass() -> None:
    load_all()
    request_cls = find_request("read", "ListStacks")
    assert request_cls is not None
    body = b'{"limit": 5, "query": {"specific": {"update_available": true}}, "sent_by_a_newer_client": 1}'
    request = parse_request(request_cls, body)
    assert request.limit == 5  # type: ignore[attr-defined]
