"""A stack's `compose_cmd_wrapper` (Komodo's): a command that runs compose for it, such as a secrets manager.

The wrapper is split into words as a POSIX shell would, and run without a shell. `[[COMPOSE_COMMAND]]` as a
word of its own becomes the compose command's arguments (`op run -- [[COMPOSE_COMMAND]]` runs
`op run -- docker compose ...`); inside a quoted word it becomes the compose command as one quoted string
(`sops exec-file secret.env '[[COMPOSE_COMMAND]]'` hands `docker compose ...` to sops as its command line).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from contracts.api.agent.compose import COMPOSE_COMMAND

DEFAULT_INCLUDE = ("up",)
"""What is wrapped when `compose_cmd_wrapper_include` is empty."""


@dataclass(frozen=True)
class Wrapper:
    """A wrapper and the subcommands it wraps."""

    command: str
    """The wrapper as the user wrote it (interpolated); empty: no wrapper."""
    include: tuple[str, ...] = DEFAULT_INCLUDE
    """The compose subcommands it wraps."""

    def wraps(self, subcommand: str) -> bool:
        """Whether compose `subcommand` runs through the wrapper."""
        return bool(self.command.strip()) and subcommand in (self.include or DEFAULT_INCLUDE)

    def argv(self, compose_argv: list[str]) -> list[str]:
        """The argument list that runs `compose_argv` through the wrapper."""
        alone = not any(f"{quote}{COMPOSE_COMMAND}{quote}" in self.command for quote in ("'", '"'))
        words: list[str] = []
        for word in shlex.split(self.command):
            if word == COMPOSE_COMMAND and alone:
                words.extend(compose_argv)
            else:
                words.append(word.replace(COMPOSE_COMMAND, shlex.join(compose_argv)))
        return words
