"""Finding request classes by kind and name, importing as few contract modules as possible.

Importing every contract module takes seconds (pydantic builds hundreds of models), too slow for each command.
So the CLI reads the source of `contracts/api/<kind>/` (with `ast`, nothing imported) to know which requests
exist, their one-line summaries and the module of each; a named request then imports only its module. When the
source index and the classes disagree (a request defined some other way), `load_all()` and the `REQUESTS`
registry decide. A unit test checks that the index matches the registry.
"""

from __future__ import annotations

import ast
import difflib
import importlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from contracts.api.base import REQUESTS, Request, find_request
from contracts.catalog import load_all
from varanus_cli.errors import UsageError

KINDS = ("read", "write", "execute")
"""The request kinds reachable over HTTP."""

_BASES = {"read": "ReadRequest", "write": "WriteRequest", "execute": "ExecuteRequest"}
"""The base class of each kind's requests (see contracts.api.base)."""


@dataclass(frozen=True)
class Entry:
    """A request as its source declares it."""

    name: str
    module: str
    """The module that defines it, e.g. `contracts.api.read.deployment`."""
    summary: str
    """The first line of its docstring."""


def _base_names(node: ast.ClassDef) -> list[str]:
    """The names of a class's bases as written (`ReadRequest`, `base.ReadRequest` → `ReadRequest`)."""
    names = []
    for base in node.bases:
        if isinstance(base, ast.Name):
            names.append(base.id)
        elif isinstance(base, ast.Attribute):
            names.append(base.attr)
    return names


@cache
def index(kind: str) -> dict[str, Entry]:
    """Every request of a kind as declared in `contracts/api/<kind>/`, sorted by name."""
    package = importlib.import_module(f"contracts.api.{kind}")
    classes: dict[str, tuple[list[str], Entry]] = {}
    for folder in package.__path__:
        for path in sorted(Path(folder).glob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in tree.body:
                if isinstance(node, ast.ClassDef):
                    doc = (ast.get_docstring(node) or "").strip()
                    entry = Entry(
                        node.name, f"{package.__name__}.{path.stem}", doc.splitlines()[0] if doc else ""
                    )
                    classes[node.name] = (_base_names(node), entry)
    # A request derives from the kind's base class, directly or through other classes of the package.
    requests = {_BASES[kind]}
    grown = True
    while grown:
        found = {name for name, (bases, _) in classes.items() if requests.intersection(bases)}
        grown = not found <= requests
        requests |= found
    return {name: classes[name][1] for name in sorted(requests) if name in classes}


def summary(cls: type[Any]) -> str:
    """The first line of a class's docstring."""
    doc = (cls.__doc__ or "").strip()
    return doc.splitlines()[0] if doc else ""


def request_class(kind: str, name: str) -> type[Request]:
    """The request class of that kind and name (any letter case); a usage error with suggestions if none."""
    known = index(kind)
    entry = known.get(name) or {key.lower(): value for key, value in known.items()}.get(name.lower())
    if entry is not None:
        importlib.import_module(entry.module)
        found = find_request(kind, entry.name)
        if found is not None:
            return found
    load_all()
    found = find_request(kind, name)
    if found is not None:
        return found
    close = difflib.get_close_matches(name, sorted(set(known) | set(REQUESTS[kind])), n=3, cutoff=0.6)
    elsewhere = [other for other in KINDS if other != kind and find_request(other, name) is not None]
    details = [f"did you mean: {', '.join(close)}?"] if close else []
    details += [f"{name} is in the {other} API: varanus {other} {name}" for other in elsewhere]
    details.append(f"varanus {kind} lists every {kind} request")
    raise UsageError(f"unknown {kind} request {name!r}", details)


def describe_type(annotation: Any) -> str:
    """A short human name of a type, e.g. `Deployment`, `list of Tag`, `Update`."""
    origin = get_origin(annotation)
    args = get_args(annotation)
    if annotation is None or getattr(annotation, "__name__", "") == "NoData":
        return "{}"
    if annotation is Any:
        return "any"
    if origin is Annotated:
        return describe_type(args[0])
    if origin is list:
        return f"list of {describe_type(args[0]) if args else 'any'}"
    if origin is dict:
        return "object"
    if origin in (Union, UnionType):
        return " or ".join(describe_type(arg) for arg in args if arg is not type(None))
    return str(getattr(annotation, "__name__", annotation))
