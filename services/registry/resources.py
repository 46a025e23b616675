"""Generic storage and rules for every resource kind: create, copy, update, rename, delete, get, list, summary.

Each write validates the whole resource before anything is stored, so a bad field, a duplicate name or a
dangling reference writes nothing. References to other resources are accepted as names or ids and stored as
ids; secret fields are encrypted at rest. Every config write records an Update (as Komodo), and every change
publishes `ResourceChanged` through the outbox: the event is pushed into the changed document's `_outbox` by the
same write (a delete stores it in the `Outbox` collection, guarded by the document), so it is delivered at least
once exactly when the change is stored.
"""

from __future__ import annotations

import contextlib
import copy
import enum
import functools
import json
import logging
import re
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from bson import ObjectId
from pydantic import ValidationError
from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from contracts.base import is_object_id
from contracts.entities.common import (
    PermissionLevelAndSpecifics,
    Resource,
    ResourceListItem,
    ResourceQuery,
    ResourceTarget,
    ResourceTargetVariant,
    TagQueryBehavior,
    TemplatesQueryBehavior,
    Version,
)
from contracts.entities.deployment import Deployment, container_name
from contracts.entities.schedule import ScheduledConfig
from contracts.entities.stack import Stack, project_name
from contracts.entities.update import Log, Operation, Update
from contracts.events.resource import ResourceChange, ResourceChanged
from services.common.bus import Bus
from services.common.errors import BadRequest, Conflict, NotFound, ServiceError, describe_validation_error
from services.common.logging import REDACTED
from services.common.mongo import Document
from services.common.outbox import OUTBOX_FIELD, Outbox, with_event, with_pending
from services.common.schedules import check_schedule
from services.common.secrets import SecretBox
from services.registry.config_checks import problems as config_problems
from services.registry.documents import REVISION, id_or_name_filter, set_changed, to_document
from services.registry.kinds import KINDS_BY_VARIANT, KindSpec, Reference
from services.registry.listing import list_item_info, summarize
from services.registry.names import validate_name
from services.registry.read_cache import ReadCache, WatchedCollection, live_reads_of
from services.registry.references import Referenced, alerter_references, procedure_references
from services.registry.toml import diff_lines, resource_toml
from services.registry.updates import UpdateStore, now_ms

log = logging.getLogger(__name__)

AttachCheck = Callable[[Referenced], Awaitable[None]]
"""Raises (a 403) unless the writer may attach the referenced resource to the config being written."""

LiveSource = Callable[
    [ResourceTargetVariant, list[str], dict[str, dict[str, str]]], Awaitable[dict[str, dict[str, Any]]]
]
"""Gives the live list-info fields of resources of one type, by id (empty when nothing answers); the third
argument passes what the executor needs to know of each (a deployment's server and container name)."""


def _walk(container: Any, parts: list[str]) -> Iterator[tuple[Any, Any]]:
    """Yield (parent, key) for every value at a dotted path; `*` walks list elements."""
    if not parts:
        return
    head, rest = parts[0], parts[1:]
    if head == "*":
        if isinstance(container, list):
            for index in range(len(container)):
                if rest:
                    yield from _walk(container[index], rest)
                else:
                    yield container, index
        return
    if isinstance(container, dict) and head in container:
        if rest:
            yield from _walk(container[head], rest)
        else:
            yield container, head


def _get_path(container: Any, path: str) -> Any:
    for parent, key in _walk(container, path.split(".")):
        return parent[key]
    return None


def _applies(reference: Reference, config: dict[str, Any]) -> bool:
    return reference.when is None or _get_path(config, reference.when[0]) == reference.when[1]


@dataclass(frozen=True, slots=True)
class Listed:
    """A stored resource with what every list of it needs, built once per read from the database and kept with
    that read (so a list answered from memory does not build its items again)."""

    resource: Resource[Any, Any]
    """The resource as stored."""
    item: ResourceListItem[Any]
    """Its list item without live state, build image or referenced names."""
    info: dict[str, Any]
    """`item.info` dumped: what the executor's live fields are merged into (never changed in place)."""
    hint: dict[str, str]
    """What the executor needs to find its live state (`live_hint`)."""
    shown: list[Any] = field(default_factory=list, compare=False)
    """The last item shown with its live fields and overlays, `[live, extra, item]`: a list whose live state
    did not change since (the usual refresh) shows the same item without validating it again."""


class ResourceService:
    """The registry's operations on one resource kind."""

    def __init__(
        self,
        spec: KindSpec,
        db: AsyncDatabase[Document],
        box: SecretBox,
        bus: Bus,
        updates: UpdateStore,
        kinds: dict[str, ResourceService],
        default_limit: int,
        read_cache: ReadCache | None = None,
    ) -> None:
        self.spec = spec
        self.db = db
        self.read_cache = read_cache or ReadCache()
        """Reads kept until this kind's collection is written (one cache for all kinds of the registry)."""
        self.coll: AsyncCollection[Document] = WatchedCollection(db, spec.collection, self.read_cache)
        """This kind's documents. Every write of them goes through this object (or another kind's `coll`, or
        one handed out from here): its writes drop the kept reads."""
        self.box = box
        self.bus = bus
        self.updates = updates
        self.kinds = kinds
        self.default_limit = default_limit
        self.live: LiveSource | None = None
        """Where live list-info fields come from (the executor), for kinds that have them."""
        self.live_kept = False
        """Whether `live` answers are kept until the executor says they changed (then a built list page is
        kept too)."""
        self._built_pages = f"built.{spec.collection}"
        """Where built list pages are kept: dropped with any read they were made of (its own resources, their
        live state, the names and build versions they show)."""
        sources = {spec.collection, live_reads_of(spec.variant)} | {
            KINDS_BY_VARIANT[r.target].collection for r in spec.references
        }
        if spec.variant == ResourceTargetVariant.Deployment:
            sources.add(KINDS_BY_VARIANT[ResourceTargetVariant.Build].collection)
        self.read_cache.depends(self._built_pages, sources)
        if bus.outbox is None:
            bus.outbox = Outbox(db)
        self.outbox: Outbox = bus.outbox
        self.outbox.carries(self.coll)

    # --- storage ---------------------------------------------------------------------------------

    async def ensure_indexes(self) -> None:
        """Unique names, and tag lookups."""
        await self.coll.create_index([("name", ASCENDING)], unique=True)
        await self.coll.create_index([("tags", ASCENDING)])

    def _map_secrets(self, config: dict[str, Any], change: Callable[[str], str]) -> None:
        """Replace every non-empty secret field of `config` (in place) by `change(value)`."""
        for path in self.spec.secret_fields:
            for parent, key in _walk(config, path.split(".")):
                if isinstance(parent[key], str) and parent[key]:
                    parent[key] = change(parent[key])

    def without_secrets(self, resource: Resource[Any, Any]) -> Resource[Any, Any]:
        """The resource with every non-empty secret field shown as redacted (for callers who are not admins)."""
        if not self.spec.secret_fields:
            return resource
        doc = resource.model_dump(mode="json", by_alias=True)
        self._map_secrets(doc.get("config") or {}, lambda _: REDACTED)
        return self.spec.resource_cls.model_validate(doc)

    def _from_document(self, doc: Document) -> Resource[Any, Any]:
        self._map_secrets(doc.get("config") or {}, self.box.decrypt)
        return self.spec.resource_cls.model_validate(doc)

    def _to_document(self, resource: Resource[Any, Any]) -> Document:
        doc = to_document(resource)
        self._map_secrets(doc.get("config", {}), self.box.encrypt)
        return doc

    async def find(self, id_or_name: str) -> Resource[Any, Any] | None:
        """The resource with that id or name, or None."""
        doc = await self.coll.find_one(id_or_name_filter(id_or_name))
        return self._from_document(doc) if doc else None

    async def get(self, id_or_name: str) -> Resource[Any, Any]:
        """The resource with that id or name, or a 404 naming it."""
        resource = await self.find(id_or_name)
        if resource is None:
            raise NotFound(f"no {self.spec.name} named or with id {id_or_name!r}")
        return resource

    async def read(self, id_or_name: str) -> Resource[Any, Any]:
        """As `get`, for answering reads: kept in memory until this kind's collection is written (see
        `read_cache`). The resource is shared with other reads: never change it in place."""
        resource = await self.read_cache.read(
            self.spec.collection, ("get", id_or_name), lambda: self.find(id_or_name)
        )
        if resource is None:
            raise NotFound(f"no {self.spec.name} named or with id {id_or_name!r}")
        return resource

    async def resolve_id(self, id_or_name: str) -> str | None:
        """The id of the resource with that id or name, or None (kept like other reads: every permission check
        by name asks it)."""

        async def load() -> str | None:
            doc = await self.coll.find_one(id_or_name_filter(id_or_name), {"_id": 1})
            return str(doc["_id"]) if doc else None

        return await self.read_cache.read(self.spec.collection, ("id", id_or_name), load)

    # --- validation --------------------------------------------------------------------------------

    def _validate_config(self, config: dict[str, Any]) -> Any:
        try:
            return self.spec.config_adapter.validate_python(config)
        except ValidationError as err:
            bad = describe_validation_error(err, f"{self.spec.name} config")
            raise BadRequest(
                bad.message.replace(": ", ": config.", 1), [f"config.{t}" for t in bad.trace]
            ) from None

    async def _resolve(self, variant: ResourceTargetVariant, value: str) -> tuple[str, str] | None:
        """(id, name) of the resource of type `variant` with that id or name, or None."""
        target = self.kinds[variant.value]
        doc = await target.coll.find_one(id_or_name_filter(value), {"_id": 1, "name": 1})
        return (str(doc["_id"]), str(doc.get("name") or "")) if doc else None

    async def _all_of(self, variant: ResourceTargetVariant) -> list[tuple[str, str]]:
        """(id, name) of every resource of type `variant`."""
        cursor = self.kinds[variant.value].coll.find({}, {"_id": 1, "name": 1})
        return [(str(doc["_id"]), str(doc.get("name") or "")) async for doc in cursor]

    async def _resolve_references(self, config: dict[str, Any]) -> list[Referenced]:
        """Replace names in reference fields by ids (in place) and answer every resource the config points at.

        A reference to nothing is a 400 naming the field.
        """
        found: list[Referenced] = []
        for reference in self.spec.references:
            if not _applies(reference, config):
                continue
            for parent, key in _walk(config, reference.path.split(".")):
                value = parent[key]
                if not isinstance(value, str) or not value:
                    continue
                field = reference.path.replace(".*", f"[{key}]") if isinstance(key, int) else reference.path
                resolved = await self._resolve(reference.target, value)
                if resolved is None:
                    raise BadRequest(
                        f"config.{field}: no {reference.target.value} named or with id {value!r}"
                    )
                parent[key] = resolved[0]
                found.append(Referenced(f"config.{field}", reference.target, *resolved))
        if self.spec.variant == ResourceTargetVariant.Alerter:
            found.extend(await alerter_references(config, self._resolve))
        elif self.spec.variant == ResourceTargetVariant.Procedure:
            found.extend(await procedure_references(config, self._resolve, self._all_of))
        return found

    async def _checked_config(
        self, config: dict[str, Any], attach: AttachCheck | None = None, before: dict[str, Any] | None = None
    ) -> Any:
        """The validated config with references stored as ids.

        With `attach`, every resource the config points at that `before` (the stored config) did not is passed
        to it, so a writer can only attach what it may: a reference that was already there is not checked again.
        """
        validated = self._validate_config(config)
        if isinstance(validated, ScheduledConfig):
            check_schedule(validated, self.bus.settings.timezone)
        found = config_problems(self.spec.variant, validated)
        if found:
            raise BadRequest("; ".join(found))
        as_json = validated.model_dump(mode="json", by_alias=False)
        references = await self._resolve_references(as_json)
        if attach is not None:
            known: set[tuple[ResourceTargetVariant, str]] = set()
            if before is not None:
                with contextlib.suppress(ServiceError):
                    known = {(r.target, r.id) for r in await self._resolve_references(copy.deepcopy(before))}
            for reference in references:
                if (reference.target, reference.id) not in known:
                    await attach(reference)
                    known.add((reference.target, reference.id))
        return self._validate_config(as_json)

    async def _check_name_free(self, name: str, except_id: str | None = None) -> None:
        validate_name(name, self.spec.name)
        doc = await self.coll.find_one({"name": name}, {"_id": 1})
        if doc is not None and str(doc["_id"]) != except_id:
            raise Conflict(f"a {self.spec.name} named {name!r} already exists")

    def _target(self, resource_id: str) -> ResourceTarget:
        return ResourceTarget(type=self.spec.variant, id=resource_id)

    def _toml(self, resource: Resource[Any, Any]) -> str:
        config = resource.config.model_dump(mode="json")
        self._map_secrets(config, lambda _: REDACTED)
        return resource_toml(
            self.spec.toml_section, resource.name, resource.description, resource.tags, config
        )

    def _event(
        self, change: ResourceChange, resource_id: str, name: str, previous_name: str = ""
    ) -> ResourceChanged:
        """The `ResourceChanged` a write stores with its change."""
        return ResourceChanged(
            change=change, name=name, previous_name=previous_name, resource=self._target(resource_id)
        )

    def _operation(self, verb: str) -> Operation:
        return Operation(f"{verb}{self.spec.name}")

    # --- writes ------------------------------------------------------------------------------------

    async def _insert(self, resource: Resource[Any, Any]) -> None:
        event = self._event(ResourceChange.Created, resource.id, resource.name)
        try:
            await self.coll.insert_one(with_pending(self._to_document(resource), event))
        except DuplicateKeyError:
            raise Conflict(f"a {self.spec.name} named {resource.name!r} already exists") from None

    async def create(
        self,
        name: str,
        config: dict[str, Any],
        operator: str,
        description: str = "",
        tags: list[str] | None = None,
        attach: AttachCheck | None = None,
    ) -> Resource[Any, Any]:
        """Create a resource from a partial config (missing fields take Komodo's defaults).

        `attach` checks each resource the config points at (see `_checked_config`); None trusts the writer.
        """
        await self._check_name_free(name)
        checked = await self._checked_config(config, attach)
        resource = self.spec.resource_cls.model_validate(
            {
                "id": str(ObjectId()),
                "name": name,
                "description": description,
                "tags": list(tags or []),
                "config": checked,
                "base_permission": PermissionLevelAndSpecifics(),
                "updated_at": now_ms(),
            }
        )
        await self._insert(resource)
        await self.updates.record(
            self._operation("Create"),
            self._target(resource.id),
            operator,
            [
                Log(
                    stage=f"Create {self.spec.name}",
                    stdout=f"Created {self.spec.name} {name!r}",
                    start_ts=now_ms(),
                )
            ],
            current_toml=self._toml(resource),
        )
        self.outbox.wake(self.coll.name)
        return resource

    async def copy(
        self, name: str, source: str, operator: str, attach: AttachCheck | None = None
    ) -> Resource[Any, Any]:
        """Create a resource named `name` with the config, description and tags of `source`.

        The copy's references are checked with `attach` as a new config's: a copy attaches them anew.
        """
        original = await self.get(source)
        return await self.create(
            name,
            original.config.model_dump(mode="json"),
            operator,
            description=original.description,
            tags=list(original.tags),
            attach=attach,
        )

    async def update(
        self, id_or_name: str, partial: dict[str, Any], operator: str, attach: AttachCheck | None = None
    ) -> Resource[Any, Any]:
        """Merge a partial config onto the stored one (fields given replace fields stored) and save it.

        Only the config fields that changed are written, and only if nobody changed the config since it was
        read (a compare-and-set on the document's `_rev`, which every config write increments); otherwise the
        partial is merged again onto what is stored now. So concurrent updates of different fields, a rename,
        a tag change or a reference cleared by a delete in between are all kept.
        """
        seen: list[tuple[Resource[Any, Any], Resource[Any, Any] | None]] = []

        async def changes_of(doc: Document) -> dict[str, Any]:
            seen.clear()
            current = self._from_document(doc)
            stored = current.config.model_dump(mode="json")
            merged = merge_partial(stored, partial)
            # A secret sent back as shown to a non-admin (redacted) means "unchanged", not a new secret.
            for path in self.spec.secret_fields:
                for parent, key in _walk(merged, path.split(".")):
                    if parent[key] == REDACTED:
                        parent[key] = _get_path(stored, path)
            checked = await self._checked_config(merged, attach, before=stored)
            if checked == current.config:
                seen.append((current, None))
                return {}
            updated = current.model_copy(update={"config": checked, "updated_at": now_ms()})
            seen.append((current, updated))
            plain = checked.model_dump(mode="json")
            stored_form = self._to_document(updated)["config"]
            changes = {f"config.{key}": stored_form[key] for key in plain if plain[key] != stored.get(key)}
            return {**changes, "updated_at": updated.updated_at}

        await set_changed(
            self.coll,
            id_or_name_filter(id_or_name),
            changes_of,
            f"{self.spec.name} named or with id {id_or_name!r}",
            event_of=lambda doc: self._event(ResourceChange.Updated, str(doc["_id"]), str(doc.get("name"))),
        )
        current, updated = seen[0]
        if updated is None:
            return current
        before, after = self._toml(current), self._toml(updated)
        await self.updates.record(
            self._operation("Update"),
            self._target(current.id),
            operator,
            [Log(stage=f"Update {self.spec.name}", stdout=diff_lines(before, after), start_ts=now_ms())],
            prev_toml=before,
            current_toml=after,
        )
        self.outbox.wake(self.coll.name)
        return updated

    async def rename(self, id_or_name: str, name: str, operator: str) -> Update:
        """Give a resource a new name; answers the Update that records it."""
        current = await self.get(id_or_name)
        await self._check_name_free(name, except_id=current.id)
        try:
            event = self._event(ResourceChange.Renamed, current.id, name, current.name)
            await self.coll.update_one(
                {"_id": ObjectId(current.id)},
                with_event({"$set": {"name": name, "updated_at": now_ms()}}, event),
            )
        except DuplicateKeyError:
            raise Conflict(f"a {self.spec.name} named {name!r} already exists") from None
        update = await self.updates.record(
            self._operation("Rename"),
            self._target(current.id),
            operator,
            [
                Log(
                    stage=f"Rename {self.spec.name}",
                    stdout=f"Renamed {self.spec.name} {current.name!r} to {name!r}",
                    start_ts=now_ms(),
                )
            ],
        )
        self.outbox.wake(self.coll.name)
        return update

    async def delete(self, id_or_name: str, operator: str) -> Resource[Any, Any]:
        """Delete a resource, clear references to it in other resources, and answer what was deleted."""
        current = await self.get(id_or_name)
        oid = ObjectId(current.id)
        # Events still carried by the document (its creation, if not relayed yet) must outlive it; the delete's
        # own is stored before it and published only once the document is gone (a crash in between drops it).
        await self.outbox.keep_pending(await self.coll.find_one({"_id": oid}, {OUTBOX_FIELD: 1}))
        await self.outbox.record(
            self._event(ResourceChange.Deleted, current.id, current.name), guard=(self.spec.collection, oid)
        )
        await self.outbox.keep_pending(await self.coll.find_one_and_delete({"_id": oid}))
        cleared = await self._clear_references_to(current.id)
        lines = [f"Deleted {self.spec.name} {current.name!r}", *cleared]
        await self.updates.record(
            self._operation("Delete"),
            self._target(current.id),
            operator,
            [Log(stage=f"Delete {self.spec.name}", stdout="\n".join(lines), start_ts=now_ms())],
            prev_toml=self._toml(current),
        )
        self.outbox.wake(self.coll.name)
        return current

    async def _clear_references_to(self, resource_id: str) -> list[str]:
        """Empty every simple reference field in other kinds that points at the deleted resource."""
        notes: list[str] = []
        for other in self.kinds.values():
            for reference in other.spec.references:
                if reference.target != self.spec.variant or "*" in reference.path:
                    continue
                field = f"config.{reference.path}"
                result = await other.coll.update_many(
                    {field: resource_id}, {"$set": {field: ""}, "$inc": {REVISION: 1}}
                )
                if result.modified_count:
                    notes.append(f"cleared {field} on {result.modified_count} {other.spec.name}(s)")
            for reference in other.spec.references:
                if reference.target == self.spec.variant and "*" in reference.path:
                    array_field = "config." + reference.path.removesuffix(".*")
                    result = await other.coll.update_many(
                        {array_field: resource_id},
                        {"$pull": {array_field: resource_id}, "$inc": {REVISION: 1}},
                    )
                    if result.modified_count:
                        notes.append(
                            f"removed from {array_field} on {result.modified_count} {other.spec.name}(s)"
                        )
        return notes

    async def update_meta(
        self, id_or_name: str, description: str | None, template: bool | None, tags: list[str] | None
    ) -> Resource[Any, Any]:
        """Change description, template flag or tags (tag names are resolved to ids)."""
        current = await self.get(id_or_name)
        changes: dict[str, Any] = {}
        if description is not None:
            changes["description"] = description
        if template is not None:
            changes["template"] = template
        if tags is not None:
            changes["tags"] = await resolve_tags(self.db, tags, strict=True)
        if not changes:
            return current
        changes["updated_at"] = now_ms()
        event = self._event(ResourceChange.Updated, current.id, current.name)
        await self.coll.update_one({"_id": ObjectId(current.id)}, with_event({"$set": changes}, event))
        updated = current.model_copy(update=changes)
        self.outbox.wake(self.coll.name)
        return updated

    # --- reads -------------------------------------------------------------------------------------

    async def _query_filter(self, query: ResourceQuery[Any]) -> dict[str, Any]:
        clauses: list[dict[str, Any]] = []
        if query.names:
            ids = [ObjectId(n) for n in query.names if is_object_id(n)]
            clauses.append({"$or": [{"name": {"$in": list(query.names)}}, {"_id": {"$in": ids}}]})
        if query.tags:
            # Tag names are read without notices: an answer filtered by them may not be kept elsewhere.
            self.read_cache.untracked()
            tag_ids = await resolve_tags(self.db, query.tags, strict=False)
            if query.tag_behavior == TagQueryBehavior.All:
                clauses.append({"tags": {"$all": tag_ids}})
            else:
                clauses.append({"tags": {"$in": tag_ids}})
        if query.templates == TemplatesQueryBehavior.Only:
            clauses.append({"template": True})
        elif query.templates == TemplatesQueryBehavior.Exclude:
            clauses.append({"template": {"$in": [False, None]}})
        terms = [term for term in query.terms if term]
        if terms:
            clauses.append({"name": {"$regex": terms_pattern(terms)}})
        scheduled = getattr(query.specific, "scheduled", None)  # Procedures and Actions, as Komodo filters
        if scheduled is not None:
            clauses.append({"config.schedule": {"$nin" if scheduled else "$in": ["", None]}})
        if not clauses:
            return {}
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    async def _matching(self, query: ResourceQuery[Any], scope: dict[str, Any] | None = None) -> list[Listed]:
        """Every resource matching the query and scope, by name, each with its list item built."""
        found = await self._scoped_filter(query, scope)

        async def load() -> tuple[Listed, ...]:
            cursor = self.coll.find(found).sort("name", ASCENDING)
            return tuple(self._listed(self._from_document(doc)) for doc in await cursor.to_list(None))

        return list(await self.read_cache.read(self.spec.collection, ("all", repr(found)), load))

    async def _scoped_filter(self, query: ResourceQuery[Any], scope: dict[str, Any] | None) -> dict[str, Any]:
        found = await self._query_filter(query)
        if scope is not None:
            found = {"$and": [found, scope]} if found else scope
        return found

    async def _page_by_name(
        self, found: dict[str, Any], skip: int, size: int, sort_desc: bool
    ) -> list[Listed]:
        """One page of the resources matching the filter `found` by name, sorted, skipped and limited by the
        database, each with its list item built."""
        if skip >= 2**62:  # beyond any collection; MongoDB's skip is a 64-bit integer
            return []

        async def load() -> tuple[Listed, ...]:
            cursor = self.coll.find(found).sort("name", DESCENDING if sort_desc else ASCENDING)
            cursor = cursor.skip(skip).limit(size)
            return tuple(self._listed(self._from_document(doc)) for doc in await cursor.to_list(None))

        key = ("page", repr(found), sort_desc, skip, size)
        return list(await self.read_cache.read(self.spec.collection, key, load))

    def list_item(self, resource: Resource[Any, Any]) -> ResourceListItem[Any]:
        """The list item of a resource."""
        return self.spec.list_item_cls(
            id=resource.id,
            type=self.spec.variant,
            name=resource.name,
            template=resource.template,
            tags=list(resource.tags),
            info=list_item_info(self.spec, resource),
        )

    def _listed(self, resource: Resource[Any, Any]) -> Listed:
        item = self.list_item(resource)
        return Listed(resource, item, item.info.model_dump(), live_hint(resource))

    def _paginate(self, items: list[Any], page: int, limit: int | None) -> list[Any]:
        if page < 0:
            raise BadRequest("page must not be negative")
        size = self.default_limit if limit is None else limit
        if size < 0:
            raise BadRequest("limit must not be negative")
        if size == 0:
            return items
        return items[page * size : (page + 1) * size]

    async def list_items(
        self,
        query: ResourceQuery[Any],
        page: int,
        limit: int | None,
        sort_by: str,
        sort_desc: bool,
        scope: dict[str, Any] | None = None,
    ) -> list[ResourceListItem[Any]]:
        """List items matching a ResourceQuery (and the caller's `scope` filter), sorted and paged (limit 0: all).

        Sorted by name with no filter on live fields (the usual list), the database sorts and pages, and live
        state is asked for the page's items alone. A sort or a filter on a list-info field (live state, image)
        needs every matching item's info first: those load every match, as Komodo does.
        """
        if page < 0:
            raise BadRequest("page must not be negative")
        size = self.default_limit if limit is None else limit
        if size < 0:
            raise BadRequest("limit must not be negative")
        if size > 0 and _snake(str(sort_by or "Name")) == "name" and not filters_specifics(query.specific):
            return await self._built_page(query, page, size, sort_desc, scope)
        items = await self._built(await self._matching(query, scope), names=False)
        items = [item for item in items if matches_specifics(item.info, query.specific)]
        items = sort_items(items, sort_by, sort_desc)
        return await self._with_names(self._paginate(items, page, limit))

    async def _built_page(
        self,
        query: ResourceQuery[Any],
        page: int,
        size: int,
        sort_desc: bool,
        scope: dict[str, Any] | None,
    ) -> list[ResourceListItem[Any]]:
        """One page by name as a list shows it; kept as built while every read it was made of is kept (the
        page, its live state, the names and build versions it shows), when its live state is kept at all."""
        found = await self._scoped_filter(query, scope)
        skip = page * size

        async def build() -> list[ResourceListItem[Any]]:
            return await self._built(await self._page_by_name(found, skip, size, sort_desc), names=True)

        if self.live is not None and not self.live_kept:
            return await build()
        key = (repr(found), sort_desc, skip, size)
        return list(await self.read_cache.read(self._built_pages, key, build))

    async def _built(
        self, listed: list[Listed], names: bool, images: bool = True
    ) -> list[ResourceListItem[Any]]:
        """The list items of `listed` as a list shows them: the executor's live fields (state, stats, agent
        version) over the stored view, a Build deployment's image (`images`), the referenced resources' names
        (`names`). Each item is copied once, and its info validated again only when the executor gave it live
        fields. Without an answer from the executor the stored view stands; a disabled resource stays Disabled.
        """
        if not listed:
            return []
        live = await self._live_fields(listed)
        shown = {e.item.id: {**e.info, **live[e.item.id]} if e.item.id in live else e.info for e in listed}
        extra: dict[str, dict[str, Any]] = {e.item.id: {} for e in listed}
        if images:
            for item_id, image in (await self._build_images(listed, shown)).items():
                extra[item_id]["image"] = image
        if names:
            for item_id, named in (await self._reference_names(shown)).items():
                extra[item_id].update(named)
        return [self._overlaid(e, live.get(e.item.id), extra[e.item.id]) for e in listed]

    @staticmethod
    def _overlaid(entry: Listed, live: dict[str, Any] | None, extra: dict[str, Any]) -> ResourceListItem[Any]:
        if not live and not extra:
            return entry.item
        last = entry.shown
        if last and last[0] == live and last[1] == extra:
            kept: ResourceListItem[Any] = last[2]
            return kept
        if live:
            info = type(entry.item.info).model_validate({**entry.info, **live, **extra})
        else:
            info = entry.item.info.model_copy(update=extra)
        item = entry.item.model_copy(update={"info": info})
        entry.shown[:] = [live, extra, item]
        return item

    async def _live_fields(self, listed: list[Listed]) -> dict[str, dict[str, Any]]:
        """The live fields the executor knows of these resources, by id (none without an answer)."""
        if self.live is None:
            return {}
        hints = {e.item.id: e.hint for e in listed if e.hint}
        infos = await self.live(self.spec.variant, [e.item.id for e in listed], hints)
        if not infos:
            return {}
        found: dict[str, dict[str, Any]] = {}
        for entry in listed:
            fields = dict(infos.get(entry.item.id) or {})
            if getattr(entry.item.info, "state", None) == "Disabled":
                fields.pop("state", None)
            if fields:
                found[entry.item.id] = fields
        return found

    async def _build_images(self, listed: list[Listed], shown: dict[str, dict[str, Any]]) -> dict[str, str]:
        """A Build deployment that runs no container (no image in what is `shown`) shows `<build name>:<version>`
        as its image, as in Komodo (version 0.0.0: the build's current one); one query for all the builds named."""
        if self.spec.variant != ResourceTargetVariant.Deployment:
            return {}
        wanted: dict[str, tuple[str, Version]] = {}
        for resource in (entry.resource for entry in listed):
            image = resource.config.image
            if image.type == "Build" and is_object_id(image.params.build_id):
                wanted[resource.id] = (image.params.build_id, image.params.version)
        missing = [item_id for item_id in wanted if not shown[item_id].get("image", "")]
        if not missing:
            return {}
        builds = self.kinds[ResourceTargetVariant.Build.value].coll
        self.read_cache.reads_from(builds.name)
        oids = [ObjectId(build_id) for build_id, _ in wanted.values()]
        found = {
            str(doc["_id"]): (
                str(doc["name"]),
                Version.model_validate((doc.get("config") or {}).get("version") or {}),
            )
            async for doc in builds.find({"_id": {"$in": oids}}, {"name": 1, "config.version": 1})
        }
        images: dict[str, str] = {}
        for item_id in missing:
            build_id, version = wanted[item_id]
            if build_id in found:
                name, current = found[build_id]
                images[item_id] = f"{name}:{current if version.is_none() else version}"
        return images

    async def _reference_names(self, shown: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
        """`server_name`, `linked_repo_name`, ... of each list info in `shown` (by id), from the referenced
        resources (one query each, kept like other reads); a reference to nothing shows as the field's default
        ("" or null, as Komodo's type has it)."""
        fields = self.spec.list_item_info_cls.model_fields
        named: dict[str, dict[str, Any]] = {item_id: {} for item_id in shown}
        for reference in self.spec.references:
            if "." in reference.path:
                continue
            name_field = reference.path.removesuffix("_id") + "_name"
            if name_field not in fields:
                continue
            missing = fields[name_field].default
            ids = {info.get(reference.path, "") for info in shown.values()} - {""}
            oids = [ObjectId(i) for i in ids if is_object_id(i)]
            names = await self.kinds[reference.target.value].names_of(oids) if oids else {}
            for item_id, info in shown.items():
                named[item_id][name_field] = names.get(info.get(reference.path, ""), missing)
        return named

    async def _with_names(self, items: list[ResourceListItem[Any]]) -> list[ResourceListItem[Any]]:
        """Fill `server_name`, `linked_repo_name`, ... of list items (`_reference_names`)."""
        if not items:
            return items
        named = await self._reference_names({item.id: dict(item.info) for item in items})
        return [
            item.model_copy(update={"info": item.info.model_copy(update=named[item.id])})
            if named[item.id]
            else item
            for item in items
        ]

    async def names_of(self, oids: list[ObjectId]) -> dict[str, str]:
        """The names of the resources of this kind with these ids, by id (kept like other reads)."""
        wanted = sorted(set(oids))

        async def load() -> dict[str, str]:
            cursor = self.coll.find({"_id": {"$in": wanted}}, {"name": 1})
            return {str(d["_id"]): str(d["name"]) async for d in cursor}

        return dict(await self.read_cache.read(self.spec.collection, ("names", tuple(wanted)), load))

    async def list_full(
        self,
        query: ResourceQuery[Any],
        page: int,
        limit: int | None,
        sort_desc: bool,
        scope: dict[str, Any] | None = None,
    ) -> list[Resource[Any, Any]]:
        """Whole resources matching a ResourceQuery (and the caller's `scope` filter), by name, paged."""
        listed = await self._matching(query, scope)
        if query.specific is not None:
            listed = [entry for entry in listed if matches_specifics(entry.item.info, query.specific)]
        resources = [entry.resource for entry in listed]
        if sort_desc:
            resources.reverse()
        return self._paginate(resources, page, limit)

    async def summary(self, scope: dict[str, Any] | None = None) -> Any:
        """Counts of the resources of this kind in `scope`, by state where the kind has one."""
        items = await self._built(await self._matching(ResourceQuery(), scope), names=False, images=False)
        return summarize(self.spec, items)


def live_hint(resource: Resource[Any, Any]) -> dict[str, str]:
    """What the executor needs to find a resource's live state: a Deployment's server and container, a Stack's
    server, compose project, services (JSON) and ignored services (JSON)."""
    config = resource.config
    server_id = getattr(config, "server_id", "")
    if not server_id:
        return {}
    if isinstance(resource, Deployment):
        return {
            "server_id": server_id,
            "container": container_name(resource.name, resource.config.custom_name),
        }
    if isinstance(resource, Stack):
        info = resource.info
        services = info.deployed_services if info.deployed_services is not None else info.latest_services
        return {
            "server_id": server_id,
            "project": project_name(resource.name, resource.config.project_name),
            "services": json.dumps([{"service": s.service_name, "image": s.image} for s in services]),
            "ignore": json.dumps(list(resource.config.ignore_services)),
        }
    return {}


def merge_partial(current: dict[str, Any], partial: dict[str, Any]) -> dict[str, Any]:
    """Komodo's partial config update: fields given replace fields stored.

    A tagged config (`{"type", "params"}`, as a Builder's) whose type stays the same merges its params the
    same way; a new type replaces the params.
    """
    tagged = set(current) == {"type", "params"} and isinstance(partial.get("params"), dict)
    if tagged and partial.get("type", current["type"]) == current["type"]:
        return {"type": current["type"], "params": {**current["params"], **partial["params"]}}
    return {**current, **partial}


async def resolve_tags(db: AsyncDatabase[Document], tags: list[str], strict: bool) -> list[str]:
    """Tag ids for tag names or ids; unknown tags are a 400 when `strict`, else dropped."""
    ids: list[str] = []
    for tag in tags:
        doc = await db["Tag"].find_one(id_or_name_filter(tag), {"_id": 1})
        if doc is None:
            if strict:
                raise BadRequest(f"tags: no tag named or with id {tag!r}")
            continue
        ids.append(str(doc["_id"]))
    return list(dict.fromkeys(ids))


@functools.lru_cache(maxsize=256)  # sort_by comes from callers: bounded
def _snake(value: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", value).lower()


def sort_items(
    items: list[ResourceListItem[Any]], sort_by: str, sort_desc: bool
) -> list[ResourceListItem[Any]]:
    """Sort by name, or by the list info field the sort names (`Image` sorts by `info.image`), name second."""
    key = _snake(str(sort_by or "Name"))
    if key == "name":
        ordered = sorted(items, key=lambda i: i.name)
    else:
        ordered = sorted(items, key=lambda i: (str(getattr(i.info, key, "") or ""), i.name))
    if sort_desc:
        ordered.reverse()
    return ordered


SPECIFIC_FIELDS_BY_INFO: dict[str, tuple[str, ...]] = {"types": ("endpoint_type", "provider", "builder_type")}
"""`types` filters the endpoint kind of alerters, the provider of server templates, the kind of builders."""


def terms_pattern(terms: list[str]) -> str:
    """One case-insensitive regex that matches names holding every term: one pattern with the flag inline, so
    nx-27017 evaluates it in SQL (`$options` or several `$regex` clauses make it test every document in Python)."""
    escaped = [re.escape(term) for term in terms]
    if len(escaped) == 1:
        return f"(?i){escaped[0]}"
    return "(?i)^" + "".join(f"(?=.*{term})" for term in escaped)


def filters_specifics(specific: Any) -> bool:
    """Whether a query's type-specific part filters anything (a non-empty list or a flag set to true)."""
    if specific is None:
        return False
    return any((isinstance(value, list) and value) or value is True for _, value in specific)


def matches_specifics(info: Any, specific: Any) -> bool:
    """Whether a list item info passes a query's type-specific filters.

    A list filter `xs` (e.g. `states`, `server_ids`) keeps items whose info field `x` (`state`, `server_id`)
    is among the values; a boolean filter set to true keeps items whose info field of that name is true (false
    does not filter, as in Komodo); `update_available` keeps a stack when one of its services has an update.
    Empty lists and missing values do not filter. Filters whose field the list info does not carry cannot be
    applied here.
    """
    if specific is None:
        return True
    for name, value in specific:
        if isinstance(value, list) and value:
            singular = name[:-1] if name.endswith("s") else name
            if not hasattr(info, singular) and name in SPECIFIC_FIELDS_BY_INFO:
                singular = next((f for f in SPECIFIC_FIELDS_BY_INFO[name] if hasattr(info, f)), singular)
            if not hasattr(info, singular):
                continue
            current = _plain(getattr(info, singular))
            if current not in {_plain(v) for v in value}:
                return False
        elif value is True and name == "update_available" and not hasattr(info, name):
            # A stack has no flag of its own: it has an update when one of its services has.
            if not any(getattr(s, "update_available", False) for s in getattr(info, "services", [])):
                return False
        elif value is True and hasattr(info, name) and getattr(info, name) is not True:
            return False
    return True


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


def kind_for(variant_name: str) -> KindSpec:
    """The spec of a kind by its type name, or a 400."""
    for spec in KINDS_BY_VARIANT.values():
        if spec.name == variant_name:
            return spec
    raise BadRequest(f"unknown resource type {variant_name!r}")
