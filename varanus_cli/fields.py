"""A request's fields as command-line options, and the options back as the request's JSON params.

Each field `foo_bar` becomes `--foo-bar` (also `--foo_bar`). Text fields take the value as given; other
fields take it as JSON when it parses (`--page 2`, `--query '{"tags": ["prod"]}'`) and as text otherwise.
Booleans may be given bare (`--timestamps`), lists may be given as one JSON array or by repeating the option.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from enum import Enum
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import AliasChoices, AliasPath, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from contracts.api.base import Request
from varanus_cli.errors import UsageError

RESERVED = frozenset({"help"})
"""Field names that cannot become options (`--help` is argparse's); such fields go through `--params`."""


def _strip(annotation: Any) -> list[Any]:
    """The alternatives of a type, without Annotated, Optional's None and nested unions."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _strip(get_args(annotation)[0])
    if origin in (Union, UnionType):
        out: list[Any] = []
        for arg in get_args(annotation):
            if arg is not type(None):
                out.extend(_strip(arg))
        return out
    return [annotation]


def _is_text(annotation: Any) -> bool:
    """Whether a value of this type is written as plain text (str, string enums, string literals)."""
    if annotation is str:
        return True
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return all(isinstance(member.value, str) for member in annotation)
    if get_origin(annotation) is Literal:
        return all(isinstance(arg, str) for arg in get_args(annotation))
    return False


def _choices(annotation: Any) -> list[str]:
    """The allowed values of a string enum or literal, else none."""
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return [str(member.value) for member in annotation]
    if get_origin(annotation) is Literal:
        return [str(arg) for arg in get_args(annotation)]
    return []


@dataclass(frozen=True)
class FieldOption:
    """One request field as a command-line option."""

    name: str
    """The field name, also its key in the params JSON."""
    shape: Literal["text", "bool", "list", "json"]
    """How values are read: as text, as a flag with an optional value, repeatable, or as JSON."""
    items_text: bool
    """For lists: whether the items are text (kept as given rather than parsed as JSON)."""
    required: bool
    description: str
    default: str | None
    """The default as shown in help, None when required or not worth showing."""
    choices: tuple[str, ...]
    """Allowed text values (string enums)."""
    type_name: str
    """What to write in the metavar: TEXT, INT, JSON ..."""

    @property
    def flags(self) -> list[str]:
        """`--foo-bar` first, then `--foo_bar` when it differs."""
        dashed = f"--{self.name.replace('_', '-')}"
        return [dashed] if dashed == f"--{self.name}" else [dashed, f"--{self.name}"]

    @property
    def dest(self) -> str:
        """The argparse destination (prefixed, so no field collides with a varanus option)."""
        return f"field__{self.name}"


def _type_name(kinds: list[Any]) -> str:
    """The metavar of a value of these types."""
    if all(kind is bool for kind in kinds):
        return "BOOL"
    if all(kind is int for kind in kinds):
        return "INT"
    if all(kind in (int, float) for kind in kinds):
        return "NUMBER"
    if any(_is_text(kind) for kind in kinds):
        return "TEXT"
    return "JSON"


def _default_text(info: FieldInfo) -> str | None:
    """A field's default as help shows it; None when required or empty (nothing worth saying)."""
    if info.is_required():
        return None
    if info.default_factory is not None:
        return None
    value = info.default
    if value is PydanticUndefined or value is None or value in ("", [], {}):
        return None
    if isinstance(value, Enum):
        return str(value.value)
    return json.dumps(value) if not isinstance(value, str) else value


def field_options(cls: type[Request]) -> list[FieldOption]:
    """The options of a request's fields, in declaration order (fields named like argparse's own left out)."""
    out: list[FieldOption] = []
    for name, info in cls.model_fields.items():
        if name in RESERVED:
            continue
        kinds = _strip(info.annotation)
        lists = [kind for kind in kinds if get_origin(kind) is list]
        if kinds and all(kind is bool for kind in kinds):
            shape: Literal["text", "bool", "list", "json"] = "bool"
        elif lists and len(lists) == len(kinds):
            shape = "list"
        elif kinds and all(_is_text(kind) for kind in kinds):
            shape = "text"
        else:
            shape = "json"
        item_kinds = _strip(get_args(lists[0])[0]) if lists and get_args(lists[0]) else [Any]
        choices: list[str] = []
        for kind in kinds:
            choices.extend(_choices(kind))
        out.append(
            FieldOption(
                name=name,
                shape=shape,
                items_text=any(_is_text(kind) for kind in item_kinds),
                required=info.is_required(),
                description=(info.description or "").strip(),
                default=_default_text(info),
                choices=tuple(choices),
                type_name=_type_name(item_kinds if shape == "list" else kinds),
            )
        )
    return out


def add_field_options(group: argparse._ArgumentGroup, options: list[FieldOption]) -> None:
    """Add one argparse option per field; values are kept as the strings typed, converted later."""
    for option in options:
        notes = []
        if option.required:
            notes.append("required")
        if option.choices:
            notes.append("one of " + ", ".join(option.choices))
        if option.default is not None:
            notes.append(f"default {option.default}")
        if option.shape == "list":
            notes.append("repeat the option or give a JSON array")
        text = option.description + (f" ({'; '.join(notes)})" if notes else "")
        # argparse expands % in help; field descriptions may hold a literal %.
        text = text.replace("%", "%%")
        settings: dict[str, Any]
        if option.shape == "bool":
            settings = {"nargs": "?", "const": "true", "metavar": option.type_name}
        elif option.shape == "list":
            settings = {"action": "append", "metavar": option.type_name}
        else:
            settings = {"metavar": option.type_name}
        shown, *hidden = option.flags
        group.add_argument(shown, dest=option.dest, help=text, **settings)
        # Komodo spells fields with underscores; accept that spelling too without listing it twice.
        for flag in hidden:
            group.add_argument(flag, dest=option.dest, help=argparse.SUPPRESS, **settings)


def _value(text: str, as_text: bool) -> Any:
    """The value of one option: text kept as is for text fields, else JSON when it parses."""
    if as_text:
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def _list_value(texts: list[str], items_text: bool) -> Any:
    """A list option: one JSON array as given, or each occurrence as one item."""
    if len(texts) == 1 and texts[0].lstrip().startswith("["):
        try:
            parsed = json.loads(texts[0])
        except ValueError:
            parsed = None
        if isinstance(parsed, list):
            return parsed
    return [_value(text, items_text) for text in texts]


def accepted_keys(cls: type[Request]) -> dict[str, str]:
    """Every params key the request accepts (field names and their aliases), mapped to the field name."""
    keys: dict[str, str] = {}
    for name, info in cls.model_fields.items():
        keys[name] = name
        if info.alias:
            keys[info.alias] = name
        alias = info.validation_alias
        choices = alias.choices if isinstance(alias, AliasChoices) else [alias] if alias else []
        for choice in choices:
            if isinstance(choice, str):
                keys[choice] = name
            elif isinstance(choice, AliasPath) and isinstance(choice.path[0], str):
                keys[choice.path[0]] = name
    return keys


def parse_params_json(text: str | None) -> dict[str, Any]:
    """The `--params` object, or a usage error saying why it is not one."""
    if text is None:
        return {}
    try:
        value = json.loads(text)
    except ValueError as err:
        raise UsageError(f"--params is not valid JSON: {err}") from err
    if not isinstance(value, dict):
        raise UsageError('--params must be a JSON object, e.g. --params \'{"deployment": "web"}\'')
    return value


def collect_params(
    cls: type[Request], options: list[FieldOption], values: argparse.Namespace, params_json: str | None
) -> dict[str, Any]:
    """The request's params: the `--params` object, overridden by the field options that were given."""
    params = parse_params_json(params_json)
    keys = accepted_keys(cls)
    unknown = sorted(key for key in params if key not in keys)
    if unknown:
        raise UsageError(
            f"{cls.__name__} has no field {unknown[0]!r} (in --params)",
            [f"its fields: {', '.join(cls.model_fields) or 'none'}"],
        )
    for option in options:
        given = getattr(values, option.dest, None)
        if given is None:
            continue
        # A field given both ways: the option wins, and the --params spelling (maybe an alias) goes.
        for key in [key for key, field in keys.items() if field == option.name]:
            params.pop(key, None)
        if option.shape == "list":
            params[option.name] = _list_value(given, option.items_text)
        else:
            params[option.name] = _value(given, option.shape == "text")
    return params


def query_filters(cls: type[Request]) -> Literal["query", "top"] | None:
    """Where a request takes tag and search-term filters: in its `query` object, at its top, or nowhere."""
    info = cls.model_fields.get("query")
    if info is not None:
        for kind in _strip(info.annotation):
            fields = getattr(kind, "model_fields", None)
            if isinstance(fields, dict) and "tags" in fields and "terms" in fields:
                return "query"
    if "tags" in cls.model_fields and "terms" in cls.model_fields:
        return "top"
    return None


def _option_of(cls: type[Request], key: str) -> str:
    """The option that sets the field a params key (maybe an alias) belongs to."""
    field = accepted_keys(cls).get(key, key)
    return f"--{field.replace('_', '-')}"


def validate(cls: type[Request], params: dict[str, Any]) -> None:
    """Check the params against the request model; a usage error names each field that is wrong."""
    try:
        cls.model_validate(params)
    except ValidationError as err:
        problems: list[str] = []
        for error in err.errors(include_url=False):
            location = [str(part) for part in error["loc"]]
            if not location:
                problems.append(error["msg"])
                continue
            where = _option_of(cls, location[0]) + ("." + ".".join(location[1:]) if location[1:] else "")
            if error["type"] == "missing" and len(location) == 1:
                problems.append(f"missing {where} (required)")
            else:
                problems.append(
                    f"invalid {where}: {error['msg']} (got {json.dumps(error.get('input'), default=str)})"
                )
        raise UsageError(f"bad params for {cls.__name__}: {problems[0]}", problems[1:]) from err
