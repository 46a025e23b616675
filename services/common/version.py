"""The version of Varanus, from the installed distribution."""

from __future__ import annotations

from importlib import metadata


def _version() -> str:
    try:
        return metadata.version("varanus")
    except metadata.PackageNotFoundError:
        return "0.0.0"


VERSION = _version()
"""The version every service and the gateway report."""
