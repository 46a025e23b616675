"""Komodo's HTTP API through the gateway, as Komodo's clients call it."""

from __future__ import annotations

import json

import httpx

from services.common.version import VERSION
from tests.e2e.conftest import BusClient


async def test_both_calling_styles_give_what_the_bus_gives(
    gateway_url: str, client: BusClient, admin_headers: dict[str, str]
) -> None:
    async with httpx.AsyncClient(base_url=gateway_url, timeout=30, headers=admin_headers) as http:
        assert (await http.get("/version")).text == VERSION
        assert (await http.post("/read/GetVersion", json={})).json() == {"version": VERSION}
        info = (await http.post("/read", json={"type": "GetCoreInfo", "params": {}})).json()
        assert info["title"] == "Varanus" and info["monitoring_interval"] == "15-sec"
        assert info["default_pagination_limit"] == 50
        created = await http.post("/write", json={"type": "CreateServer", "params": {"name": "srv"}})
        assert created.status_code == 200 and created.json()["name"] == "srv"
        by_type = await http.post("/read/GetServer", json={"server": "srv"})
        by_envelope = await http.post("/read", json={"type": "GetServer", "params": {"id": "srv"}})
        over_bus = await client.read("GetServer", {"server": "srv"})
        assert by_type.json() == by_envelope.json() == over_bus == created.json()
        listed = await http.post("/read/ListServers", content=b"")
        assert [s["name"] for s in listed.json()] == ["srv"]


async def test_errors_keep_status_and_envelope(gateway_url: str, admin_headers: dict[str, str]) -> None:
    async with httpx.AsyncClient(base_url=gateway_url, timeout=30, headers=admin_headers) as http:
        missing = await http.post("/read/GetServer", json={"server": "nope"})
        assert missing.status_code == 404
        assert missing.json() == {"error": "no Server named or with id 'nope'", "trace": []}
        unknown = await http.post("/read", json={"type": "GetServr", "params": {}})
        assert (
            unknown.status_code == 400 and unknown.json()["error"] == "unknown read request type 'GetServr'"
        )
        anonymous = await http.post("/read/ListServers", json={}, headers={"Authorization": ""})
        assert anonymous.status_code == 401 and anonymous.json()["error"].startswith("missing credentials")
        internal = await http.post("/write/CreateUpdate", json={})
        assert internal.status_code == 400  # service-to-service requests are not reachable over HTTP
        malformed = await http.post(
            "/write", content=b'{"type": "CreateServer", ', headers={"content-type": "application/json"}
        )
        assert malformed.status_code == 400 and malformed.json()["error"].startswith("malformed JSON body")
        no_type = await http.post("/write", json={"params": {}})
        assert no_type.status_code == 400 and 'missing field "type"' in no_type.json()["error"]
        bad_field = await http.post("/write/CreateServer", json={"name": 5})
        assert (
            bad_field.status_code == 400
            and "name: Input should be a valid string" in bad_field.json()["error"]
        )
        huge = await http.post("/write/CreateServer", content=b"x" * (10 * 1024 * 1024 + 1))
        assert huge.status_code == 413 and "10 MiB" in huge.json()["error"]
        nobody = await http.post("/execute/Deploy", json={"deployment": "web"})
        assert nobody.status_code == 503 and "no service answers Deploy" in nobody.json()["error"]


async def test_openapi_lists_every_request(gateway_url: str) -> None:
    async with httpx.AsyncClient(base_url=gateway_url, timeout=30) as http:
        document = (await http.get("/openapi.json")).json()
        assert (await http.get("/docs")).status_code == 200
    paths = document["paths"]
    assert "/read/GetDeployment" in paths and "/execute/Deploy" in paths and "/write/CreateTag" in paths
    assert not any(path.startswith("/internal") for path in paths)
    operation = paths["/write/CreateDeployment"]["post"]
    assert operation["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CreateDeployment"
    }
    body = document["components"]["schemas"]["CreateDeployment"]
    assert body["properties"]["name"]["description"] == "Name of the new deployment."
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Deployment"
    }
    assert "Deployment" in document["components"]["schemas"]
    json.dumps(document)  # serialisable


async def test_asyncapi_lists_bus_subjects(gateway_url: str) -> None:
    async with httpx.AsyncClient(base_url=gateway_url, timeout=30) as http:
        document = (await http.get("/asyncapi.json")).json()
    assert document["asyncapi"] == "3.0.0"
    channel = document["channels"]["read.GetDeployment"]
    assert channel["address"] == "komodo.read.GetDeployment"
    operation = document["operations"]["read.GetDeployment"]
    assert operation["action"] == "send"
    assert {"$ref": "#/components/messages/Error"} in operation["reply"]["messages"]
    assert (
        document["channels"]["event.resource.ResourceChanged"]["address"]
        == "komodo.event.resource.ResourceChanged"
    )
    assert "GetDeployment" in document["components"]["schemas"]
    assert not any(
        address["address"].startswith("komodo.internal.") for address in document["channels"].values()
    )
