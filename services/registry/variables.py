"""Variables and secrets: `[[NAME]]` values interpolated at execution time; secret values encrypted at rest."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from contracts.entities.common import ResourceTarget
from contracts.entities.update import Log, Operation
from contracts.entities.variable import Variable
from contracts.events.resource import ResourceChange
from services.common.bus import Bus
from services.common.errors import BadRequest, Conflict, NotFound
from services.common.logging import redactor
from services.common.mongo import Document
from services.common.secrets import SecretBox
from services.registry.announce import announce_entity
from services.registry.documents import set_changed
from services.registry.read_cache import ReadCache, WatchedCollection
from services.registry.updates import UpdateStore, now_ms

_VARIABLE_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.")


def validate_variable_name(name: str) -> str:
    """A variable name is used inside `[[...]]`: letters, digits, `_`, `-` and `.`, 1 to 128 characters."""
    if not name:
        raise BadRequest("variable name must not be empty")
    if len(name) > 128:
        raise BadRequest(f"variable name is {len(name)} characters long; the limit is 128")
    bad = sorted(set(name) - _VARIABLE_CHARS)
    if bad:
        raise BadRequest(
            f"variable name {name!r} contains characters that are not allowed: {', '.join(map(repr, bad))}"
        )
    return name


VARIABLES = "Variable"
"""The variables' collection."""


class VariableStore:
    """Create, change, delete and read variables."""

    def __init__(
        self,
        db: AsyncDatabase[Document],
        box: SecretBox,
        bus: Bus,
        updates: UpdateStore,
        read_cache: ReadCache,
    ) -> None:
        self.read_cache = read_cache
        """Where the variables are kept once read (every execution lists them), until one is written."""
        self.coll: AsyncCollection[Document] = WatchedCollection(db, VARIABLES, read_cache)
        self.box = box
        self.bus = bus
        self.updates = updates

    async def ensure_indexes(self) -> None:
        """Variable names are unique."""
        await self.coll.create_index([("name", ASCENDING)], unique=True)

    def _from_document(self, doc: Document) -> Variable:
        value = str(doc.get("value", ""))
        if doc.get("is_secret"):
            value = self.box.decrypt(value)
        return Variable.model_validate({**doc, "value": value})

    def _to_document(self, variable: Variable) -> Document:
        doc: Document = variable.model_dump(mode="json")
        if variable.is_secret:
            redactor.add(variable.value)
            doc["value"] = self.box.encrypt(variable.value)
        return doc

    async def get(self, name: str) -> Variable:
        """The variable with that name, or a 404."""
        doc = await self.coll.find_one({"name": name})
        if doc is None:
            raise NotFound(f"no variable named {name!r}")
        return self._from_document(doc)

    async def list(self) -> list[Variable]:
        """Every variable, by name."""

        async def load() -> tuple[Variable, ...]:
            docs = await self.coll.find({}).sort("name", ASCENDING).to_list(None)
            return tuple(self._from_document(doc) for doc in docs)

        return list(await self.read_cache.read(VARIABLES, "all", load))

    async def _record(self, operation: Operation, operator: str, stage: str, text: str) -> None:
        await self.updates.record(
            operation, ResourceTarget.system(), operator, [Log(stage=stage, stdout=text, start_ts=now_ms())]
        )

    @staticmethod
    def _shown(variable: Variable, value: str) -> str:
        return "<secret>" if variable.is_secret else repr(value)

    async def create(self, variable: Variable, operator: str) -> Variable:
        """Create a variable; a secret one is stored encrypted and never shown in Updates."""
        validate_variable_name(variable.name)
        if await self.coll.find_one({"name": variable.name}, {"_id": 1}) is not None:
            raise Conflict(f"a variable named {variable.name!r} already exists")
        try:
            await self.coll.insert_one(self._to_document(variable))
        except DuplicateKeyError:
            raise Conflict(f"a variable named {variable.name!r} already exists") from None
        await self._record(
            Operation.CreateVariable,
            operator,
            "Create Variable",
            f"Created variable {variable.name!r} = {self._shown(variable, variable.value)}",
        )
        await announce_entity(self.bus, "Variable", variable.name, ResourceChange.Created, variable.name)
        return variable

    async def _change(self, name: str, changes: dict[str, Any]) -> tuple[Variable, Variable]:
        """Apply `changes` to the stored variable (only the fields that change, compare-and-set)."""
        seen: list[tuple[Variable, Variable]] = []

        async def changes_of(doc: Document) -> dict[str, Any]:
            seen.clear()
            before = self._from_document(doc)
            after = before.model_copy(update=changes)
            seen.append((before, after))
            stored = self._to_document(after)
            # The value is stored anew when it or its secrecy changes (a secret one is encrypted).
            fields = [k for k in changes if changes[k] != getattr(before, k)]
            if fields and ("value" in fields or "is_secret" in fields):
                fields.append("value")
            return {k: stored[k] for k in dict.fromkeys(fields)}

        await set_changed(self.coll, {"name": name}, changes_of, f"variable named {name!r}")
        await announce_entity(self.bus, "Variable", name, ResourceChange.Updated, name)
        return seen[0]

    async def set_value(self, name: str, value: str, operator: str) -> Variable:
        """Change a variable's value."""
        before, after = await self._change(name, {"value": value})
        if before.value != value:
            await self._record(
                Operation.UpdateVariableValue,
                operator,
                "Update Variable Value",
                f"Changed {name!r} from {self._shown(after, before.value)} to {self._shown(after, value)}",
            )
        return after

    async def set_description(self, name: str, description: str) -> Variable:
        """Change a variable's description."""
        return (await self._change(name, {"description": description}))[1]

    async def set_is_secret(self, name: str, is_secret: bool) -> Variable:
        """Mark a variable secret (its value is then encrypted and hidden) or not."""
        return (await self._change(name, {"is_secret": is_secret}))[1]

    async def delete(self, name: str, operator: str) -> Variable:
        """Delete a variable."""
        variable = await self.get(name)
        await self.coll.delete_one({"name": name})
        await self._record(
            Operation.DeleteVariable, operator, "Delete Variable", f"Deleted variable {name!r}"
        )
        await announce_entity(self.bus, "Variable", name, ResourceChange.Deleted, name)
        return variable
