"""Users and their API keys: sign-up, log-in checks, API-key checks, and the init admin.

Passwords and API secrets are stored only as scrypt hashes. Failed checks answer the same 401 whatever was wrong,
so a caller cannot learn which usernames or keys exist.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from functools import cache

from bson import ObjectId
from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from contracts.api.internal.auth import CallerInfo
from contracts.entities.api_key import ApiKey, CreateApiKeyResponse
from contracts.entities.common import PermissionLevelAndSpecifics, ResourceTargetVariant
from contracts.entities.user import (
    LocalLogin,
    LocalUserConfig,
    ServiceLogin,
    ServiceUserConfig,
    ServiceUserQueryBehavior,
    User,
    UserConfigVariant,
)
from contracts.service_users import SERVICE_USERS
from services.common.auth import hash_secret, new_api_key, verify_secret
from services.common.errors import BadRequest, Conflict, Forbidden, NotFound, Unauthorized
from services.common.mongo import Document
from services.common.settings import Settings
from services.registry.documents import to_document
from services.registry.names import validate_name
from services.registry.updates import now_ms

log = logging.getLogger(__name__)

VERIFIED_KEYS_KEPT = 10_000
"""API key secrets remembered as verified (all are forgotten past this many)."""

MIN_PASSWORD_LENGTH = 8
"""Shortest password accepted."""
INVALID_LOGIN = "invalid username or password"
INVALID_KEY = "invalid API key or secret"


@cache
def _dummy_hash() -> str:
    return hash_secret("no such user or key")


def caller_info(user: User) -> CallerInfo:
    """What services need to know of a user."""
    return CallerInfo(
        user_id=user.id,
        username=user.username,
        enabled=user.enabled,
        admin=user.admin,
        super_admin=user.super_admin,
    )


def public_user(user: User) -> User:
    """A user as answers show it: no password hash, no second-factor secrets."""
    config = user.config
    if isinstance(config, LocalUserConfig):
        config = config.model_copy(update={"data": LocalLogin(password="")})
    return user.model_copy(
        update={"config": config, "totp": type(user.totp)(), "passkey": type(user.passkey)()}
    )


class UserStore:
    """Users and API keys in the registry's database."""

    def __init__(self, db: AsyncDatabase[Document], settings: Settings) -> None:
        self.users = db["User"]
        self.keys = db["ApiKey"]
        self._verified: dict[bytes, str] = {}
        """sha256 of `key:secret` -> the stored hash it was verified against (see `verify_api_key`)."""
        self.settings = settings

    async def ensure_indexes(self) -> None:
        """Unique usernames and keys."""
        await self.users.create_index([("username", ASCENDING)], unique=True)
        await self.keys.create_index([("key", ASCENDING)], unique=True)
        await self.keys.create_index([("user_id", ASCENDING)])

    async def _insert(self, user: User) -> User:
        try:
            await self.users.insert_one(to_document(user))
        except DuplicateKeyError:
            raise Conflict(f"a user named {user.username!r} already exists") from None
        return user

    def _check_new_name(self, username: str) -> None:
        validate_name(username, "user")
        if username in SERVICE_USERS.values():
            raise Conflict(f"{username!r} is the name of a built-in service user")

    async def _user(self, query: dict[str, object]) -> User | None:
        doc = await self.users.find_one(query)
        return User.model_validate(doc) if doc else None

    async def create_local(
        self, username: str, password: str, *, enabled: bool, admin: bool, super_admin: bool
    ) -> User:
        """Store a local user with a hashed password."""
        self._check_new_name(username)
        if len(password) < MIN_PASSWORD_LENGTH:
            raise BadRequest(f"password must be at least {MIN_PASSWORD_LENGTH} characters long")
        hashed = await asyncio.to_thread(hash_secret, password)
        user = User(
            id=str(ObjectId()),
            username=username,
            enabled=enabled,
            admin=admin,
            super_admin=super_admin,
            config=LocalUserConfig(data=LocalLogin(password=hashed)),
            updated_at=now_ms(),
        )
        return await self._insert(user)

    async def sign_up(self, username: str, password: str) -> CallerInfo:
        """Register a local user; the very first user is an enabled super admin."""
        first = await self.users.count_documents({}, limit=1) == 0
        if self.settings.disable_user_registration and not first:
            raise Forbidden("user registration is disabled")
        user = await self.create_local(
            username,
            password,
            enabled=first or self.settings.enable_new_users,
            admin=first,
            super_admin=first,
        )
        return caller_info(user)

    async def ensure_init_admin(self) -> None:
        """Create the admin named by KOMODO_INIT_ADMIN_USERNAME / _PASSWORD when no user of that name exists."""
        username = self.settings.init_admin_username
        password = self.settings.init_admin_password.get_secret_value()
        if not username or not password:
            return
        if await self.users.find_one({"username": username}, {"_id": 1}) is not None:
            return
        first = await self.users.count_documents({}, limit=1) == 0
        try:
            await self.create_local(username, password, enabled=True, admin=True, super_admin=first)
            log.info("created the init admin %s", username)
        except Conflict:
            pass  # another replica created it at the same moment

    async def verify_login(self, username: str, password: str) -> CallerInfo:
        """The user of a correct username and password; 401 otherwise (also for disabled users)."""
        user = await self._user({"username": username})
        stored = (
            user.config.data.password if user is not None and isinstance(user.config, LocalUserConfig) else ""
        )
        # A missing user is checked against a dummy hash so both cases take the same time.
        ok = await asyncio.to_thread(verify_secret, password, stored or _dummy_hash())
        if user is None or not ok or not stored:
            raise Unauthorized(INVALID_LOGIN)
        if not user.enabled:
            raise Unauthorized(f"user {username!r} is not enabled; ask an admin to enable it")
        return caller_info(user)

    async def _by_id(self, user_id: str) -> User | None:
        return await self._user({"_id": ObjectId(user_id)}) if ObjectId.is_valid(user_id) else None

    async def resolve(self, user_id: str) -> CallerInfo:
        """The user with that id; 401 when there is none. A built-in service user (no stored record) is an
        enabled admin, as its JWTs are: the Action user's temporary API keys act as it."""
        if user_id in SERVICE_USERS:
            return CallerInfo(user_id=user_id, username=SERVICE_USERS[user_id], enabled=True, admin=True)
        user = await self._by_id(user_id)
        if user is None:
            raise Unauthorized("the user of this token no longer exists")
        return caller_info(user)

    async def issue_api_key(self, user_id: str, name: str, expires: int) -> CreateApiKeyResponse:
        """A new key and secret for a user; only the secret's hash is stored."""
        await self.resolve(user_id)
        key, secret = new_api_key()
        record = ApiKey(
            key=key,
            secret=await asyncio.to_thread(hash_secret, secret),
            user_id=user_id,
            name=name,
            created_at=now_ms(),
            expires=expires,
        )
        await self.keys.insert_one(record.model_dump(mode="json"))
        return CreateApiKeyResponse(key=key, secret=secret)

    async def revoke_api_key(self, user_id: str, key: str) -> None:
        """Delete one of a user's keys."""
        result = await self.keys.delete_one({"key": key, "user_id": user_id})
        if result.deleted_count == 0:
            raise NotFound("no such API key for this user")

    async def verify_api_key(self, key: str, secret: str) -> CallerInfo:
        """The owner of a valid, unexpired key whose secret matches; 401 otherwise."""
        doc = await self.keys.find_one({"key": key})
        stored = str(doc.get("secret", "")) if doc else _dummy_hash()
        # scrypt costs tens of milliseconds; a secret already checked against this very stored hash need not be
        # checked again (the key document is still read each time, so a deleted key fails at once).
        presented = hashlib.sha256(f"{key}:{secret}".encode()).digest()
        ok = doc is not None and self._verified.get(presented) == stored
        if not ok:
            ok = await asyncio.to_thread(verify_secret, secret, stored)
            if ok and doc is not None:
                if len(self._verified) > VERIFIED_KEYS_KEPT:
                    self._verified.clear()
                self._verified[presented] = stored
        if doc is None or not ok:
            raise Unauthorized(INVALID_KEY)
        expires = int(doc.get("expires") or 0)
        if expires and expires < now_ms() - 5 * 60 * 1000:
            raise Unauthorized("the API key has expired")
        caller = await self.resolve(str(doc["user_id"]))
        if not caller.enabled:
            raise Unauthorized(f"user {caller.username!r} is not enabled")
        return caller

    async def _existing(self, user_id: str) -> User:
        user = await self._by_id(user_id)
        if user is None:
            raise NotFound(f"no user with id {user_id!r}")
        return user

    async def record(self, user_id: str) -> User:
        """The user without its password hash or second-factor secrets."""
        return public_user(await self._existing(user_id))

    async def change_username(self, user_id: str, username: str) -> None:
        """Rename a user."""
        await self._existing(user_id)
        self._check_new_name(username)
        try:
            await self.users.update_one(
                {"_id": ObjectId(user_id)}, {"$set": {"username": username, "updated_at": now_ms()}}
            )
        except DuplicateKeyError:
            raise Conflict(f"a user named {username!r} already exists") from None

    async def change_password(self, user_id: str, password: str) -> None:
        """Set a local user's password."""
        user = await self._existing(user_id)
        if not isinstance(user.config, LocalUserConfig):
            raise BadRequest(f"user {user.username!r} does not log in with a password")
        if len(password) < MIN_PASSWORD_LENGTH:
            raise BadRequest(f"password must be at least {MIN_PASSWORD_LENGTH} characters long")
        hashed = await asyncio.to_thread(hash_secret, password)
        await self.users.update_one(
            {"_id": ObjectId(user_id)}, {"$set": {"config.data.password": hashed, "updated_at": now_ms()}}
        )

    # --- administration -----------------------------------------------------------------------------

    async def find(self, id_or_username: str) -> User:
        """The user with that id or username (stored form), or a 404."""
        user = await self._by_id(id_or_username) or await self._user({"username": id_or_username})
        if user is None:
            raise NotFound(f"no user named or with id {id_or_username!r}")
        return user

    async def list_users(self, service_users: ServiceUserQueryBehavior) -> list[User]:
        """Every user by name, service users included, excluded or alone."""
        query: dict[str, object] = {}
        if service_users == ServiceUserQueryBehavior.Exclude:
            people = [v.value for v in UserConfigVariant if v != UserConfigVariant.Service]
            query = {"config.type": {"$in": people}}
        elif service_users == ServiceUserQueryBehavior.Only:
            query = {"config.type": "Service"}
        cursor = self.users.find(query).sort("username", ASCENDING)
        return [public_user(User.model_validate(doc)) async for doc in cursor]

    async def create_service(self, username: str, description: str) -> User:
        """Store a service user: it cannot log in and acts only through API keys."""
        self._check_new_name(username)
        user = User(
            id=str(ObjectId()),
            username=username,
            enabled=True,
            config=ServiceUserConfig(data=ServiceLogin(description=description)),
            updated_at=now_ms(),
        )
        return await self._insert(user)

    async def service_user(self, id_or_username: str) -> User:
        """A service user by id or username; a 400 when the user is a person."""
        user = await self.find(id_or_username)
        if not isinstance(user.config, ServiceUserConfig):
            raise BadRequest(f"user {user.username!r} is not a service user")
        return user

    async def set_service_description(self, username: str, description: str) -> User:
        """Change what a service user is described as."""
        user = await self.service_user(username)
        await self.users.update_one(
            {"_id": ObjectId(user.id)},
            {"$set": {"config.data.description": description, "updated_at": now_ms()}},
        )
        return public_user(await self._existing(user.id))

    async def delete(self, id_or_username: str, acting: str) -> User:
        """Delete a user and its API keys; nobody deletes themselves or a super admin."""
        user = await self.find(id_or_username)
        if user.id == acting:
            raise BadRequest("you cannot delete yourself")
        if user.super_admin:
            raise Forbidden(f"user {user.username!r} is the super admin and cannot be deleted")
        await self.users.delete_one({"_id": ObjectId(user.id)})
        await self.keys.delete_many({"user_id": user.id})
        return public_user(user)

    async def api_keys(self, user_id: str) -> list[ApiKey]:
        """A user's API keys, without their secret hashes."""
        cursor = self.keys.find({"user_id": user_id}).sort("created_at", ASCENDING)
        return [ApiKey.model_validate({**doc, "secret": ""}) async for doc in cursor]

    async def key_owner(self, key: str) -> str:
        """The id of the user an API key belongs to, or a 404."""
        doc = await self.keys.find_one({"key": key}, {"user_id": 1})
        if doc is None:
            raise NotFound("no such API key")
        return str(doc["user_id"])

    async def set_fields(self, user_id: str, fields: dict[str, object]) -> User:
        """Set some of a user's fields."""
        await self._existing(user_id)
        await self.users.update_one({"_id": ObjectId(user_id)}, {"$set": {**fields, "updated_at": now_ms()}})
        return await self._existing(user_id)

    async def set_type_permission(
        self, user_id: str, variant: ResourceTargetVariant, grant: PermissionLevelAndSpecifics
    ) -> None:
        """Give a user a permission on every resource of a type."""
        await self.set_fields(user_id, {f"all.{variant.value}": grant.model_dump(mode="json")})

    async def set_last_seen(self, user_id: str) -> None:
        """Record that a user has seen every Update until now."""
        await self.set_fields(user_id, {"last_update_view": now_ms()})

    async def push_recent(self, user_id: str, variant: ResourceTargetVariant, resource_id: str) -> None:
        """Put a resource first in a user's ten most recently viewed of its type."""
        user = await self._existing(user_id)
        recents = [resource_id, *[r for r in user.recents.get(variant, []) if r != resource_id]][:10]
        await self.set_fields(user_id, {f"recents.{variant.value}": recents})
