"""Entry point of the `varanus` console script."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Run the CLI (being built; see issue 4)."""
    print("varanus: the CLI is not built yet", file=sys.stderr)
    return 2
