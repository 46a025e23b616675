"""The AsyncAPI 3.0 document of the bus, generated from the contracts: every request subject with its request and
reply messages, and every event subject."""

from __future__ import annotations

from typing import Any

from contracts.api.base import REQUESTS, ErrorEnvelope, NoData
from contracts.catalog import load_all
from contracts.events.base import EVENTS
from contracts.subjects import EVENTS_STREAM, STATUS_HEADER
from services.gateway.forward import PUBLIC_KINDS
from services.gateway.schemas import schema_ref


def asyncapi_document(title: str, version: str, nats_url: str) -> dict[str, Any]:
    """Channels, operations and messages for `komodo.<api>.<Request>` and `komodo.event.<kind>.<Event>`."""
    load_all()
    schemas: dict[str, Any] = {}
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    error_schema = schema_ref(ErrorEnvelope, schemas)
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
                "payload": schema_ref(request_cls, schemas),
            }
            response = request_cls.RESPONSE if request_cls.RESPONSE is not None else NoData
            messages[f"{key}.reply"] = {"name": f"{name}Reply", "payload": schema_ref(response, schemas)}
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
            "payload": schema_ref(event_cls, schemas),
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
