"""The short forms point at requests that exist, with the fields and answer shapes they rely on."""

from __future__ import annotations

from typing import Any, get_args, get_origin

import pytest
from pydantic import BaseModel

from varanus_cli.catalog import request_class
from varanus_cli.commands import main_field
from varanus_cli.shortcuts import DEPLOYS, GETS, LISTINGS, RUNS, canonical_kind, singular


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The model a (possibly optional or generic) annotation holds, if any."""
    for candidate in [annotation, *get_args(annotation)]:
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _has_path(model: type[BaseModel], path: str) -> bool:
    """Whether a dotted path (`info.state`; `id` may be the `_id` alias) names a field of the model."""
    current: type[BaseModel] | None = model
    for part in path.split("."):
        if current is None:
            return False
        infos = [info for name, info in current.model_fields.items() if part in (name, info.alias)]
        if not infos:
            return False
        current = _model_of(infos[0].annotation)
    return True


@pytest.mark.parametrize("kind", list(LISTINGS))
def test_listing_columns_exist_in_the_answer(kind: str) -> None:
    listing = LISTINGS[kind]
    response = request_class("read", listing.request).RESPONSE
    if listing.items:
        model = _model_of(response)
        assert model is not None
        response = model.model_fields[listing.items].annotation
    assert get_origin(response) is list
    item = _model_of(get_args(response)[0])
    assert item is not None
    for column in listing.columns:
        assert _has_path(item, column.path), f"{kind}: {column.path}"


@pytest.mark.parametrize(
    ("kind", "name"), [*GETS.items(), *((k, v) for k, v in RUNS.items()), *DEPLOYS.items()]
)
def test_short_forms_take_a_single_name(kind: str, name: str) -> None:
    api = "read" if name.startswith("Get") else "execute"
    assert main_field(request_class(api, name))


def test_kind_spellings() -> None:
    assert canonical_kind("Deployment") == canonical_kind("deployments") == "deployments"
    assert canonical_kind("resource-syncs") == canonical_kind("sync") == "syncs"
    assert canonical_kind("server_template") == "server-templates"
    assert singular(canonical_kind("server-templates")) == "server-template"
