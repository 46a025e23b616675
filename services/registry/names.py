"""Rules for names of resources, tags and variables."""

from __future__ import annotations

import unicodedata

from contracts.base import is_object_id
from services.common.errors import BadRequest

MAX_NAME_LENGTH = 128
"""Longest name accepted (Komodo's names end up in container, folder and compose project names)."""

_FORBIDDEN = set('/\\"`$<>|;&*?') | {"\x00"}


def validate_name(name: str, what: str) -> str:
    """Return `name` if it is usable, else raise a 400 that says what is wrong with it.

    A name must be 1 to 128 characters, without leading or trailing spaces, control characters, path
    separators or shell metacharacters, must not be `.` or `..`, and must not look like an object id (ids and
    names are interchangeable in references, so a name that is an id would be ambiguous).
    """
    if not name:
        raise BadRequest(f"{what} name must not be empty")
    if len(name) > MAX_NAME_LENGTH:
        raise BadRequest(f"{what} name is {len(name)} characters long; the limit is {MAX_NAME_LENGTH}")
    if name != name.strip():
        raise BadRequest(f"{what} name {name!r} must not start or end with whitespace")
    if name in {".", ".."}:
        raise BadRequest(f"{what} name {name!r} is not allowed")
    bad = sorted({c for c in name if c in _FORBIDDEN or unicodedata.category(c).startswith("C")})
    if bad:
        shown = ", ".join(repr(c) for c in bad)
        raise BadRequest(f"{what} name {name!r} contains characters that are not allowed: {shown}")
    if is_object_id(name):
        raise BadRequest(
            f"{what} name {name!r} looks like an object id; choose a name that is not 24 hex digits"
        )
    return name
