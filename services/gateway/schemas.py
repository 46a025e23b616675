"""JSON Schemas of contract types for the API documents (OpenAPI and AsyncAPI)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, TypeAdapter

REF = "#/components/schemas/{model}"
"""Where the documents keep named schemas."""


def schema_ref(shape: Any, components: dict[str, Any]) -> dict[str, Any]:
    """The schema of a type; a model goes into `components` and is referenced, like the models it uses."""
    schema = TypeAdapter(shape).json_schema(ref_template=REF, by_alias=True)
    components.update(schema.pop("$defs", {}))
    if isinstance(shape, type) and issubclass(shape, BaseModel):
        components[shape.__name__] = schema
        return {"$ref": REF.format(model=shape.__name__)}
    return schema
