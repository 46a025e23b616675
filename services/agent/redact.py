"""Removing secrets from what the agent answers: every value a request marks secret (and a git token in the
forms a transport writes it) is replaced by `<redacted>` in each Log's command, stdout and stderr."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from contracts.api.agent.compose import GitSource
from contracts.entities.update import Log
from services.common.git_transport import REDACTED, scrub


@dataclass(frozen=True)
class Redactor:
    """Replaces known secret values in text and Logs."""

    values: tuple[str, ...] = ()
    """The secret values, longest first (so a secret holding another is replaced whole)."""
    source: GitSource | None = None
    """A git source whose token (plain, URL-quoted, in Basic auth) is removed too."""

    @classmethod
    def of(cls, values: Iterable[str], source: GitSource | None = None) -> Redactor:
        """A redactor of the non-blank `values` (and of `source`'s token)."""
        kept = {value for value in values if value.strip()}
        return cls(values=tuple(sorted(kept, key=len, reverse=True)), source=source)

    def text(self, text: str) -> str:
        """`text` without any of the secrets."""
        if self.source is not None:
            text = scrub(text, self.source)
        for value in self.values:
            text = text.replace(value, REDACTED)
        return text

    def log(self, log: Log) -> Log:
        """`log` with the secrets removed from its command, stdout and stderr."""
        return log.model_copy(
            update={
                "command": self.text(log.command),
                "stdout": self.text(log.stdout),
                "stderr": self.text(log.stderr),
            }
        )

    def logs(self, logs: Iterable[Log]) -> list[Log]:
        """Each of `logs` redacted."""
        return [self.log(log) for log in logs]
