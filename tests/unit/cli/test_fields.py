"""Request fields as options, and options back as params: how values are read and checked."""

from __future__ import annotations

import pytest

from contracts.api.base import Request
from varanus_cli.catalog import request_class
from varanus_cli.errors import UsageError
from varanus_cli.fields import collect_params, field_options, query_filters, validate
from varanus_cli.parser import request_parser


def parse(kind: str, name: str, *args: str) -> tuple[type[Request], dict[str, object]]:
    cls = request_class(kind, name)
    parser, options = request_parser(kind, cls)
    values = parser.parse_args(list(args))
    params = collect_params(cls, options, values, getattr(values, "params", None))
    validate(cls, params)
    return cls, params


def test_option_shapes_follow_the_field_types() -> None:
    shapes = {
        option.name: (option.shape, option.type_name)
        for option in field_options(request_class("read", "GetStackLog"))
    }
    assert shapes == {
        "stack": ("text", "TEXT"),
        "services": ("list", "TEXT"),
        "tail": ("json", "INT"),
        "timestamps": ("bool", "BOOL"),
    }
    signal = {option.name: option for option in field_options(request_class("execute", "StopDeployment"))}[
        "signal"
    ]
    assert signal.shape == "text" and signal.choices == ("SIGHUP", "SIGINT", "SIGQUIT", "SIGTERM")


def test_text_stays_text_other_values_are_json() -> None:
    _, params = parse("read", "GetDeploymentLog", "--deployment", "123", "--tail", "50", "--timestamps")
    assert params == {"deployment": "123", "tail": 50, "timestamps": True}
    _, params = parse("read", "GetDeploymentLog", "--deployment", "web", "--timestamps", "false")
    assert params == {"deployment": "web", "timestamps": False}
    _, params = parse("read", "ListDeployments", "--query", '{"tags": ["prod"]}', "--sort-desc")
    assert params == {"query": {"tags": ["prod"]}, "sort_desc": True}


def test_lists_by_repetition_or_json_array() -> None:
    _, repeated = parse("read", "GetStackLog", "--stack", "s", "--services", "web", "--services", "42")
    assert repeated["services"] == ["web", "42"]  # text items stay text
    _, array = parse("read", "GetStackLog", "--stack", "s", "--services", '["a", "b"]')
    assert array["services"] == ["a", "b"]


def test_underscore_spelling_and_params_object() -> None:
    _, params = parse("write", "CreateServer", "--name", "x", "--public_key", "abc")
    assert params == {"name": "x", "public_key": "abc"}
    # The option overrides the same field in --params, even when --params spells it by an alias.
    _, params = parse("write", "RenameBuild", "--params", '{"id": "old", "name": "new"}', "--name", "newer")
    assert params == {"id": "old", "name": "newer"}
    _, params = parse("read", "GetRepo", "--params", '{"name": "r"}', "--repo", "other")
    assert params == {"repo": "other"}


def test_bad_params_are_usage_errors_naming_the_field() -> None:
    with pytest.raises(UsageError, match=r"GetDeployment has no field 'deploymnt' \(in --params\)"):
        parse("read", "GetDeployment", "--params", '{"deploymnt": "x"}')
    with pytest.raises(UsageError, match=r"missing --deployment \(required\)"):
        parse("read", "GetDeployment")
    with pytest.raises(UsageError, match=r"invalid --tail: .*integer.*\(got \"lots\"\)"):
        parse("read", "GetDeploymentLog", "--deployment", "web", "--tail", "lots")
    with pytest.raises(UsageError, match=r"invalid --signal"):
        parse("execute", "StopDeployment", "--deployment", "web", "--signal", "SIGKILL")
    with pytest.raises(UsageError, match="--params must be a JSON object"):
        parse("read", "GetDeployment", "--params", "[1]")
    with pytest.raises(UsageError) as nested:
        parse("read", "ListDeployments", "--query", '{"tags": "prod"}')
    assert nested.value.message.startswith("bad params for ListDeployments: invalid --query.tags:")


def test_unknown_option_exits_2() -> None:
    cls = request_class("read", "GetDeployment")
    parser, _ = request_parser("read", cls)
    with pytest.raises(SystemExit) as exit_:
        parser.parse_args(["--deploymnt", "web"])
    assert exit_.value.code == 2


def test_cli_options_give_way_to_fields_of_the_same_name() -> None:
    parser, _ = request_parser("write", request_class("write", "CreateServer"))
    values = parser.parse_args(["--name", "x", "--config", '{"region": "eu"}', "--json"])
    assert (
        values.field__config == '{"region": "eu"}' and values.json is True and not hasattr(values, "config")
    )
    parser, _ = request_parser("execute", request_class("execute", "RunStackService"))
    values = parser.parse_args(["--stack", "s", "--service", "web", "--detach", "-y"])
    assert values.field__detach == "true" and not hasattr(values, "detach") and values.yes is True


def test_query_filters() -> None:
    assert query_filters(request_class("read", "ListDeployments")) == "query"
    assert query_filters(request_class("read", "ListSchedules")) == "top"
    assert query_filters(request_class("read", "ListTags")) is None
