"""What `bench/fuzz_api.py` (schemathesis over the OpenAPI document) found, each kept fixed: odd input is
refused with 400 naming what is wrong, never answered 500."""

from __future__ import annotations

import httpx

from contracts.entities.common import MAX_PAGE

NOT_UTF8 = b"\xacH"


async def test_a_body_that_is_not_utf8_is_refused_with_400(
    gateway_url: str, admin_headers: dict[str, str]
) -> None:
    async with httpx.AsyncClient(base_url=gateway_url, timeout=30, headers=admin_headers) as http:
        for path in ("/auth/login/LoginLocalUser", "/auth/manage/GetUserId", "/read"):
            answer = await http.post(path, content=NOT_UTF8)
            assert answer.status_code == 400, (path, answer.text)
            assert answer.json()["error"] == "malformed JSON body: not UTF-8 (byte 0)"
        # Positive control: the same routes answer a well-formed body.
        assert (await http.post("/auth/manage/GetUserId", content=b"{}")).status_code == 200


async def test_auth_bodies_with_a_wrong_type_or_a_huge_integer_are_refused_naming_the_field(
    gateway_url: str, admin_headers: dict[str, str]
) -> None:
    async with httpx.AsyncClient(base_url=gateway_url, timeout=30, headers=admin_headers) as http:
        for expires in (2**64, True):
            answer = await http.post("/auth/manage/CreateApiKey", json={"name": "k", "expires": expires})
            assert answer.status_code == 400, (expires, answer.text)
            assert "expires" in answer.json()["error"]
        # Positive control: a valid expiry is taken.
        answer = await http.post("/auth/manage/CreateApiKey", json={"name": "k", "expires": 2**62})
        assert answer.status_code == 200 and answer.json()["key"].startswith("K_")


async def test_a_page_too_far_for_mongodb_is_a_400_naming_page(
    gateway_url: str, admin_headers: dict[str, str]
) -> None:
    async with httpx.AsyncClient(base_url=gateway_url, timeout=30, headers=admin_headers) as http:
        # page times 100 was past MongoDB's 64-bit skip: a 500.
        for page in (2**62, -1):
            answer = await http.post("/read/ListUpdates", json={"page": page})
            assert answer.status_code == 400, (page, answer.text)
            assert answer.json()["error"].startswith("invalid ListUpdates request: page:")
            listed = await http.post("/read/ListDeployments", json={"page": page})
            assert listed.status_code == 400 and "page" in listed.json()["error"]
        # Positive control: the last page allowed answers (empty).
        answer = await http.post("/read/ListUpdates", json={"page": MAX_PAGE})
        assert answer.status_code == 200 and answer.json() == {"updates": [], "next_page": None}


async def test_the_openapi_document_has_the_auth_routes_and_every_status_they_can_answer(
    gateway_url: str,
) -> None:
    async with httpx.AsyncClient(base_url=gateway_url, timeout=30) as http:
        paths = (await http.get("/openapi.json")).json()["paths"]
    login = paths["/auth/login/LoginLocalUser"]["post"]
    assert login["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/LoginLocalUser"
    }
    assert {"200", "400", "401", "429"} <= set(login["responses"]) and "security" not in login
    create_key = paths["/auth/manage/CreateApiKey"]["post"]
    assert create_key["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CreateApiKeyResponse"
    }
    assert create_key["security"] and "429" in create_key["responses"]
    user = paths["/user"]["get"]["responses"]
    assert user["200"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/User"}
    assert {"401", "429"} <= set(user)
    # A credential-checked request can be rate limited (429), time out (504) or be too large (413).
    assert {"413", "429", "504"} <= set(paths["/read/GetServer"]["post"]["responses"])
