"""Which URLs an Alerter endpoint can take: shared by the registry (checked when an Alerter is written) and the
alerter (checked again once `[[NAME]]` references are filled in, before sending)."""

from __future__ import annotations

from typing import Final
from urllib.parse import urlsplit

import apprise

HTTP_KINDS: Final = frozenset({"Custom", "Slack", "Discord", "Ntfy", "Pushover"})
"""Endpoint kinds Varanus posts to itself (Komodo's); their URL must be http(s)."""

_schemes: set[str] = set()


def apprise_schemes() -> set[str]:
    """Every URL scheme apprise has a plugin for."""
    if not _schemes:
        for details in apprise.Apprise().details().get("schemas", []):
            for key in ("protocols", "secure_protocols"):
                value = details.get("details", {}).get(key) or details.get(key) or ()
                _schemes.update(str(item).lower() for item in ([value] if isinstance(value, str) else value))
    return _schemes


def url_problem(kind: str, url: str) -> str | None:
    """Why `url` cannot be an endpoint of `kind`, or None. A URL holding `[[NAME]]` references is judged as far
    as it can be before they are filled in (an http(s) scheme; a scheme apprise knows)."""
    if kind in HTTP_KINDS:
        parts = urlsplit(url.strip())
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            return f"a {kind} endpoint needs an http:// or https:// URL"
        return None
    if kind == "Apprise":
        if not url.strip():
            return "an Apprise endpoint needs a URL (mailto://, json://, tgram://, ...)"
        if "[[" in url:
            scheme = url.split("://", 1)[0] if "://" in url else ""
            if not scheme or scheme.lower() not in apprise_schemes():
                return "the Apprise URL's scheme is not one apprise knows"
            return None
        if apprise.Apprise.instantiate(url) is None:
            return "apprise does not accept this URL (unknown scheme, or parameters it cannot use)"
        return None
    return f"unknown endpoint kind {kind!r}"
