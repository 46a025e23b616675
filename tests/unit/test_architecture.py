"""The layout rules of ARCHITECTURE.md, checked on the source tree."""

from __future__ import annotations

import ast
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
