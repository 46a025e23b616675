"""Reading Komodo's ResourceSync TOML: files into declared resources, variables and user groups.

Every error names the file, and where it can the line, the resource and the field; a sync whose files fail to
read or parse applies nothing (the caller stops at the first `SyncFileError`).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from typing import Any

from services.sync.kinds import BY_SECTION, SyncKind

RESOURCE_KEYS = frozenset({"name", "description", "template", "tags", "deploy", "after", "config"})
"""The keys of a `[[<kind>]]` entry (Komodo's `ResourceToml`)."""
VARIABLE_KEYS = frozenset({"name", "value", "description", "is_secret"})
"""The keys of a `[[variable]]` entry."""
USER_GROUP_KEYS = frozenset({"name", "everyone", "users", "all", "permissions"})
"""The keys of a `[[user_group]]` entry."""
EXTRA_TABLES = frozenset({"swarm"})
"""Tables Komodo knows that Varanus keeps as data only (no swarm execution exists)."""


class SyncFileError(Exception):
    """A sync's files cannot be used: the message names the file, line, resource and field where known."""


@dataclass
class SourceFile:
    """One TOML file of a sync."""

    path: str
    """Where it came from (`<ui>` for file_contents, else its path)."""
    contents: str
    resource_path: str = ""


@dataclass
class DeclaredResource:
    """One `[[<kind>]]` entry."""

    kind: SyncKind
    name: str
    file: str
    description: str = ""
    template: bool = False
    tags: list[str] = field(default_factory=list)
    deploy: bool = False
    after: list[str] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)


@dataclass
class Declared:
    """Everything a sync's files declare."""

    resources: list[DeclaredResource] = field(default_factory=list)
    variables: dict[str, dict[str, Any]] = field(default_factory=dict)
    user_groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    swarms: list[dict[str, Any]] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    _by_name: dict[tuple[str, str], DeclaredResource] = field(default_factory=dict, repr=False)

    def count(self) -> int:
        """How many entries the files declare."""
        return len(self.resources) + len(self.variables) + len(self.user_groups) + len(self.swarms)

    def named(self, kind: SyncKind, name: str) -> DeclaredResource | None:
        """The declared resource of that kind and name."""
        return self._by_name.get((kind.section, name))

    def add(self, resource: DeclaredResource) -> None:
        """Declare a resource (its name checked unique by the caller)."""
        self.resources.append(resource)
        self._by_name[(resource.kind.section, resource.name)] = resource


_TRIPLE = re.compile(r'"""(.*?)"""', re.DOTALL)


def escape_triple_strings(text: str) -> str:
    """Komodo's `escape_between_triple_string`: backslashes inside `\"\"\"...\"\"\"` are literal (commands,
    regexes and Windows paths read as written)."""
    return _TRIPLE.sub(lambda m: '"""' + m.group(1).replace("\\", "\\\\") + '"""', text)


def _str_list(value: Any, where: str) -> list[str]:
    """An item-or-list field (`tags = "a"` or `tags = ["a", "b"]`)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise SyncFileError(f"{where}: expected a string or a list of strings")


def _unknown_keys(entry: dict[str, Any], allowed: frozenset[str], where: str) -> None:
    unknown = sorted(set(entry) - allowed)
    if unknown:
        raise SyncFileError(f"{where}: unknown field {unknown[0]!r} (allowed: {', '.join(sorted(allowed))})")


def _resource(kind: SyncKind, entry: Any, file: str, index: int) -> DeclaredResource:
    where = f"{file}: [[{kind.section}]] #{index + 1}"
    if not isinstance(entry, dict):
        raise SyncFileError(f"{where}: expected a table")
    name = entry.get("name")
    if not isinstance(name, str) or not name:
        raise SyncFileError(f"{where}: missing field 'name'")
    where = f"{file}: {kind.section} {name!r}"
    _unknown_keys(entry, RESOURCE_KEYS, where)
    config = entry.get("config", {})
    if not isinstance(config, dict):
        raise SyncFileError(f"{where}: field 'config' must be a table")
    description = entry.get("description", "")
    if not isinstance(description, str):
        raise SyncFileError(f"{where}: field 'description' must be a string")
    return DeclaredResource(
        kind=kind,
        name=name,
        file=file,
        description=description,
        template=bool(entry.get("template", False)),
        tags=_str_list(entry.get("tags", []), f"{where}: field 'tags'"),
        deploy=bool(entry.get("deploy", False)),
        after=_str_list(entry.get("after", []), f"{where}: field 'after'"),
        config=config,
    )


def one_line_inline_tables(text: str) -> str:
    """TOML 1.1's inline tables (newlines, comments and a trailing comma inside `{ }`, as Komodo's permissioning
    docs write them) in TOML 1.0, which `tomllib` reads: inside braces, outside strings, comments are dropped,
    newlines become spaces and a comma before `}` goes."""
    out: list[str] = []
    depth, i, n = 0, 0, len(text)
    quote = ""
    while i < n:
        c = text[i]
        if quote:
            if text.startswith(quote, i):
                out.append(quote)
                i += len(quote)
                quote = ""
                continue
            if c == "\\" and quote in ('"', '"""') and i + 1 < n:
                out.append(text[i : i + 2])
                i += 2
                continue
            out.append(c)
            i += 1
            continue
        for q in ('"""', "'''", '"', "'"):
            if text.startswith(q, i):
                quote = q
                break
        if quote:
            out.append(quote)
            i += len(quote)
            continue
        if c == "#" and depth:
            while i < n and text[i] != "\n":
                i += 1
            continue
        if c == "{":
            depth += 1
        elif c == "}" and depth:
            depth -= 1
            while out and out[-1] in " \t":
                out.pop()
            if out and out[-1] == ",":
                out.pop()
        elif c == "\n" and depth:
            c = " "
        out.append(c)
        i += 1
    return "".join(out)


