"""Resources, variables and user groups as ResourceSync TOML: what a new sync needs to show no diff against
the system the export came from, and to recreate it in an empty one. Secrets are never written: secret config
fields are left out (a sync keeps the stored value when its file leaves them out), a secret variable is
written without its value."""

from __future__ import annotations

from typing import Any

from contracts.entities.common import ResourceTargetVariant
from services.sync.diff import group_canonical, resource_toml, stored_canonical, stored_permissions
from services.sync.kinds import BY_SECTION, KINDS
from services.sync.state import Current
from services.sync.toml_write import dumps


def export_toml(
    current: Current,
    targets: set[tuple[ResourceTargetVariant, str]] | None,
    tags: list[str],
    include_resources: bool,
    include_variables: bool,
    user_groups: set[str] | None,
    existing: dict[str, Any] | None = None,
) -> str:
    """The TOML of the selected resources (`targets` by type and id or name, else all with `tags`), variables
    and user groups (`user_groups` names, None for none). `existing` (a parsed sync file) gives the `deploy`
    and `after` of the resources it declares, which the system does not store, so a rewritten file keeps them."""
    kept = sync_meta(existing or {})
    document: dict[str, list[dict[str, Any]]] = {}
    if include_resources:
        for kind in KINDS:
            for name, resource in sorted(current.of(kind).items()):
                if targets is not None and not {(kind.variant, name), (kind.variant, resource.id)} & targets:
                    continue
                tag_names = [current.tags.get(t, t) for t in resource.tags]
                if targets is None and not all(t in tag_names or t in resource.tags for t in tags):
                    continue
                canonical = stored_canonical(kind, resource, current)
                written = resource_toml(kind, name, canonical)
                meta = kept.get((kind.section, name), {})
                position = 1 + sum(1 for k in ("description", "template", "tags") if k in written)
                items = list(written.items())
                document.setdefault(kind.section, []).append(
                    dict(items[:position] + list(meta.items()) + items[position:])
                )
    if include_variables:
        for name, variable in sorted(current.variables.items()):
            entry: dict[str, Any] = {"name": name}
            if not variable.is_secret:
                entry["value"] = variable.value
            if variable.description:
                entry["description"] = variable.description
            if variable.is_secret:
                entry["is_secret"] = True
            document.setdefault("variable", []).append(entry)
    for name, group in sorted(current.user_groups.items()):
        if user_groups is None or not ({name, group.id} & user_groups):
            continue
        group_entry = group_canonical(
            {
                "name": name,
                "everyone": group.everyone,
                "users": [current.usernames.get(u, u) for u in group.users],
                "all": {k.value: v.to_json() for k, v in group.all.items()},
            }
        )
        entry = {"name": name}
        if group_entry["everyone"]:
            entry["everyone"] = True
        if group_entry["users"]:
            entry["users"] = group_entry["users"]
        if group_entry["all"]:
            entry["all"] = group_entry["all"]
        permissions = stored_permissions(group, current)
        if permissions:
            entry["permissions"] = permissions
        document.setdefault("user_group", []).append(entry)
    return dumps(document)


def sync_meta(existing: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """`deploy` and `after` of each resource a parsed sync file declares, by table and name (plural table names
    accepted; anything malformed is skipped: it only adds meta)."""
    kept: dict[tuple[str, str], dict[str, Any]] = {}
    for table, entries in existing.items():
        section = table[:-1] if table.endswith("s") and table[:-1] in BY_SECTION else table
        if section not in BY_SECTION or not isinstance(entries, list):
            continue
        for entry in entries:
            if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
                continue
            meta: dict[str, Any] = {}
            if entry.get("deploy") is True:
                meta["deploy"] = True
            after = entry.get("after")
            if isinstance(after, str):
                after = [after]
            if isinstance(after, list) and after and all(isinstance(a, str) for a in after):
                meta["after"] = list(after)
            if meta:
                kept[(section, entry["name"])] = meta
    return kept
