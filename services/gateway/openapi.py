"""The OpenAPI document of Komodo's API, generated from the contracts: one operation per request class."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from contracts.api.base import REQUESTS, ErrorEnvelope, NoData
from contracts.auth import AUTH_REQUESTS
from contracts.catalog import load_all
from contracts.entities.user import User
from services.gateway.auth_routes import SERVED_AUTH_REQUESTS
from services.gateway.forward import PUBLIC_KINDS
from services.gateway.schemas import schema_ref

SECURITY: list[dict[str, list[str]]] = [{"jwt": []}, {"apiKey": [], "apiSecret": []}]
"""Either a JWT, or an API key with its secret."""


def _error_responses(components: dict[str, Any]) -> dict[str, Any]:
    envelope = {"content": {"application/json": {"schema": schema_ref(ErrorEnvelope, components)}}}
    return {
        "400": {"description": "Malformed body, a bad field (named), or an unknown request", **envelope},
        "401": {"description": "Missing or invalid credentials", **envelope},
        "403": {"description": "Not permitted", **envelope},
        "404": {"description": "The named resource does not exist", **envelope},
        "409": {"description": "Duplicate name, or the resource is busy", **envelope},
        "413": {
            "description": "Body over the limit (10 MiB, or less with a NATS max_payload under it)",
            **envelope,
        },
        "429": {"description": "Too many bad credentials from this client; try again later", **envelope},
        "500": {"description": "Failure inside a service (no details are sent)", **envelope},
        "503": {"description": "The owning service is not running", **envelope},
        "504": {"description": "The owning service gave no answer in time", **envelope},
    }


def _operation(
    tag: str, name: str, summary: str, request: Any, response: Any, errors: dict[str, Any]
) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "tags": [tag],
        "operationId": name,
        "summary": summary,
        "responses": {
            "200": {"description": "Success", "content": {"application/json": {"schema": response}}},
            **errors,
        },
    }
    if request is not None:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": request}}}
    return operation


def _auth_paths(components: dict[str, Any], errors: dict[str, Any]) -> dict[str, Any]:
    """`POST /auth/login/<Request>` and `/auth/manage/<Request>` for the requests this server answers, and
    `GET /user`."""
    paths: dict[str, Any] = {}
    for group, names in SERVED_AUTH_REQUESTS.items():
        for name in names:
            request_cls = AUTH_REQUESTS[group][name]
            operation = _operation(
                f"auth/{group}",
                f"auth_{group}_{name}",
                (request_cls.__doc__ or name).strip().splitlines()[0],
                schema_ref(request_cls, components),
                schema_ref(request_cls.RESPONSE, components),
                {code: answer for code, answer in errors.items() if code != "404"}
                if group == "login"
                else errors,
            )
            if group == "manage":
                operation["security"] = SECURITY
            paths[f"/auth/{group}/{name}"] = {"post": operation}
    user = _operation(
        "auth",
        "user",
        "The calling user (without password hash or second-factor secrets)",
        None,
        schema_ref(User, components),
        {code: errors[code] for code in ("401", "429", "500", "503", "504")},
    )
    paths["/user"] = {"get": {**user, "security": SECURITY}}
    return paths


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
            operation = _operation(
                kind,
                name,
                (request_cls.__doc__ or name).strip().splitlines()[0],
                request_schema,
                response_schema,
                errors,
            )
            operation["description"] = (
                f'Also `POST /{kind}` with `{{"type": "{name}", "params": ...}}`, '
                f"and the bus subject `{request_cls.SUBJECT}`."
            )
            paths[f"/{kind}/{name}"] = {"post": {**operation, "security": SECURITY}}
    paths.update(_auth_paths(components, errors))
    document["components"]["securitySchemes"] = {
        "jwt": {"type": "apiKey", "in": "header", "name": "Authorization"},
        "apiKey": {"type": "apiKey", "in": "header", "name": "X-Api-Key"},
        "apiSecret": {"type": "apiKey", "in": "header", "name": "X-Api-Secret"},
    }
    app.openapi_schema = document
    return document
