"""Writing ResourceSync TOML that reads back exactly (through `toml_files`, which treats backslashes inside
`\"\"\"` strings as literal, as Komodo does).

Multi-line strings are written raw between `\"\"\"` (backslashes and quotes as they are, so Komodo's escaping
gives them back unchanged); a string that cannot be written that way (it holds `\"\"\"` or control characters)
is written as a one-line string with escapes, which that escaping does not touch.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import tomli_w

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _raw_ok(text: str) -> bool:
    return "\n" in text and '"""' not in text and not text.endswith('"') and not _CONTROL.search(text)


def dumps(document: dict[str, list[dict[str, Any]]]) -> str:
    """Entries by table as Komodo writes them: each `[[<table>]]` with its fields, sub-tables below it
    (`[deployment.config]`), multi-line strings raw."""
    parts: list[str] = []
    for section, entries in document.items():
        for entry in entries:
            text = _dumps({section: entry})
            header = f"[{section}]\n"
            parts.append(
                f"[[{section}]]\n{text[len(header) :]}"
                if text.startswith(header)
                else _dumps({section: [entry]})
            )
    return "\n".join(parts)


def _dumps(document: dict[str, Any]) -> str:
    """The document as TOML, multi-line strings readable and raw."""
    raw: dict[str, str] = {}
    prefix = f"@@varanus-{uuid.uuid4().hex}-"

    def swap(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: swap(v) for k, v in value.items()}
        if isinstance(value, list):
            return [swap(v) for v in value]
        if isinstance(value, str) and _raw_ok(value):
            token = f"{prefix}{len(raw)}@@"
            raw[token] = value
            return token
        return value

    text = tomli_w.dumps(swap(document))
    for token, value in raw.items():
        text = text.replace(f'"{token}"', f'"""\n{value}"""')
    return text
