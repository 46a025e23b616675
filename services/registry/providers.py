"""Git provider and image registry accounts: credentials that resources use by (domain, username).

Tokens (and a git account's SSH private key) are encrypted at rest and registered with the redactor as soon as
they are read or written.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from bson import ObjectId
from pydantic import BaseModel, ValidationError
from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from contracts.entities.common import ResourceTarget
from contracts.entities.provider import GitProviderAccount, ImageRegistryAccount
from contracts.entities.update import Log, Operation
from contracts.events.resource import ResourceChange
from services.common.bus import Bus
from services.common.errors import BadRequest, Conflict, NotFound, describe_validation_error
from services.common.logging import redactor
from services.common.mongo import Document
from services.common.secrets import SecretBox
from services.registry.announce import announce_entity
from services.registry.documents import object_id, set_changed, to_document
from services.registry.updates import UpdateStore, now_ms

A = TypeVar("A", GitProviderAccount, ImageRegistryAccount)

SECRET_FIELDS = ("token", "ssh_private_key")
"""Account fields stored encrypted and never named with their values in an Update."""


class AccountStore(Generic[A]):
    """Create, update, delete and read one kind of account."""

    def __init__(
        self,
        model: type[A],
        title: str,
        operations: tuple[Operation, Operation, Operation],
        db: AsyncDatabase[Document],
        box: SecretBox,
        bus: Bus,
        updates: UpdateStore,
    ) -> None:
        self.model: type[A] = model
        self.title = title
        self.operations = operations
        self.coll = db[model.__name__]
        self.box = box
        self.bus = bus
        self.updates = updates

    async def ensure_indexes(self) -> None:
        """One account per (domain, username)."""
        await self.coll.create_index([("domain", ASCENDING), ("username", ASCENDING)], unique=True)

    def _secrets(self) -> list[str]:
        return [name for name in SECRET_FIELDS if name in self.model.model_fields]

    def _from_document(self, doc: Document) -> A:
        plain = {name: self.box.decrypt(str(doc.get(name, ""))) for name in self._secrets() if doc.get(name)}
        return self.model.model_validate({**doc, **plain})

    def _to_document(self, account: A) -> Document:
        doc = to_document(account)
        for name in self._secrets():
            value = str(getattr(account, name))
            redactor.add(value)
            doc[name] = self.box.encrypt(value)
        return doc

    def _validate(self, data: dict[str, Any]) -> A:
        try:
            account = self.model.model_validate(data)
        except ValidationError as err:
            raise describe_validation_error(err, f"{self.title} account") from None
        if not account.username:
            raise BadRequest(f"{self.title} account needs a username")
        if not account.domain or any(c in account.domain for c in " /\\@"):
            raise BadRequest(f"{self.title} account domain {account.domain!r} is not a host name")
        return account

    async def _check_unique(self, account: A, except_id: str | None = None) -> None:
        doc = await self.coll.find_one({"domain": account.domain, "username": account.username}, {"_id": 1})
        if doc is not None and str(doc["_id"]) != except_id:
            raise Conflict(
                f"a {self.title} account for {account.username!r} on {account.domain} already exists"
            )

    async def _record(self, operation: Operation, operator: str, text: str) -> None:
        await self.updates.record(
            operation,
            ResourceTarget.system(),
            operator,
            [Log(stage=operation.value, stdout=text, start_ts=now_ms())],
        )

    async def get(self, account_id: str) -> A:
        """The account with that id."""
        doc = await self.coll.find_one({"_id": object_id(account_id, f"{self.title} account")})
        if doc is None:
            raise NotFound(f"no {self.title} account with id {account_id!r}")
        return self._from_document(doc)

    async def list(self, domain: str | None, username: str | None) -> list[A]:
        """Accounts, optionally of one domain and/or username."""
        query: dict[str, Any] = {}
        if domain:
            query["domain"] = domain
        if username:
            query["username"] = username
        docs = (
            await self.coll.find(query).sort([("domain", ASCENDING), ("username", ASCENDING)]).to_list(None)
        )
        return [self._from_document(doc) for doc in docs]

    async def create(self, partial: BaseModel | dict[str, Any], operator: str) -> A:
        """Create an account from the given fields (Komodo's defaults for the rest)."""
        data = _given_fields(partial)
        account = self._validate({**data, "id": str(ObjectId())})
        await self._check_unique(account)
        await self.coll.insert_one(self._to_document(account))
        await self._record(
            self.operations[0],
            operator,
            f"Created {self.title} account {account.username!r} on {account.domain}",
        )
        await announce_entity(
            self.bus, self.model.__name__, account.id, ResourceChange.Created, account.username
        )
        return account

    async def update(self, account_id: str, partial: BaseModel | dict[str, Any], operator: str) -> A:
        """Change the given fields of an account."""
        data = _given_fields(partial)
        seen: list[tuple[A, A]] = []

        async def changes_of(doc: Document) -> dict[str, Any]:
            seen.clear()
            current = self._from_document(doc)
            account = self._validate({**current.model_dump(), **data, "id": current.id})
            await self._check_unique(account, except_id=current.id)
            seen.append((current, account))
            stored = self._to_document(account)
            return {k: stored[k] for k in data if k in stored}

        oid = object_id(account_id, f"{self.title} account")
        await set_changed(self.coll, {"_id": oid}, changes_of, f"{self.title} account with id {account_id!r}")
        current, account = seen[0]
        changed = sorted(
            k
            for k in data
            if k not in SECRET_FIELDS and getattr(current, k, None) != getattr(account, k, None)
        )
        changed += [k for k in self._secrets() if k in data and data[k] != getattr(current, k)]
        await self._record(
            self.operations[1],
            operator,
            f"Updated {self.title} account {account.username!r} on {account.domain}: {', '.join(changed) or 'no change'}",
        )
        await announce_entity(
            self.bus, self.model.__name__, account.id, ResourceChange.Updated, account.username
        )
        return account

    async def delete(self, account_id: str, operator: str) -> A:
        """Delete an account."""
        account = await self.get(account_id)
        await self.coll.delete_one({"_id": ObjectId(account.id)})
        await self._record(
            self.operations[2],
            operator,
            f"Deleted {self.title} account {account.username!r} on {account.domain}",
        )
        await announce_entity(
            self.bus, self.model.__name__, account.id, ResourceChange.Deleted, account.username
        )
        return account


def _given_fields(partial: BaseModel | dict[str, Any]) -> dict[str, Any]:
    """The fields a caller gave for an account, without any id (ids are never taken from the caller)."""
    data = partial.model_dump(exclude_unset=True) if isinstance(partial, BaseModel) else dict(partial)
    data.pop("_id", None)
    data.pop("id", None)
    return data
