"""Searching a container's log: which lines match some terms, and the grep command that describes it."""

from __future__ import annotations

import re
import shlex

from contracts.entities.common import SearchCombinator


def line_matches(line: str, terms: list[str], combinator: SearchCombinator, invert: bool) -> bool:
    """Whether a line is kept: it holds any (Or) or all (And) of the terms; `invert` keeps the others instead."""
    if combinator == SearchCombinator.And:
        found = all(term in line for term in terms)
    else:
        found = any(term in line for term in terms)
    return found != invert


def search_command(
    name: str, terms: list[str], combinator: SearchCombinator, invert: bool, timestamps: bool
) -> str:
    """The shell pipeline that would give the same lines (`docker logs ... 2>&1 | grep ...`)."""
    logs = "docker logs" + (" --timestamps" if timestamps else "") + f" {shlex.quote(name)} 2>&1"
    flag = " -v" if invert else ""
    if combinator == SearchCombinator.And:
        # One grep with a lookahead per term: "all terms" stays one test, so -v inverts it as a whole.
        pattern = "^" + "".join(f"(?=.*{re.escape(term)})" for term in terms)
        return f"{logs} | grep{flag} -P {shlex.quote(pattern)}"
    return f"{logs} | grep{flag} -F" + "".join(f" -e {shlex.quote(term)}" for term in terms)
