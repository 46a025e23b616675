"""An action's ARGS: default arguments in each of Komodo's formats, deep-merged with a run's args."""

from __future__ import annotations

import pytest

from contracts.entities.action import ActionConfig, ActionLanguage
from contracts.entities.common import FileFormat
from services.common.errors import BadRequest
from services.executor.actions.arguments import deep_merge, parse_arguments
from services.executor.actions.scripts import gateway_host


def test_each_format_parses_to_an_object() -> None:
    assert parse_arguments("# c\nA=1\nB: two\n\nURL=http://x?a=b", FileFormat.KeyValue) == {
        "A": "1",
        "B": "two",
        "URL": "http://x?a=b",
    }
    assert parse_arguments('a = 1\n[b]\nc = "x"', FileFormat.Toml) == {"a": 1, "b": {"c": "x"}}
    assert parse_arguments("a: 1\nb:\n  c: x", FileFormat.Yaml) == {"a": 1, "b": {"c": "x"}}
    assert parse_arguments('{"a": [1]}', FileFormat.Json) == {"a": [1]}
    assert parse_arguments("  ", FileFormat.Json) == {}


@pytest.mark.parametrize(
    ("text", "form"),
    [
        ("nokey", FileFormat.KeyValue),
        ("a = ", FileFormat.Toml),
        ("[1, 2]", FileFormat.Json),
        ("{", FileFormat.Json),
    ],
)
def test_bad_arguments_are_a_400(text: str, form: FileFormat) -> None:
    with pytest.raises(BadRequest, match="arguments"):
        parse_arguments(text, form)


def test_deep_merge_merges_objects_and_replaces_the_rest() -> None:
    base = {"a": {"x": 1, "y": 2}, "b": [1], "c": "keep"}
    assert deep_merge(base, {"a": {"y": 3}, "b": [2]}) == {"a": {"x": 1, "y": 3}, "b": [2], "c": "keep"}
    assert base["a"] == {"x": 1, "y": 2}


def test_language_defaults_to_typescript() -> None:
    assert ActionConfig().language == ActionLanguage.TypeScript
    assert ActionConfig.model_validate({"language": "Python"}).language == ActionLanguage.Python


def test_gateway_host_for_deno_permissions() -> None:
    assert gateway_host("http://127.0.0.1:9120") == "127.0.0.1:9120"
    assert gateway_host("https://komodo.example.com/") == "komodo.example.com:443"
    with pytest.raises(BadRequest, match="VARANUS_GATEWAY_URL"):
        gateway_host("nats://x")
