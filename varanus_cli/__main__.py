"""`python -m varanus_cli`: the same as the `varanus` console script."""

from __future__ import annotations

from varanus_cli.main import main

raise SystemExit(main())
