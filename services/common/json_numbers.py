"""Numbers a request may carry: what MongoDB can store and JSON can say.

JSON has no bound on integers, and Python's parser also takes `NaN` and `Infinity`; BSON stores integers of at
most 64 bits, and Komodo's own parser (serde_json) refuses non-finite numbers. A request with such a number
anywhere (a typed field or a free-form one such as a config's extra values) is refused with a 400 naming each
place, before a handler can fail on it while writing (a 500).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
MAX_PROBLEMS = 10
"""Places named at most (a body of a million huge numbers is still refused quickly)."""


_MAYBE_UNSTORABLE = re.compile(rb"\d{19}|NaN|Infinity|[eE][+-]?\d{3,}\s*(?:[,\]}]|\Z)")
"""What a JSON body must contain to hold an unstorable number: 19 digits in a row (2**63 has 19), a non-finite
literal, or an exponent of three digits or more ending a number (1e309 is infinite; a number ends at `,`, `]`,
`}` or the end, which tells it from hex ids such as `...5e691...`, common in internal requests). Ids, names and
dates match it only by chance."""


def may_hold_unstorable_numbers(body: bytes) -> bool:
    """False when the JSON `body` cannot hold an unstorable number (so its parsed value need not be walked)."""
    return _MAYBE_UNSTORABLE.search(body) is not None


def unstorable_numbers(value: Any) -> list[str]:
    """Each place (dotted path, as pydantic names fields) holding an integer beyond 64 bits or a non-finite
    float, with what is wrong there; empty when every number can be stored."""
    problems: list[str] = []
    for path, problem in _walk(value, ()):
        problems.append(f"{'.'.join(path) or '(body)'}: {problem}")
        if len(problems) >= MAX_PROBLEMS:
            break
    return problems


def _walk(value: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], str]]:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return
    if isinstance(value, int):
        if not INT64_MIN <= value <= INT64_MAX:
            yield path, f"integer out of the 64-bit range [{INT64_MIN}, {INT64_MAX}]"
    elif isinstance(value, float):
        if not math.isfinite(value):
            yield path, f"{value} is not a finite number (JSON has no NaN or Infinity)"
    elif isinstance(value, BaseModel):
        for name, field in type(value).model_fields.items():
            yield from _walk(getattr(value, name), (*path, field.alias or name))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, (*path, str(key)))
    elif isinstance(value, list | tuple | set | frozenset):
        for index, item in enumerate(value):
            yield from _walk(item, (*path, str(index)))
