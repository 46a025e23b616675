"""The layout rules of ARCHITECTURE.md, checked on the source tree."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED = {"common"}


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def test_no_service_imports_another_service() -> None:
    services = [
        p for p in (ROOT / "services").iterdir() if p.is_dir() and p.name not in SHARED | {"__pycache__"}
    ]
    assert services, "no service packages found"
    offences: list[str] = []
    for service in services:
        for path in service.rglob("*.py"):
            for name in _imports(path):
                parts = name.split(".")
                if parts[0] == "services" and len(parts) > 1 and parts[1] not in SHARED | {service.name}:
                    offences.append(f"{path.relative_to(ROOT)} imports {name}")
    assert offences == []


def test_contracts_and_common_import_no_service() -> None:
    offences: list[str] = []
    for folder in (ROOT / "contracts", ROOT / "services" / "common"):
        for path in folder.rglob("*.py"):
            for name in _imports(path):
                parts = name.split(".")
                if folder.name == "contracts" and parts[0] == "services":
                    offences.append(f"{path.relative_to(ROOT)} imports {name}")
                if parts[0] == "services" and len(parts) > 1 and parts[1] != "common":
                    offences.append(f"{path.relative_to(ROOT)} imports {name}")
    assert offences == []


def test_motor_is_not_used() -> None:
    for folder in ("contracts", "services"):
        for path in (ROOT / folder).rglob("*.py"):
            assert "motor" not in {n.split(".")[0] for n in _imports(path)}, path


FIRST_PARTY = {"contracts", "services", "varanus_cli"}


def _requirement_name(requirement: str) -> str:
    """The normalised distribution name of a requirement (`faststream[nats]==0.7.8` -> `faststream`)."""
    name = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement.strip())
    assert name is not None, requirement
    return re.sub(r"[-_.]+", "-", name.group(0)).lower()


def test_every_third_party_import_is_a_declared_dependency() -> None:
    """A module the shipped code imports must come from a distribution in pyproject's `dependencies` (not a dev
    extra, not something another dependency happens to pull in)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = {_requirement_name(r) for r in project["dependencies"]}
    providers = importlib.metadata.packages_distributions()
    offences: set[str] = set()
    for folder in sorted(FIRST_PARTY):
        for path in (ROOT / folder).rglob("*.py"):
            for name in _imports(path):
                top = name.split(".")[0]
                if top in FIRST_PARTY or top in sys.stdlib_module_names or top == "__future__":
                    continue
                distributions = {_requirement_name(d) for d in providers.get(top, [])}
                if not distributions & declared:
                    found = ", ".join(sorted(distributions)) or "no installed distribution"
                    offences.add(f"{top} (from {found}), imported by {path.relative_to(ROOT)}")
    assert not offences, "imported but not declared in pyproject's dependencies:\n" + "\n".join(
        sorted(offences)
    )
