"""Rules every contract model keeps: frozen, unknown fields ignored, every field described, schema producible."""

from __future__ import annotations

import inspect
import re

import pytest
from pydantic import BaseModel

import contracts
from contracts.api.base import REQUESTS, Request
from contracts.base import KomodoModel
from contracts.catalog import load_all
from contracts.events.base import EVENTS

load_all()


def _models() -> list[type[BaseModel]]:
    found: dict[str, type[BaseModel]] = {}
    import sys

    for name, module in list(sys.modules.items()):
        if not name.startswith("contracts.") or module is None:
            continue
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if (
                issubclass(obj, BaseModel)
                and obj.__module__.startswith("contracts.")
                and "[" not in obj.__name__
            ):
                found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return sorted(found.values(), key=lambda c: f"{c.__module__}.{c.__qualname__}")


MODELS = _models()


def test_contracts_package_has_models() -> None:
    assert contracts.__doc__
    assert len(MODELS) > 50


@pytest.mark.parametrize("model", MODELS, ids=lambda m: f"{m.__module__}.{m.__qualname__}")
def test_model_is_komodo_model_and_documented(model: type[BaseModel]) -> None:
    assert issubclass(model, KomodoModel)
    assert model.model_config.get("frozen") is True
    assert model.model_config.get("extra") == "ignore"
    assert (model.__doc__ or "").strip(), "class docstring missing"
    undescribed = [
        name for name, field in model.model_fields.items() if not (field.description or "").strip()
    ]
    assert undescribed == [], f"fields without description: {undescribed}"
    model.model_json_schema(by_alias=True)


def test_request_subjects_follow_class_names() -> None:
    pattern = re.compile(r"^komodo\.(read|write|execute|internal)\.[A-Z][A-Za-z0-9]+$")
    total = 0
    for kind, requests in REQUESTS.items():
        for name, cls in requests.items():
            assert issubclass(cls, Request)
            assert f"komodo.{kind}.{name}" == cls.SUBJECT
            assert pattern.match(cls.SUBJECT)
            cls.response_adapter()  # the response type is resolvable
            total += 1
    assert total > 0


def test_event_subjects() -> None:
    assert EVENTS
    for subject, cls in EVENTS.items():
        assert subject == f"komodo.event.{cls.KIND}.{cls.__name__}"
