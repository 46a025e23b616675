"""The OpenAPI document of Komodo's API, generated from the contracts: one operation per request class."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from contracts.api.base import REQUESTS, ErrorEnvelope, NoData
from contracts.catalog import load_all
from services.gateway.forward import PUBLIC_KINDS
from services.gateway.schemas import schema_ref


def _error_responses(components: dict[str, Any]) -> dict[str, Any]:
    envelope = {"content": {"application/json": {"schema": schema_ref(ErrorEnvelope, components)}}}
    return {
        "400": {"description": "Malformed body, a bad field (named), or an unknown request", **envelope},
        "401": {"description": "Missing or invalid credentials", **envelope},
        "403": {"description": "Not permitted", **envelope},
        "404": {"description": "The named resource does not exist", **envelope},
        "409": {"description": "Duplicate name, or the resource is busy", **envelope},
        "413": {"description": "Body over 10 MB", **envelope},
        "500": {"description": "Failure inside a service (no details are sent)", **envelope},
        "503": {"description": "The owning service is not running", **envelope},
    }


def komodo_openapi(app: FastAPI) -> dict[str, Any]:
    """The app's own routes plus `POST /<api>/<Request>` for every read, write and execute request."""
    if app.openapi_schema:
        return app.openapi_schema
    load_all()
    document = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    components: dict[str, Any] = document.setdefault("components", {}).setdefault("schemas", {})
    errors = _error_responses(components)
    paths = document.setdefault("paths", {})
    for kind in PUBLIC_KINDS:
        for name, request_cls in sorted(REQUESTS[kind].items()):
            request_schema = schema_ref(request_cls, components)
            response_schema = schema_ref(
                request_cls.RESPONSE if request_cls.RESPONSE is not None else NoData, components
            )
            paths[f"/{kind}/{name}"] = {
                "post": {
                    "tags": [kind],
                    "operationId": name,
                    "summary": (request_cls.__doc__ or name).strip().splitlines()[0],
                    "description": f'Also `POST /{kind}` with `{{"type": "{name}", "params": ...}}`, '
                    f"and the bus subject `{request_cls.SUBJECT}`.",
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": request_schema}},
                    },
                    "responses": {
                        "200": {
                            "description": "Success",
                            "content": {"application/json": {"schema": response_schema}},
                        },
                        **errors,
                    },
                    "security": [{"jwt": []}, {"apiKey": [], "apiSecret": []}],
                }
            }
    document["components"]["securitySchemes"] = {
        "jwt": {"type": "apiKey", "in": "header", "name": "Authorization"},
        "apiKey": {"type": "apiKey", "in": "header", "name": "X-Api-Key"},
        "apiSecret": {"type": "apiKey", "in": "header", "name": "X-Api-Secret"},
    }
    app.openapi_schema = document
    return document
