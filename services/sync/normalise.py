"""Configs in one canonical form, so a resource that matches its file shows no diff.

Both sides go through the kind's config model with its defaults (Komodo merges a TOML partial onto the
default config: a field the file leaves out is the default), and references are names on both sides (the
system stores ids). Secret fields a file leaves out keep the stored value: exports never write them.
"""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import AliasChoices, BaseModel, ValidationError

from contracts.api.base import REQUESTS
from contracts.catalog import load_all
from contracts.entities.common import ResourceTargetVariant
from services.sync.kinds import EXECUTION_TARGETS, TOML_NAMES, Reference, SyncKind
from services.sync.state import Current
from services.sync.toml_files import DeclaredResource, SyncFileError

Resolve = typing.Callable[[ResourceTargetVariant, str], str]
"""Turns a reference (id or name) into a name."""


def _get(data: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def _walk(config: dict[str, Any], ref: Reference, change: typing.Callable[[str, str], str]) -> None:
    """Apply `change(path, value)` to every value of a reference in `config` (in place)."""
    if ref.when is not None and _get(config, ref.when[0]) != ref.when[1]:
        return

    def visit(node: Any, parts: list[str], shown: str) -> Any:
        if not parts:
            return change(shown, node) if isinstance(node, str) and node else node
        head, rest = parts[0], parts[1:]
        if head == "*":
            if isinstance(node, list):
                return [visit(item, rest, shown) for item in node]
            return node
        if isinstance(node, dict) and head in node:
            node[head] = visit(node[head], rest, f"{shown}.{head}" if shown else head)
        return node

    visit(config, ref.path.split("."), "")


def _executions(
    config: dict[str, Any], change: typing.Callable[[ResourceTargetVariant, str, str], str]
) -> None:
    for s, stage in enumerate(config.get("stages") or []):
        for e, item in enumerate(stage.get("executions") or []):
            params = (item.get("execution") or {}).get("params") or {}
            for key, variant in EXECUTION_TARGETS.items():
                value = params.get(key)
                if isinstance(value, str) and value:
                    params[key] = change(variant, f"stages[{s}].executions[{e}].params.{key}", value)


def _alerter_targets(config: dict[str, Any], resolve: Resolve) -> None:
    for field in ("resources", "except_resources"):
        for target in config.get(field) or []:
            if isinstance(target, dict) and isinstance(target.get("id"), str):
                try:
                    variant = ResourceTargetVariant(str(target.get("type")))
                except ValueError:
                    continue
                target["id"] = resolve(variant, target["id"])


def names_for_ids(kind: SyncKind, config: dict[str, Any], resolve: Resolve) -> dict[str, Any]:
    """The config (changed in place) with every reference as a name."""
    for ref in kind.references:
        _walk(config, ref, lambda _path, value, ref=ref: resolve(ref.target, value))  # type: ignore[misc]
    if kind.variant == ResourceTargetVariant.Procedure:
        _executions(config, lambda variant, _path, value: resolve(variant, value))
    if kind.variant == ResourceTargetVariant.Alerter:
        _alerter_targets(config, resolve)
    return config


def dump(kind: SyncKind, config: Any) -> dict[str, Any]:
    """A validated config as JSON."""
    dumped: dict[str, Any] = kind.config_adapter.dump_python(config, mode="json", by_alias=True)
    return dumped


def current_config(kind: SyncKind, config: Any, current: Current) -> dict[str, Any]:
    """A stored config, canonical: defaults filled, references as names."""
    return names_for_ids(kind, dump(kind, config), current.name_of)


def _allowed(model: type[BaseModel]) -> dict[str, Any]:
    allowed: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        allowed[name] = info.annotation
        if info.alias:
            allowed[info.alias] = info.annotation
        if isinstance(info.validation_alias, AliasChoices):
            for choice in info.validation_alias.choices:
                if isinstance(choice, str):
                    allowed[choice] = info.annotation
        elif isinstance(info.validation_alias, str):
            allowed[info.validation_alias] = info.annotation
    return allowed


def _model_of(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def unknown_field(annotation: Any, data: Any, path: str) -> str | None:
    """The dotted path of the first field `data` gives that the model (nested models and lists of them) does
    not have; None when all are known. Tagged unions are checked against the member their `type` names."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) in (
        typing.Union,
        typing.Annotated,
    ):
        args = typing.get_args(annotation)
        if typing.get_origin(annotation) is typing.Annotated:
            return unknown_field(args[0], data, path)
        if isinstance(data, dict) and isinstance(data.get("type"), str):
            for member in args:
                model = _model_of(member)
                tagged = model is not None and "type" in model.model_fields
                if tagged and model.model_fields["type"].default == data["type"]:  # type: ignore[union-attr]
                    return unknown_field(model, data, path)
        return None
    if typing.get_origin(annotation) is list and isinstance(data, list):
        (inner,) = typing.get_args(annotation) or (Any,)
        for i, item in enumerate(data):
            found = unknown_field(inner, item, f"{path}[{i}]")
            if found:
                return found
        return None
    model = _model_of(annotation)
    if model is None or not isinstance(data, dict):
        return None
    allowed = _allowed(model)
    for key, value in data.items():
        if key not in allowed:
            return f"{path}.{key}" if path else key
        found = unknown_field(allowed[key], value, f"{path}.{key}" if path else key)
        if found:
            return found
    return None


WRITE_EXECUTIONS = frozenset({"CommitSync"})
"""Write requests a procedure may run as executions (as the executor's `WRITES`)."""
INSIDE_EXECUTIONS = {"None": frozenset(), "Sleep": frozenset({"duration_ms"})}
"""Procedure execution types the executor runs itself (no request), and their params."""


def _check_executions(config: dict[str, Any], where: str) -> None:
    """A SyncFileError for a procedure execution of an unknown type, or with a parameter its request lacks."""
    load_all()
    stages = config.get("stages", config.get("stage")) or []
    for s, stage in enumerate(stages if isinstance(stages, list) else []):
        executions = stage.get("executions") if isinstance(stage, dict) else None
        for e, item in enumerate(executions if isinstance(executions, list) else []):
            execution = item.get("execution") if isinstance(item, dict) else None
            if not isinstance(execution, dict):
                continue
            kind, params = execution.get("type", "None"), execution.get("params") or {}
            path = f"config.stage[{s}].executions[{e}].execution"
            if kind in INSIDE_EXECUTIONS:
                unknown = sorted(set(params) - INSIDE_EXECUTIONS[kind]) if isinstance(params, dict) else []
                if unknown:
                    raise SyncFileError(f"{where}: unknown field '{path}.params.{unknown[0]}'")
                continue
            request = REQUESTS.get("execute", {}).get(str(kind)) or (
                REQUESTS.get("write", {}).get(str(kind)) if kind in WRITE_EXECUTIONS else None
            )
            if request is None:
                raise SyncFileError(f"{where}: field '{path}.type': no execution {kind!r}")
            bad = unknown_field(request, params, "")
            if bad:
                raise SyncFileError(f"{where}: unknown field '{path}.params.{bad}'")


def desired_config(
    kind: SyncKind,
    declared: DeclaredResource,
    stored: Any | None,
    current: Current,
    declared_names: dict[ResourceTargetVariant, set[str]],
) -> dict[str, Any]:
    """What the file says the config is, canonical (as `current_config`); a SyncFileError naming the file,
    the resource and the field for an unknown field, a bad value or a reference to nothing."""
    where = f"{declared.file}: {kind.section} {declared.name!r}"
    config_type = kind.resource_cls.model_fields["config"].annotation
    bad = unknown_field(config_type, declared.config, "")
    if bad:
        raise SyncFileError(f"{where}: unknown field 'config.{bad}'")
    if kind.variant == ResourceTargetVariant.Procedure:
        _check_executions(declared.config, where)
    partial = dict(declared.config)
    stored_json = dump(kind, stored) if stored is not None else {}
    for secret in kind.secret_fields:
        if secret not in partial and stored_json.get(secret):
            partial[secret] = stored_json[secret]
    try:
        validated = kind.config_adapter.validate_python(partial)
    except ValidationError as err:
        first = err.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise SyncFileError(f"{where}: field 'config.{field}': {first['msg']}") from None
    config = dump(kind, validated)

    def resolve(variant: ResourceTargetVariant, path: str, value: str) -> str:
        name = current.name_of(variant, value)
        if name in current.names.get(variant, {}).values() or name in declared_names.get(variant, set()):
            return name
        raise SyncFileError(
            f"{where}: field 'config.{TOML_NAMES.get(path, path)}': no {variant.value} named {value!r}"
            " in the system or in the sync's files"
        )

    for ref in kind.references:
        _walk(config, ref, lambda path, value, ref=ref: resolve(ref.target, path, value))  # type: ignore[misc]
    if kind.variant == ResourceTargetVariant.Procedure:
        _executions(config, resolve)
    if kind.variant == ResourceTargetVariant.Alerter:
        _alerter_targets(config, current.name_of)
    return config


def default_config(kind: SyncKind, config: dict[str, Any]) -> dict[str, Any]:
    """The default config of the kind (of the same variant, for tagged configs such as a Builder's)."""
    seed: dict[str, Any] = {"type": config["type"]} if isinstance(config.get("type"), str) else {}
    try:
        return dump(kind, kind.config_adapter.validate_python(seed))
    except ValidationError:
        return dump(kind, kind.config_adapter.validate_python({}))


def toml_config(kind: SyncKind, config: dict[str, Any]) -> dict[str, Any]:
    """The fields of a canonical config that differ from the default, secrets left out, references under
    Komodo's TOML names (`server`, `build`, `builder`): what an export and a diff show."""
    defaults = default_config(kind, config)
    shown: dict[str, Any] = {}
    for key, value in config.items():
        if key in kind.secret_fields or value == defaults.get(key):
            continue
        shown[TOML_NAMES.get(key, key)] = value
    image = shown.get("image")
    if isinstance(image, dict) and isinstance(image.get("params"), dict) and "build_id" in image["params"]:
        params = dict(image["params"])
        params["build"] = params.pop("build_id")
        shown["image"] = {**image, "params": params}
    result: dict[str, Any] = drop_none(shown)
    return result


def drop_none(value: Any) -> Any:
    """TOML has no null: nulls (and the keys that hold them) are left out."""
    if isinstance(value, dict):
        return {k: drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [drop_none(v) for v in value if v is not None]
    return value