def load_toml(text: str) -> dict[str, Any]:
    """Komodo's TOML as a dict: backslashes in triple-quoted strings literal, TOML 1.1 inline tables accepted.
    The error is the one of the text as written."""
    escaped = escape_triple_strings(text)
    try:
        return tomllib.loads(escaped)
    except tomllib.TOMLDecodeError as err:
        try:
            return tomllib.loads(one_line_inline_tables(escaped))
        except tomllib.TOMLDecodeError:
            raise err from None


def parse_file(source: SourceFile, into: Declared) -> None:
    """Add what one file declares to `into`; a SyncFileError for anything wrong in it."""
    try:
        data = load_toml(source.contents)
    except tomllib.TOMLDecodeError as err:
        raise SyncFileError(f"{source.path}: TOML syntax error: {err}") from None
    into.files.append(source.path)
    for table, entries in data.items():
        section = (
            table[:-1]
            if table.endswith("s") and table[:-1] in {*BY_SECTION, "variable", "user_group", "swarm"}
            else table
        )
        if not isinstance(entries, list):
            raise SyncFileError(f"{source.path}: [{table}] must be an array of tables: write [[{section}]]")
        if section == "variable":
            for index, entry in enumerate(entries):
                _variable(entry, source.path, index, into)
        elif section == "user_group":
            for index, entry in enumerate(entries):
                _user_group(entry, source.path, index, into)
        elif section in EXTRA_TABLES:
            for index, entry in enumerate(entries):
                if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or not entry["name"]:
                    raise SyncFileError(f"{source.path}: [[swarm]] #{index + 1}: missing field 'name'")
                into.swarms.append(entry)
        elif section in BY_SECTION:
            kind = BY_SECTION[section]
            for index, entry in enumerate(entries):
                resource = _resource(kind, entry, source.path, index)
                other = into.named(kind, resource.name)
                if other is not None:
                    raise SyncFileError(
                        f"{source.path}: {kind.section} {resource.name!r} is declared twice"
                        f" (also in {other.file})"
                    )
                into.add(resource)
        else:
            known = ", ".join(f"[[{s}]]" for s in [*BY_SECTION, "variable", "user_group", "swarm"])
            raise SyncFileError(f"{source.path}: unknown table [[{table}]] (known: {known})")


def _variable(entry: Any, file: str, index: int, into: Declared) -> None:
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or not entry["name"]:
        raise SyncFileError(f"{file}: [[variable]] #{index + 1}: missing field 'name'")
    where = f"{file}: variable {entry['name']!r}"
    _unknown_keys(entry, VARIABLE_KEYS, where)
    if entry["name"] in into.variables:
        raise SyncFileError(f"{where} is declared twice")
    for key in ("value", "description"):
        if not isinstance(entry.get(key, ""), str):
            raise SyncFileError(f"{where}: field {key!r} must be a string")
    into.variables[entry["name"]] = entry


def _user_group(entry: Any, file: str, index: int, into: Declared) -> None:
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or not entry["name"]:
        raise SyncFileError(f"{file}: [[user_group]] #{index + 1}: missing field 'name'")
    where = f"{file}: user_group {entry['name']!r}"
    _unknown_keys(entry, USER_GROUP_KEYS, where)
    if entry["name"] in into.user_groups:
        raise SyncFileError(f"{where} is declared twice")
    _str_list(entry.get("users", []), f"{where}: field 'users'")
    if not isinstance(entry.get("all", {}), dict):
        raise SyncFileError(f"{where}: field 'all' must be a table")
    if not isinstance(entry.get("permissions", []), list):
        raise SyncFileError(f"{where}: field 'permissions' must be a list")
    into.user_groups[entry["name"]] = entry


def parse_files(sources: list[SourceFile]) -> Declared:
    """Everything the files declare; a SyncFileError when there are none, or one is empty or broken."""
    if not sources:
        raise SyncFileError("the sync has no files: nothing read, nothing will be applied")
    declared = Declared()
    for source in sources:
        if not source.contents.strip():
            raise SyncFileError(f"{source.path}: the file is empty: refusing to sync from it")
        before = declared.count()
        parse_file(source, declared)
        if declared.count() == before:
            raise SyncFileError(f"{source.path}: the file declares nothing: refusing to sync from it")
    return declared
