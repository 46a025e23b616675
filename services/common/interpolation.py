"""`[[NAME]]` interpolation of variables and secrets into execution config, and their redaction from logs.

Komodo's rules (§9): two passes, the plain variables first, then the secrets (the core config's `[secrets]`
and the variables marked `is_secret`), so a secret can never be revealed by naming it inside a plain variable.
`skip_secret_interp` leaves secret references as they are. A reference to a name that exists nowhere fails the
execution before anything runs, naming it. The Update gets "Interpolate Variables" (`NAME => value`, plain
variables only) and "Interpolate Secrets" (names only) logs; every secret value used is later replaced by
`<NAME>` in every Log of the execution, whatever printed it (docker, compose, an env file read back).
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

from contracts.api.read.variable import ListVariables
from contracts.entities.update import Log
from contracts.entities.variable import Variable
from services.common.bus import Bus
from services.common.errors import BadRequest
from services.common.logging import redactor
from services.common.settings import Settings

REFERENCE = re.compile(r"\[\[([A-Za-z0-9_][A-Za-z0-9_.\-]*)\]\]")
"""A `[[NAME]]` reference."""
RESERVED = frozenset({"COMPOSE_COMMAND"})
"""Placeholders that are not variables (the stack wrapper's `[[COMPOSE_COMMAND]]`)."""


def references(text: str) -> set[str]:
    """The names referenced in a text."""
    return {match.group(1) for match in REFERENCE.finditer(text)} - RESERVED


@dataclass
class Interpolation:
    """The variables and secrets of one execution, what was used, and the redaction of what was secret."""

    variables: Mapping[str, str]
    """Plain variables by name."""
    secrets: Mapping[str, str]
    """Secret values by name (secret variables and the config file's `[secrets]`)."""
    skip_secrets: bool = False
    """`skip_secret_interp`: secret references are left as written."""
    used_variables: dict[str, str] = field(default_factory=dict)
    """Plain variables replaced so far."""
    used_secrets: dict[str, str] = field(default_factory=dict)
    """Secrets replaced so far."""

    def skipping(self, skip_secrets: bool) -> Interpolation:
        """The same variables and secrets, with `skip_secret_interp` set as given (nothing used yet)."""
        if skip_secrets == self.skip_secrets:
            return self
        return Interpolation(variables=self.variables, secrets=self.secrets, skip_secrets=skip_secrets)

    def missing(self, texts: Iterable[str]) -> list[str]:
        """The referenced names that are neither variables nor (when interpolated) secrets, sorted."""
        known = set(self.variables) | (set() if self.skip_secrets else set(self.secrets))
        found: set[str] = set()
        for text in texts:
            found |= references(text)
        if self.skip_secrets:
            found -= set(self.secrets)
        return sorted(found - known)

    def check(self, texts: Iterable[str]) -> None:
        """A 400 naming every reference that cannot be resolved."""
        unknown = self.missing(texts)
        if unknown:
            shown = ", ".join(f"[[{name}]]" for name in unknown)
            raise BadRequest(f"no variable or secret named {shown}: create it or remove the reference")

    def apply(self, text: str) -> str:
        """`text` with plain variables, then secrets (unless skipped), replaced; names not found stay."""

        def plain(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in self.variables:
                self.used_variables[name] = self.variables[name]
                return self.variables[name]
            return match.group(0)

        def secret(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in self.secrets:
                self.used_secrets[name] = self.secrets[name]
                return self.secrets[name]
            return match.group(0)

        text = REFERENCE.sub(plain, text)
        return text if self.skip_secrets else REFERENCE.sub(secret, text)

    def apply_all(self, texts: list[str]) -> list[str]:
        """Each text interpolated."""
        return [self.apply(text) for text in texts]

    def logs(self, start_ts: int) -> list[Log]:
        """The "Interpolate Variables" and "Interpolate Secrets" logs of what was used (none when nothing)."""
        found: list[Log] = []
        if self.used_variables:
            lines = "\n".join(
                f"{name} => {self.redact(value)}" for name, value in self.used_variables.items()
            )
            found.append(
                Log(
                    stage="Interpolate Variables",
                    stdout=lines,
                    success=True,
                    start_ts=start_ts,
                    end_ts=start_ts,
                )
            )
        if self.used_secrets:
            found.append(
                Log(
                    stage="Interpolate Secrets",
                    stdout="\n".join(f"replaced [[{name}]]" for name in self.used_secrets),
                    success=True,
                    start_ts=start_ts,
                    end_ts=start_ts,
                )
            )
        return found

    @cached_property
    def replacers(self) -> list[tuple[str, str]]:
        """(secret text, `<NAME>`) pairs, longest text first so one secret inside another is still hidden;
        made once, since `secrets` does not change and `redact` runs for every Log and config value.

        Each secret is there as written and in the forms tools print it in: escaped in JSON (`compose config`,
        docker's errors) and quoted for a shell (command lines), so a quote or backslash in a secret does not
        let it through.
        """
        pairs: dict[str, str] = {}
        for name, value in self.secrets.items():
            if not value:
                continue
            for form in (value, json.dumps(value)[1:-1], shlex.quote(value)):
                pairs.setdefault(form, f"<{name}>")
        return sorted(pairs.items(), key=lambda pair: len(pair[0]), reverse=True)

    def redact(self, text: str) -> str:
        """`text` with every secret value replaced by `<NAME>`."""
        for value, shown in self.replacers:
            text = text.replace(value, shown)
        return text


async def load(bus: Bus, headers: Mapping[str, str], settings: Settings, skip_secrets: bool) -> Interpolation:
    """The variables (read as the System user, so secret values are there) and the config file's secrets.

    Every secret value is also handed to the process log redactor, so nothing the executor logs shows one.
    """
    variables: list[Variable] = await bus.request(ListVariables(), dict(headers))
    plain = {v.name: v.value for v in variables if not v.is_secret}
    secret = {name: value.get_secret_value() for name, value in settings.secrets.items()}
    secret.update({v.name: v.value for v in variables if v.is_secret})
    loaded = Interpolation(variables=plain, secrets=secret, skip_secrets=skip_secrets)
    redactor.add(*(form for form, _ in loaded.replacers))
    return loaded
