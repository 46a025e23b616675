"""Agent request that commits an edit of a git stack's file back to its repository (Komodo's
`WriteCommitComposeContents`, used by WriteStackFileContents on a repo-based Stack).

The path is relative to the stack's run directory, checked here as every compose path is (no `..`, not absolute);
the agent checks again, symlinks resolved, that it stays inside the clone and out of its `.git` folder. The
token of `stack.git` is used for the pull and the push only: never in `.git/config`, a Log or an error.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from pydantic import field_validator

from contracts.api.agent.compose import StackFiles, relative_path
from contracts.api.base import AgentRequest
from contracts.entities.update import Log

DEFAULT_AUTHOR_NAME = "Varanus"
"""The commit author's name when none is given."""
DEFAULT_AUTHOR_EMAIL = "varanus@localhost"
"""The commit author's email when none is given."""

_IDENTITY_FORBIDDEN = re.compile(r"[<>\x00-\x1f\x7f]")
"""What cannot appear in a git identity (`Name <email>`): angle brackets and control characters."""


def identity_part(value: str, what: str) -> str:
    """`value` if it can be part of a git identity line (no `<`, `>` or control character, not blank)."""
    if not value.strip() or _IDENTITY_FORBIDDEN.search(value):
        raise ValueError(f"{what} {value!r} must be non-empty, without '<', '>' or control characters")
    return value


class CommitComposeFile(AgentRequest):
    """Write one file of a git stack in its clone, commit it and push the commit to the stack's branch.

    The agent pulls the clone first (as every request on a git stack does), refuses a stack that pins a
    `commit` (a detached commit has no branch to push to), then answers the Logs of "Pull Repo" (or "Clone
    Repo"), "Write File", "Commit" and "Push", stopping at the first that fails. A push the remote refuses
    (someone pushed in between) is a failed "Push" Log saying so; nothing is forced or reset.
    """

    RESPONSE: ClassVar[Any] = list[Log]

    stack: StackFiles
    """The stack's files; `git` must be set (url, branch and token)."""
    path: str
    """The file, relative to the run directory."""
    contents: str
    """Its new contents."""
    message: str
    """The commit message."""
    author_name: str = DEFAULT_AUTHOR_NAME
    """The name of the commit's author and committer."""
    author_email: str = DEFAULT_AUTHOR_EMAIL
    """Their email."""

    @field_validator("stack")
    @classmethod
    def _stack(cls, stack: StackFiles) -> StackFiles:
        if stack.git is None or stack.host_directory:
            raise ValueError(
                "only a stack cloned from git (`git` set, no host directory) can have a file committed"
            )
        return stack

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        return relative_path(value, "file path")

    @field_validator("message")
    @classmethod
    def _message(cls, value: str) -> str:
        if not value.strip() or "\x00" in value:
            raise ValueError("the commit message must be non-empty text")
        return value

    @field_validator("author_name")
    @classmethod
    def _author_name(cls, value: str) -> str:
        return identity_part(value, "author_name")

    @field_validator("author_email")
    @classmethod
    def _author_email(cls, value: str) -> str:
        return identity_part(value, "author_email")
