"""Log-in, sign-up and API keys over HTTP, as Komodo's clients use them."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from services.common.settings import Settings
from services.registry.app import Registry


async def test_signup_login_and_api_keys(gateway_url: str, registry: Registry) -> None:
    async with httpx.AsyncClient(base_url=gateway_url, timeout=30) as http:
        options = (await http.post("/auth/login/GetLoginOptions", json={})).json()
        assert options["local"] is True and options["registration_disabled"] is False

        first = await http.post(
            "/auth/login/SignUpLocalUser", json={"username": "ada", "password": "s3cret-pass"}
        )
        assert first.status_code == 200
        jwt = first.json()["jwt"]
        me = await http.post("/auth/manage/GetUserId", json={}, headers={"Authorization": f"Bearer {jwt}"})
        assert me.status_code == 200
        stored = await registry.db["User"].find_one({"username": "ada"})
        assert stored is not None and stored["admin"] and stored["super_admin"] and stored["enabled"]
        assert me.json() == {"id": str(stored["_id"])}
        assert "s3cret-pass" not in json.dumps(stored, default=str)

        login = await http.post(
            "/auth/login/LoginLocalUser", json={"username": "ada", "password": "s3cret-pass"}
        )
        assert login.status_code == 200 and login.json()["type"] == "Jwt" and login.json()["data"]["jwt"]
        wrong = await http.post(
            "/auth/login/LoginLocalUser", json={"username": "ada", "password": "nope-nope"}
        )
        unknown = await http.post(
            "/auth/login/LoginLocalUser", json={"username": "bob", "password": "nope-nope"}
        )
        assert wrong.status_code == unknown.status_code == 401
        assert wrong.json()["error"] == unknown.json()["error"] == "invalid username or password"

        created = await http.post(
            "/auth/manage/CreateApiKey", json={"name": "ci"}, headers={"Authorization": jwt}
        )
        key, secret = created.json()["key"], created.json()["secret"]
        assert key.startswith("K_") and secret.startswith("S_")
        stored_key = await registry.db["ApiKey"].find_one({"key": key})
        assert stored_key is not None and secret not in json.dumps(stored_key, default=str)
        by_key = await http.post(
            "/auth/manage/GetUserId", json={}, headers={"X-Api-Key": key, "X-Api-Secret": secret}
        )
        assert by_key.json() == me.json()
        bad_secret = await http.post(
            "/auth/manage/GetUserId", json={}, headers={"X-Api-Key": key, "X-Api-Secret": "S_wrong_S"}
        )
        assert bad_secret.status_code == 401 and bad_secret.json()["error"] == "invalid API key or secret"
        assert (
            await http.post("/auth/manage/DeleteApiKey", json={"key": key}, headers={"Authorization": jwt})
        ).json() == {}
        gone = await http.post(
            "/auth/manage/GetUserId", json={}, headers={"X-Api-Key": key, "X-Api-Secret": secret}
        )
        assert gone.status_code == 401

        profile = await http.get("/user", headers={"Authorization": jwt})
        assert profile.status_code == 200 and profile.json()["username"] == "ada"
        assert profile.json()["config"] == {"type": "Local", "data": {"password": ""}}
        renamed = await http.post(
            "/auth/manage/UpdateUsername", json={"username": "ada2"}, headers={"Authorization": jwt}
        )
        assert renamed.json() == {}
        assert (await http.get("/user", headers={"Authorization": jwt})).json()["username"] == "ada2"
        changed = await http.post(
            "/auth/manage/UpdatePassword", json={"password": "new-s3cret"}, headers={"Authorization": jwt}
        )
        assert changed.json() == {}
        relogin = await http.post(
            "/auth/login/LoginLocalUser", json={"username": "ada2", "password": "new-s3cret"}
        )
        assert relogin.status_code == 200
        too_short = await http.post(
            "/auth/manage/UpdatePassword", json={"password": "x"}, headers={"Authorization": jwt}
        )
        assert too_short.status_code == 400 and "at least 8" in too_short.json()["error"]
        assert (await http.get("/user")).status_code == 401

        second = await http.post(
            "/auth/login/SignUpLocalUser", json={"username": "eve", "password": "another-pass"}
        )
        disabled = await http.post(
            "/auth/manage/GetUserId", json={}, headers={"Authorization": second.json()["jwt"]}
        )
        assert disabled.status_code == 401 and "not enabled" in disabled.json()["error"]
        short = await http.post("/auth/login/SignUpLocalUser", json={"username": "tim", "password": "short"})
        assert short.status_code == 400 and "at least 8" in short.json()["error"]
        none = await http.post("/auth/manage/GetUserId", json={})
        assert none.status_code == 401 and "missing credentials" in none.json()["error"]
        forged = await http.post("/auth/manage/GetUserId", json={}, headers={"Authorization": "not.a.jwt"})
        assert forged.status_code == 401


async def test_failed_logins_are_rate_limited(gateway_url: str, registry: Registry) -> None:
    async with httpx.AsyncClient(base_url=gateway_url, timeout=30) as http:
        await http.post("/auth/login/SignUpLocalUser", json={"username": "ada", "password": "s3cret-pass"})
        codes = [
            (
                await http.post(
                    "/auth/login/LoginLocalUser", json={"username": "ada", "password": "guess-123"}
                )
            ).status_code
            for _ in range(6)
        ]
        assert codes == [401] * 5 + [429]
        blocked = await http.post(
            "/auth/login/LoginLocalUser", json={"username": "ada", "password": "s3cret-pass"}
        )
        assert blocked.status_code == 429 and "too many failed attempts" in blocked.json()["error"]


async def test_init_admin_is_created_at_start(
    nats_url: str, mongo_url: str, db_prefix: str, tmp_path: Path
) -> None:
    settings = Settings(
        nats_url=nats_url,
        database_uri=mongo_url,
        db_prefix=db_prefix,
        data_dir=tmp_path,
        init_admin_username="admin",
        init_admin_password="from-env-123",
    )
    service = Registry(settings)
    await service.start()
    try:
        info = await service.users.verify_login("admin", "from-env-123")
        assert info.admin and info.super_admin and info.enabled
        await service.users.ensure_init_admin()  # a restart does not create it twice
        assert await service.db["User"].count_documents({}) == 1
    finally:
        await service.stop()
