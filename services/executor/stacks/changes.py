"""DeployStackIfChanged's decision: what changed between the deployed files and the latest, and what that requires.

Komodo's rules (`api/execute/stack.rs`): nothing deployed yet, or a compose or env file changed, means a full
deploy; a changed `config_files` entry requires what it says (Redeploy or Restart, of its services, or of all
when it names none); `None` is ignored; nothing changed means nothing runs. The contents compared are the
redacted ones on both sides, so a secret never has to be stored to notice a change.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from contracts.entities.stack import FileContents, StackFileDependency, StackFileRequires


@dataclass
class Plan:
    """What DeployStackIfChanged will do."""

    full_deploy: bool = False
    """Deploy the whole stack."""
    redeploy: set[str] = field(default_factory=set)
    """Services to redeploy (`up -d` of those)."""
    restart: set[str] = field(default_factory=set)
    """Services to restart."""
    restart_all: bool = False
    """Restart every service."""
    changed: list[str] = field(default_factory=list)
    """The files that changed, in order."""
    diff: str = ""
    """A unified diff of the changed files."""
    reason: str = ""
    """Why, in a sentence."""

    @property
    def nothing(self) -> bool:
        """Whether nothing needs to run."""
        return not (self.full_deploy or self.redeploy or self.restart or self.restart_all)


def unified(path: str, before: str, after: str) -> str:
    """A unified diff of one file."""
    lines = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        f"deployed/{path}",
        f"latest/{path}",
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def plan(
    deployed: list[FileContents] | None,
    latest: list[FileContents],
    missing: list[str],
    config_files: list[StackFileDependency],
) -> Plan:
    """Compare the deployed contents with the latest and decide (see the module docstring)."""
    if deployed is None:
        return Plan(full_deploy=True, reason="the stack was never deployed by Varanus")
    if missing:
        return Plan(full_deploy=True, reason=f"files are missing: {', '.join(missing)}")
    before = {f.path: f.contents for f in deployed}
    after = {f.path: f.contents for f in latest}
    tracked = {dep.path: dep for dep in config_files}
    result = Plan()
    diffs: list[str] = []
    for path in sorted(set(before) | set(after)):
        if before.get(path) == after.get(path):
            continue
        result.changed.append(path)
        diffs.append(unified(path, before.get(path, ""), after.get(path, "")))
        dependency = tracked.get(path)
        if dependency is None:
            result.full_deploy = True
        elif dependency.requires == StackFileRequires.Redeploy:
            if dependency.services:
                result.redeploy.update(dependency.services)
            else:
                result.full_deploy = True
        elif dependency.requires == StackFileRequires.Restart:
            if dependency.services:
                result.restart.update(dependency.services)
            else:
                result.restart_all = True
    result.diff = "".join(diffs)
    if result.full_deploy:
        result.reason = "the compose or env files changed"
    elif result.redeploy or result.restart or result.restart_all:
        result.reason = "config files changed"
    else:
        result.reason = "no changes that need a deploy" if result.changed else "no changes"
    return result
