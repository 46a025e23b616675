"""The AsyncAPI 3.0 document of the bus, generated from the contracts: every request subject with its request and
reply messages, and every event subject."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, TypeAdapter

from contracts.api.base import REQUESTS, ErrorEnvelope, NoData
from contracts.catalog import load_all
from contracts.events.base import EVENTS
from contracts.subjects import EVENTS_STREAM, STATUS_HEADER

REF = "#/components/schemas/{model}"
PUBLIC_KINDS = ("read", "write", "execute")


def _schema(shape: Any, schemas: dict[str, Any]) -> dict[str, Any]:
    schema = TypeAdapter(shape).json_schema(ref_template=REF, by_alias=True)
    schemas.update(schema.pop("$defs", {}))
    if isinstance(shape, type) and issubclass(shape, BaseModel):
        schemas[shape.__name__] = schema
        return {"$ref": REF.format(model=shape.__name__)}
    return schema


def asyncapi_document(title: str, version: str, nats_url: str) -> dict[str, Any]:
    """Channels, operations and messages for `komodo.<api>.<Request>` and `komodo.event.<kind>.<Event>`."""
    load_all()
    schemas: dict[str, Any] = {}
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    error_schema = _schema(ErrorEnvelope, schemas)
    messages["Error"] = {
        "name": "Error",
        "summary": f"Komodo's error envelope; the `{STATUS_HEADER}` header carries the status.",
        "payload": error_schema,
    }
    for kind in PUBLIC_KINDS:
        for name, request_cls in sorted(REQUESTS[kind].items()):
            key = f"{kind}.{name}"
            messages[f"{key}.request"] = {
                "name": name,
                "summary": (request_cls.__doc__ or name).strip().splitlines()[0],
                "headers": {
                    "type": "object",
                    "properties": {
                        "Authorization": {
                            "type": "string",
                            "description": "A JWT (or use the two API key headers).",
                        },
                        "X-Api-Key": {"type": "string"},
                        "X-Api-Secret": {"type": "string"},
                    },
                },
                "payload": _schema(request_cls, schemas),
            }
            response = request_cls.RESPONSE if request_cls.RESPONSE is not None else NoData
            messages[f"{key}.reply"] = {"name": f"{name}Reply", "payload": _schema(response, schemas)}
            channels[key] = {
                "address": request_cls.SUBJECT,
                "messages": {"request": {"$ref": f"#/components/messages/{key}.request"}},
            }
            operations[key] = {
                "action": "send",
                "channel": {"$ref": f"#/channels/{key}"},
                "reply": {
                    "messages": [
                        {"$ref": f"#/components/messages/{key}.reply"},
                        {"$ref": "#/components/messages/Error"},
                    ]
                },
            }
    for subject, event_cls in sorted(EVENTS.items()):
        key = subject.removeprefix("komodo.")
        messages[key] = {
            "name": event_cls.__name__,
            "summary": (event_cls.__doc__ or event_cls.__name__).strip().splitlines()[0],
            "payload": _schema(event_cls, schemas),
        }
        channels[key] = {
            "address": subject,
            "description": f"JetStream stream {EVENTS_STREAM}.",
            "messages": {"event": {"$ref": f"#/components/messages/{key}"}},
        }
        operations[key] = {"action": "receive", "channel": {"$ref": f"#/channels/{key}"}}
    host = nats_url.split(",", maxsplit=1)[0].removeprefix("nats://")
    return {
        "asyncapi": "3.0.0",
        "info": {"title": f"{title} bus", "version": version},
        "servers": {"nats": {"host": host, "protocol": "nats"}},
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }
