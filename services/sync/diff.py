"""The difference between a sync's files and the system: what RunSync would create, update and delete.

`plan` is pure (no I/O): it takes the parsed files, the snapshot of the system and the sync's config, and
gives the changes with their canonical before and after, from which the `DiffData` TOML is rendered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from contracts.entities.common import ResourceTarget, ResourceTargetVariant
from contracts.entities.resource_sync import (
    CreateDiff,
    DeleteDiff,
    DiffCreate,
    DiffDelete,
    DiffUpdate,
    ResourceDiff,
    ResourceSyncConfig,
    SyncDeployTarget,
    UpdateDiff,
)
from services.sync.kinds import KINDS, SyncKind
from services.sync.normalise import current_config, desired_config, toml_config
from services.sync.state import Current
from services.sync.toml_files import Declared, DeclaredResource, SyncFileError
from services.sync.toml_write import dumps

Op = Literal["Create", "Update", "Delete"]
SECRET_CHANGED = "<secret value changed>"  # noqa: S105 - a placeholder shown instead of a secret
"""What a diff shows for a secret field (or a secret variable's value) that would change."""
V = ResourceTargetVariant


@dataclass
class Canonical:
    """A resource in the form both sides are compared in."""

    description: str = ""
    template: bool = False
    tags: list[str] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)

    def comparable(self) -> tuple[Any, ...]:
        return (self.description, self.template, sorted(self.tags), self.config)


@dataclass
class ResourceChange:
    """One pending change of a resource."""

    kind: SyncKind
    name: str
    op: Op
    id: str = ""
    """The resource's id (updates and deletes)."""
    desired: Canonical | None = None
    current: Canonical | None = None


@dataclass
class VariableChange:
    """One pending change of a variable."""

    name: str
    op: Op
    desired: dict[str, Any] = field(default_factory=dict)
    current: dict[str, Any] = field(default_factory=dict)


@dataclass
class GroupChange:
    """One pending change of a user group."""

    name: str
    op: Op
    id: str = ""
    desired: dict[str, Any] = field(default_factory=dict)
    current: dict[str, Any] = field(default_factory=dict)


@dataclass
class Plan:
    """Everything a sync would change."""

    resources: list[ResourceChange] = field(default_factory=list)
    variables: list[VariableChange] = field(default_factory=list)
    user_groups: list[GroupChange] = field(default_factory=list)
    deploys: list[SyncDeployTarget] = field(default_factory=list)
    in_scope: int = 0
    """How many existing resources the sync manages (for the share of deletes)."""

    @property
    def deletes(self) -> int:
        """How many resources, variables and groups it would delete."""
        changes: list[ResourceChange | VariableChange | GroupChange] = [
            *self.resources,
            *self.variables,
            *self.user_groups,
        ]
        return sum(1 for c in changes if c.op == "Delete")

    @property
    def empty(self) -> bool:
        return not (self.resources or self.variables or self.user_groups or self.deploys)


def resource_toml(kind: SyncKind, name: str, canonical: Canonical) -> dict[str, Any]:
    """A resource as a `[[<kind>]]` entry (defaults left out)."""
    entry: dict[str, Any] = {"name": name}
    if canonical.description:
        entry["description"] = canonical.description
    if canonical.template:
        entry["template"] = True
    if canonical.tags:
        entry["tags"] = sorted(canonical.tags)
    config = toml_config(kind, canonical.config)
    if config:
        entry["config"] = config
    return entry


def render(section: str, entry: dict[str, Any]) -> str:
    """One entry as TOML text."""
    return dumps({section: [entry]})


def stored_canonical(kind: SyncKind, resource: Any, current: Current) -> Canonical:
    """A stored resource in canonical form."""
    return Canonical(
        description=resource.description,
        template=resource.template,
        tags=sorted(current.tags.get(t, t) for t in resource.tags),
        config=current_config(kind, resource.config, current),
    )


def has_tags(tags: list[str], wanted: list[str]) -> bool:
    """Whether a resource's tag names include all the wanted ones."""
    return all(tag in tags for tag in wanted)


def _after_cycles(declared: Declared, current: Current) -> None:
    """A SyncFileError for an `after` naming no deployment or stack (in the files or the system), or a cycle."""
    deployable = {r.name: r for r in declared.resources if r.kind.variant in (V.Deployment, V.Stack)}
    known = set(deployable)
    for variant in (V.Deployment, V.Stack):
        known |= set(current.names.get(variant, {}).values())
    for r in declared.resources:
        if r.after and r.kind.variant not in (V.Deployment, V.Stack):
            raise SyncFileError(
                f"{r.file}: {r.kind.section} {r.name!r}: field 'after': only deployments and stacks have it"
            )
        for parent in r.after:
            if parent not in known:
                raise SyncFileError(
                    f"{r.file}: {r.kind.section} {r.name!r}: field 'after': no deployment or stack named {parent!r}"
                    " in the system or in the sync's files"
                )
    state: dict[str, int] = {}

    def visit(name: str, chain: list[str]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            cycle = " -> ".join([*chain[chain.index(name) :], name])
            raise SyncFileError(
                f"{deployable[name].file}: {deployable[name].kind.section} {name!r}: field 'after': a cycle: {cycle}"
            )
        state[name] = 1
        for parent in deployable[name].after:
            if parent in deployable:
                visit(parent, [*chain, name])
        state[name] = 2

    for name in deployable:
        visit(name, [])


def plan(
    declared: Declared,
    current: Current,
    config: ResourceSyncConfig,
    sync_name: str = "",
    running: dict[ResourceTargetVariant, dict[str, bool]] | None = None,
    images: dict[str, str] | None = None,
) -> Plan:
    """The changes that would bring the system to what the files declare (within the sync's scope)."""
    result = Plan()
    match_tags = list(config.match_tags)
    delete = config.delete or config.managed
    _after_cycles(declared, current)
    scoped = [r for r in declared.resources if has_tags(r.tags, match_tags)]
    names: dict[ResourceTargetVariant, set[str]] = {}
    for r in declared.resources:
        names.setdefault(r.kind.variant, set()).add(r.name)
    changed: set[tuple[ResourceTargetVariant, str]] = set()
    configs: dict[tuple[ResourceTargetVariant, str], Canonical] = {}
    if config.include_resources:
        for kind in KINDS:
            existing = current.of(kind)
            mine = [r for r in scoped if r.kind is kind]
            mine_names = {r.name for r in mine}
            for r in mine:
                if kind.variant == V.ResourceSync and r.name == sync_name:
                    continue  # a sync never changes itself (its own file_contents would be written by it)
                stored = existing.get(r.name)
                desired = configs[(kind.variant, r.name)] = Canonical(
                    description=r.description,
                    template=r.template,
                    tags=sorted(set(r.tags)),
                    config=desired_config(kind, r, stored.config if stored else None, current, names),
                )
                if stored is None:
                    result.resources.append(ResourceChange(kind, r.name, "Create", desired=desired))
                    changed.add((kind.variant, r.name))
                    continue
                now = stored_canonical(kind, stored, current)
                if desired.comparable() != now.comparable():
                    result.resources.append(
                        ResourceChange(kind, r.name, "Update", id=stored.id, desired=desired, current=now)
                    )
                    changed.add((kind.variant, r.name))
            for name, stored in existing.items():
                tag_names = [current.tags.get(t, t) for t in stored.tags]
                if not has_tags(tag_names, match_tags):
                    continue
                if kind.variant == V.ResourceSync and name == sync_name:
                    continue  # a sync never deletes itself
                result.in_scope += 1
                if delete and name not in mine_names:
                    result.resources.append(
                        ResourceChange(
                            kind,
                            name,
                            "Delete",
                            id=stored.id,
                            current=stored_canonical(kind, stored, current),
                        )
                    )
    if config.include_variables:
        _variables(declared, current, delete, result)
    if config.include_user_groups:
        _groups(declared, current, delete, result)
    newer = newer_builds(configs, current, images or {})
    result.deploys = deploys(scoped, changed, running or {}, newer)
    return result


def _variables(declared: Declared, current: Current, delete: bool, result: Plan) -> None:
    for name, entry in declared.variables.items():
        stored = current.variables.get(name)
        desired = {
            "name": name,
            "value": entry.get("value", ""),
            "description": entry.get("description", ""),
            "is_secret": bool(entry.get("is_secret", False)),
        }
        if stored is not None and desired["is_secret"] and "value" not in entry:
            desired["value"] = stored.value  # a secret exported without its value keeps it
        if stored is None:
            result.variables.append(VariableChange(name, "Create", desired=desired))
            continue
        now = {
            "name": name,
            "value": stored.value,
            "description": stored.description,
            "is_secret": stored.is_secret,
        }
        if now != desired:
            result.variables.append(VariableChange(name, "Update", desired=desired, current=now))
    result.in_scope += len(current.variables) if delete else 0
    if delete:
        for name, stored in current.variables.items():
            if name not in declared.variables:
                now = {
                    "name": name,
                    "value": stored.value,
                    "description": stored.description,
                    "is_secret": stored.is_secret,
                }
                result.variables.append(VariableChange(name, "Delete", current=now))


def _level_and_specific(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        return {"level": value, "specific": []}
    if isinstance(value, dict):
        return {"level": value.get("level", "None"), "specific": sorted(value.get("specific", []))}
    return {"level": "None", "specific": []}


def group_canonical(entry: dict[str, Any]) -> dict[str, Any]:
    """A user group as compared: everyone, users (sorted usernames) and `all`."""
    users = entry.get("users", [])
    return {
        "name": entry["name"],
        "everyone": bool(entry.get("everyone", False)),
        "users": sorted([users] if isinstance(users, str) else users),
        "all": {k: _level_and_specific(v) for k, v in sorted((entry.get("all") or {}).items())},
    }


def expand_permissions(
    entries: list[Any], current: Current, declared_names: dict[ResourceTargetVariant, set[str]], where: str
) -> list[dict[str, Any]]:
    """A group's `permissions` as one entry per resource, by name: a target id written `\\regex\\` stands for
    every resource of its type (in the system or the files) whose name the regex matches, as Komodo."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for index, entry in enumerate(entries):
        target = entry.get("target") if isinstance(entry, dict) else None
        if not isinstance(target, dict) or not isinstance(target.get("id"), str):
            raise SyncFileError(f"{where}: field 'permissions[{index}].target': needs type and id")
        try:
            variant = ResourceTargetVariant(str(target.get("type")))
        except ValueError:
            raise SyncFileError(
                f"{where}: field 'permissions[{index}].target.type': unknown type {target.get('type')!r}"
            ) from None
        names = set(current.names.get(variant, {}).values()) | declared_names.get(variant, set())
        wanted: str = target["id"]
        if len(wanted) > 1 and wanted.startswith("\\") and wanted.endswith("\\"):
            try:
                pattern = re.compile(wanted[1:-1])
            except re.error as err:
                raise SyncFileError(
                    f"{where}: field 'permissions[{index}].target.id': bad regex: {err}"
                ) from None
            matched = sorted(n for n in names if pattern.search(n))
        else:
            matched = [current.name_of(variant, wanted)]
        level = _level_and_specific(entry)
        for name in matched:
            found[(variant.value, name)] = {"target": {"type": variant.value, "id": name}, **level}
    return [found[key] for key in sorted(found)]


def stored_permissions(group: Any, current: Current) -> list[dict[str, Any]]:
    """A stored group's permissions on resources, as `expand_permissions` gives them."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for p in current.group_permissions.get(group.name, []):
        if p.level.value == "None" and not p.specific:
            continue
        name = current.name_of(p.resource_target.type, p.resource_target.id)
        found[(p.resource_target.type.value, name)] = {
            "target": {"type": p.resource_target.type.value, "id": name},
            "level": p.level.value,
            "specific": sorted(s.value for s in p.specific),
        }
    return [found[key] for key in sorted(found)]


def _groups(declared: Declared, current: Current, delete: bool, result: Plan) -> None:
    names: dict[ResourceTargetVariant, set[str]] = {}
    for r in declared.resources:
        names.setdefault(r.kind.variant, set()).add(r.name)
    for name, entry in declared.user_groups.items():
        where = f"user_group {name!r}"
        desired = {
            **group_canonical(entry),
            "permissions": expand_permissions(entry.get("permissions", []), current, names, where),
        }
        stored = current.user_groups.get(name)
        if stored is None:
            result.user_groups.append(GroupChange(name, "Create", desired=desired))
            continue
        now = {
            **group_canonical(
                {
                    "name": name,
                    "everyone": stored.everyone,
                    "users": [current.usernames.get(u, u) for u in stored.users],
                    "all": {
                        k.value: v.to_json()
                        for k, v in stored.all.items()
                        if v.level.value != "None" or v.specific
                    },
                }
            ),
            "permissions": stored_permissions(stored, current),
        }
        if now != desired:
            result.user_groups.append(GroupChange(name, "Update", id=stored.id, desired=desired, current=now))
    if delete:
        result.in_scope += len(current.user_groups)
        for name, stored in current.user_groups.items():
            if name not in declared.user_groups:
                result.user_groups.append(GroupChange(name, "Delete", id=stored.id, current={"name": name}))


_SEMVER = re.compile(r"^(\d+)\.(\d+)\.(\d+)")


def newer_builds(
    configs: dict[tuple[ResourceTargetVariant, str], Canonical], current: Current, images: dict[str, str]
) -> dict[str, str]:
    """Deployments (by name) that follow their Build's latest version (0.0.0) and run an image whose version tag
    is older than the build's current version, with that version. An image tag that is no version (`latest`)
    says nothing, so it never triggers a deploy."""
    found: dict[str, str] = {}
    for (variant, name), canonical in configs.items():
        image = canonical.config.get("image") or {}
        params = image.get("params") or {}
        if variant != V.Deployment or image.get("type") != "Build" or name not in images:
            continue
        wanted = params.get("version") or {}
        if any(wanted.get(part, 0) for part in ("major", "minor", "patch")):
            continue  # pinned to a version: a newer build is not for it
        build = current.resources.get(V.Build, {}).get(str(params.get("build_id", "")))
        if build is None:
            continue
        latest = (build.config.version.major, build.config.version.minor, build.config.version.patch)
        tag = images[name].rsplit(":", 1)[-1] if ":" in images[name].rsplit("/", 1)[-1] else ""
        match = _SEMVER.match(tag)
        if match and latest != (0, 0, 0) and tuple(int(g) for g in match.groups()) < latest:
            found[name] = ".".join(str(p) for p in latest)
    return found


def deploys(
    scoped: list[DeclaredResource],
    changed: set[tuple[ResourceTargetVariant, str]],
    running: dict[ResourceTargetVariant, dict[str, bool]],
    newer: dict[str, str] | None = None,
) -> list[SyncDeployTarget]:
    """Deployments and stacks with `deploy = true` that are new, changed or not running, and (cascading) those
    `after` them; each with the targets it waits for."""
    targets: dict[tuple[ResourceTargetVariant, str], DeclaredResource] = {
        (r.kind.variant, r.name): r for r in scoped if r.deploy and r.kind.variant in (V.Deployment, V.Stack)
    }
    reasons: dict[tuple[ResourceTargetVariant, str], str] = {}
    for key in targets:
        if key in changed:
            reasons[key] = "created or config changed"
        elif not running.get(key[0], {}).get(key[1], False):
            reasons[key] = "not running"
        elif key[0] == V.Deployment and key[1] in (newer or {}):
            reasons[key] = f"the attached build has a newer version ({(newer or {})[key[1]]})"
    by_name = {name: key for key in targets for name in [key[1]]}
    grew = True
    while grew:
        grew = False
        for key, r in targets.items():
            if key not in reasons and any(by_name.get(p) in reasons for p in r.after):
                reasons[key] = "a resource it comes after is deployed"
                grew = True
    result = []
    for key, reason in reasons.items():
        after = [
            ResourceTarget(type=by_name[p][0], id=p) for p in targets[key].after if by_name.get(p) in reasons
        ]
        result.append(
            SyncDeployTarget(target=ResourceTarget(type=key[0], id=key[1]), reason=reason, after=after)
        )
    return result


def resource_diffs(result: Plan) -> list[ResourceDiff]:
    """The resource changes as Komodo's `ResourceDiff`s (TOML of proposed and current)."""
    diffs = []
    for change in result.resources:
        target = ResourceTarget(type=change.kind.variant, id=change.name)
        section = change.kind.section
        if change.op == "Create" and change.desired is not None:
            data: Any = CreateDiff(
                data=DiffCreate(
                    name=change.name,
                    proposed=render(section, resource_toml(change.kind, change.name, change.desired)),
                )
            )
        elif change.op == "Update" and change.desired is not None and change.current is not None:
            proposed = resource_toml(change.kind, change.name, change.desired)
            hidden = [
                f
                for f in change.kind.secret_fields
                if change.desired.config.get(f) != change.current.config.get(f)
            ]
            if hidden:  # secrets never appear in a diff; that one changed does
                proposed["config"] = {**proposed.get("config", {}), **dict.fromkeys(hidden, SECRET_CHANGED)}
            data = UpdateDiff(
                data=DiffUpdate(
                    proposed=render(section, proposed),
                    current=render(section, resource_toml(change.kind, change.name, change.current)),
                )
            )
        else:
            assert change.current is not None
            data = DeleteDiff(
                data=DiffDelete(
                    current=render(section, resource_toml(change.kind, change.name, change.current))
                )
            )
        diffs.append(ResourceDiff(target=target, data=data))
    return diffs


def _shown_variable(v: dict[str, Any]) -> dict[str, Any]:
    shown: dict[str, Any] = {
        k: v[k] for k in ("name", "value", "description", "is_secret") if k in v and v[k] not in ("", False)
    }
    if v.get("is_secret"):
        shown.pop("value", None)
    return shown


def variable_diffs(result: Plan) -> list[Any]:
    """Variable changes as `DiffData` (a secret's value is never shown)."""
    out: list[Any] = []
    for c in result.variables:
        if c.op == "Create":
            out.append(
                CreateDiff(
                    data=DiffCreate(name=c.name, proposed=render("variable", _shown_variable(c.desired)))
                )
            )
        elif c.op == "Update":
            proposed, now = _shown_variable(c.desired), _shown_variable(c.current)
            if c.desired.get("is_secret") and c.desired.get("value") != c.current.get("value"):
                proposed["value"] = SECRET_CHANGED
            out.append(
                UpdateDiff(
                    data=DiffUpdate(proposed=render("variable", proposed), current=render("variable", now))
                )
            )
        else:
            out.append(DeleteDiff(data=DiffDelete(current=render("variable", _shown_variable(c.current)))))
    return out


def group_diffs(result: Plan) -> list[Any]:
    """User group changes as `DiffData`."""
    out: list[Any] = []
    for c in result.user_groups:
        if c.op == "Create":
            out.append(CreateDiff(data=DiffCreate(name=c.name, proposed=render("user_group", c.desired))))
        elif c.op == "Update":
            out.append(
                UpdateDiff(
                    data=DiffUpdate(
                        proposed=render("user_group", c.desired), current=render("user_group", c.current)
                    )
                )
            )
        else:
            out.append(DeleteDiff(data=DiffDelete(current=render("user_group", c.current))))
    return out
