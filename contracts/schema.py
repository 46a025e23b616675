"""JSON Schemas of the contracts: `python -m contracts.schema [folder]` writes one file per model."""

from __future__ import annotations

import argparse
import inspect
import json
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from contracts.catalog import load_all


def all_models() -> dict[str, type[BaseModel]]:
    """Every contract model by dotted name (module and class)."""
    load_all()
    found: dict[str, type[BaseModel]] = {}
    for name, module in sorted(sys.modules.items()):
        if not name.startswith("contracts.") or module is None:
            continue
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, BaseModel) and obj.__module__ == name and "[" not in obj.__name__:
                found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return found


def schema_of(model: type[BaseModel]) -> dict[str, Any]:
    """The JSON Schema of a model as it appears on the wire (aliases such as `_id`)."""
    return model.model_json_schema(by_alias=True)


def main() -> None:
    """Write every model's schema as `<module>.<Class>.json` into the folder given (default `schemas/`)."""
    parser = argparse.ArgumentParser(description="Write the JSON Schema of every Varanus contract model.")
    parser.add_argument("folder", nargs="?", default="schemas", help="output folder (default: schemas)")
    args = parser.parse_args()
    out = Path(args.folder)
    out.mkdir(parents=True, exist_ok=True)
    models = all_models()
    for name, model in models.items():
        (out / f"{name}.json").write_text(json.dumps(schema_of(model), indent=2) + "\n", encoding="utf-8")
    print(f"wrote {len(models)} schemas to {out}")


if __name__ == "__main__":
    main()
