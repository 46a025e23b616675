"""Agent requests that build an image on the host (Komodo's periphery `Build` and `CancelBuild`), named
`BuildImage` / `CancelImageBuild` so they do not clash with Komodo's public requests.

The context is a folder the agent has: a repo checkout (`repo`, as CloneRepoOnHost placed it), a folder on the
host (`host_directory`, inside the repo root or a folder the agent allows), or none (a UI-defined `dockerfile`
alone builds in an empty context). `build_path` and `dockerfile_path` are relative and free of `..` here; the
agent checks again, symlinks resolved, that they stay inside the context before anything runs.

While the build runs, the agent publishes its output lines in batches (`BuildProgress`) to `progress_subject`,
a subject under the agent's own `komodo.agent.<server_id>.progress.` (the only subjects an agent may publish
to); the answer carries the full Logs.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Any, ClassVar

from pydantic import Field, field_validator, model_validator

from contracts.api.agent.compose import relative_path
from contracts.api.agent.container import RegistryAuth
from contracts.api.agent.repo import RepoLocation, checked_build_key
from contracts.api.base import AgentRequest
from contracts.base import KomodoModel
from contracts.entities.stack import FileContents
from contracts.entities.update import Log
from contracts.subjects import agent_subject

SECRET_NAME_PATTERN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
"""A BuildKit secret id (`RUN --mount=type=secret,id=NAME`)."""
ARG_NAME_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,255}$")
"""A build-arg or label name."""
HOST_PATH_OPTIONS = frozenset(
    {"-o", "--output", "--secret", "--ssh", "--iidfile", "--metadata-file", "--build-context", "-f", "--file"}
    | {"--push", "--load"}
)
"""Build options `extra_args` may not hold: they read or write files of the host (an output folder, a secret
file, a Dockerfile outside the context) or push before the agent's push stage."""
LOCAL_CACHE_OPTIONS = frozenset({"--cache-from", "--cache-to"})
"""Options refused with a `type=local` value (a cache folder on the host)."""
PROGRESS_SEGMENT = "progress"
"""The subject token under an agent's subjects where build output goes."""
PROGRESS_SUBJECT_PATTERN = re.compile(r"^komodo\.agent\.[^.\s*>]+\.progress\.[A-Za-z0-9_-]{1,128}$")
"""`komodo.agent.<server_id>.progress.<token>`."""


def progress_subject(server_id: str, token: str) -> str:
    """Where the agent of `server_id` publishes the output of a build that names `token` (letters, digits,
    `_`, `-`): `komodo.agent.<server_id>.progress.<token>`."""
    return agent_subject(server_id, f"{PROGRESS_SEGMENT}.{token}")


def _names(values: dict[str, str], pattern: re.Pattern[str], what: str) -> dict[str, str]:
    for name in values:
        if not pattern.match(name):
            raise ValueError(f"{what} name {name!r} must be letters, digits, '_', '.', '-'")
    return values


def check_extra_args(values: list[str]) -> list[str]:
    """`values` unless one is an option that reaches the host's files (see `HOST_PATH_OPTIONS`)."""
    for index, arg in enumerate(values):
        name, _, inline = arg.partition("=")
        short_with_value = not arg.startswith("--") and arg[:2] in ("-o", "-f")
        if name in HOST_PATH_OPTIONS or short_with_value:
            raise ValueError(
                f"extra_args may not hold {name!r}: it reads or writes files of the host, or pushes on its own "
                "(use dockerfile_path, secret_args, push)"
            )
        if name in LOCAL_CACHE_OPTIONS:
            value = inline or (values[index + 1] if index + 1 < len(values) else "")
            if "type=local" in value:
                raise ValueError(
                    f"extra_args may not use a local cache folder of the host ({name} type=local)"
                )
    return values


def check_host_directory(value: str) -> str:
    """`value` if it is empty or an absolute path without `..`."""
    if value and (not value.startswith("/") or ".." in PurePosixPath(value).parts or "\x00" in value):
        raise ValueError(f"host_directory {value!r} must be an absolute path without '..'")
    return value


def check_build_path(value: str) -> str:
    """`value` if it is `.` or a relative path without `..`."""
    return value if value in ("", ".", "./") else relative_path(value, "build_path")


def check_dockerfile_path(value: str) -> str:
    """`value` if it is a relative path without `..`."""
    return relative_path(value, "dockerfile_path")


class BuildProgress(KomodoModel):
    """A batch of output lines of a running build, published to its `progress_subject`."""

    build_key: str
    """The build's key."""
    stage: str
    """The stage the lines belong to ("Build", "Push")."""
    seq: int
    """The batch's number (from 0), so a listener can tell a gap."""
    lines: list[str] = Field(default_factory=list)
    """The lines, secrets redacted."""


class BuildImageResponse(KomodoModel):
    """What a build did."""

    logs: list[Log] = Field(default_factory=list)
    """The Log of each stage, in order; the first that fails is followed only by the clean-up's."""
    success: bool = False
    """Whether the image was built and every push succeeded."""
    cancelled: bool = False
    """Whether CancelImageBuild stopped it."""
    tags: list[str] = Field(default_factory=list)
    """The tags the image has on the host (none after a failure: the tags it made are removed)."""
    pushed: list[str] = Field(default_factory=list)
    """The tags pushed."""
    image_id: str | None = None
    """The built image's id."""


class BuildImage(AgentRequest):
    """Build an image with BuildKit (`docker build`, or `docker buildx build` with `use_buildx`), then push
    every tag when `push` is set.

    Stages: "Write Dockerfile" (UI-defined), "Build", "Push", and on a failure or a cancel "Remove Tags".
    Secrets (`secret_args`) are BuildKit secrets read from 0600 files in a private temporary folder: never in
    an image layer, the command line shown, or a Log. Registry credentials live in a temporary `DOCKER_CONFIG`.
    Both folders are removed when the build ends, however it ends. Nothing is pushed until the build
    succeeded; a failed or cancelled build leaves no tag it made.
    """

    RESPONSE: ClassVar[Any] = BuildImageResponse

    build_key: str
    """Names this build for CancelImageBuild; one build per key runs at a time."""
    repo: RepoLocation | None = None
    """The context is this repo's checkout (cloned beforehand with CloneRepoOnHost or PullRepoOnHost)."""
    host_directory: str = ""
    """The context is this absolute folder on the host (Komodo's files on host)."""
    dockerfile: str = ""
    """A UI-defined Dockerfile: used instead of the context's own (alone: an empty context)."""
    build_path: str = "."
    """The build context, relative to the repo checkout or host folder."""
    dockerfile_path: str = "Dockerfile"
    """The Dockerfile, relative to `build_path`."""
    build_args: dict[str, str] = Field(default_factory=dict)
    """`--build-arg NAME=value` each (the caller adds `VERSION`); these are visible in the image's history."""
    secret_args: dict[str, str] = Field(default_factory=dict)
    """BuildKit secrets (`RUN --mount=type=secret,id=NAME`): never in a layer, a Log or the shown command."""
    labels: dict[str, str] = Field(default_factory=dict)
    """`--label NAME=value` each."""
    extra_args: list[str] = Field(default_factory=list)
    """More arguments for the build command, one list item each (no shell); options that reach the host's
    files (`--output`, `--secret`, `--ssh`, `--file`, `--build-context`, a local cache, ...) are refused."""
    tags: list[str]
    """Every image reference to tag the build with (`registry/org/name:tag`; the caller computes them)."""
    push: bool = False
    """Push every tag once the build succeeded."""
    registries: list[RegistryAuth] = Field(default_factory=list)
    """Credentials for the pushes (and for private base images)."""
    use_buildx: bool = False
    """`docker buildx build` (the host must have the buildx plugin)."""
    progress_subject: str = ""
    """Where output lines are published while the build runs: `progress_subject(server_id, token)`; none
    when empty."""
    secrets: list[str] = Field(default_factory=list)
    """More values (interpolated secrets in build args, say) replaced by `<redacted>` in every Log and line."""

    @field_validator("build_key")
    @classmethod
    def _key(cls, value: str) -> str:
        return checked_build_key(value)

    _host_directory = field_validator("host_directory")(check_host_directory)
    _build_path = field_validator("build_path")(check_build_path)
    _dockerfile_path = field_validator("dockerfile_path")(check_dockerfile_path)

    @field_validator("build_args")
    @classmethod
    def _build_args(cls, values: dict[str, str]) -> dict[str, str]:
        return _names(values, ARG_NAME_PATTERN, "build arg")

    @field_validator("labels")
    @classmethod
    def _labels(cls, values: dict[str, str]) -> dict[str, str]:
        return _names(values, ARG_NAME_PATTERN, "label")

    @field_validator("secret_args")
    @classmethod
    def _secret_args(cls, values: dict[str, str]) -> dict[str, str]:
        return _names(values, SECRET_NAME_PATTERN, "secret")

    @field_validator("extra_args")
    @classmethod
    def _extra_args(cls, values: list[str]) -> list[str]:
        return check_extra_args(values)

    @field_validator("tags")
    @classmethod
    def _tags(cls, values: list[str]) -> list[str]:
        if not values:
            raise ValueError("give at least one tag")
        for tag in values:
            if not re.fullmatch(r"[a-z0-9][A-Za-z0-9_.:/@-]{0,254}", tag):
                raise ValueError(f"{tag!r} is not an image reference")
        return values

    @field_validator("progress_subject")
    @classmethod
    def _progress_subject(cls, value: str) -> str:
        if value and not PROGRESS_SUBJECT_PATTERN.match(value):
            raise ValueError(f"progress_subject {value!r} must be komodo.agent.<server_id>.progress.<token>")
        return value

    @model_validator(mode="after")
    def _one_context(self) -> BuildImage:
        if self.repo is not None and self.host_directory:
            raise ValueError("the context is either a repo checkout or a folder on the host, not both")
        if self.repo is None and not self.host_directory and not self.dockerfile.strip():
            raise ValueError("give a context: a repo checkout, a folder on the host, or a dockerfile")
        return self


class CancelImageBuild(AgentRequest):
    """Stop the running build of `build_key` (its process is killed, its temporary files removed, nothing
    pushed), or the clone started with that key (CloneRepoOnHost: its `on_clone` killed, its folder removed);
    answers whether one was running."""

    RESPONSE: ClassVar[Any] = bool

    build_key: str
    """The key the build was started with."""


class DockerfileOnHost(KomodoModel):
    """Where a files-on-host build's Dockerfile is: its context folder (`host_directory`, absolute, or `repo`,
    the build's folder under the agent's repo root) with `build_path` and `dockerfile_path` below it."""

    repo: RepoLocation | None = None
    """The context is this folder under the agent's repo root (Komodo's build folder of the build)."""
    host_directory: str = ""
    """The context is this absolute folder (inside the repo root or a folder the agent allows)."""
    build_path: str = "."
    """The build context, relative to the folder."""
    dockerfile_path: str = "Dockerfile"
    """The Dockerfile, relative to `build_path`."""

    _host_directory = field_validator("host_directory")(check_host_directory)
    _build_path = field_validator("build_path")(check_build_path)
    _dockerfile_path = field_validator("dockerfile_path")(check_dockerfile_path)

    @model_validator(mode="after")
    def _one_folder(self) -> DockerfileOnHost:
        if (self.repo is None) == (not self.host_directory):
            raise ValueError(
                "give the Dockerfile's folder: a repo folder or a folder on the host (one of them)"
            )
        return self


class GetDockerfileContentsOnHost(AgentRequest):
    """Read a files-on-host build's Dockerfile (Komodo's periphery request of that name); answers its path on the
    host and contents (a 400 saying why it cannot be read)."""

    RESPONSE: ClassVar[Any] = FileContents

    dockerfile: DockerfileOnHost
    """Where it is."""


class WriteDockerfileContentsToHost(AgentRequest):
    """Write a files-on-host build's Dockerfile, creating its folders below the context folder (Komodo's
    periphery request of that name); answers the Log."""

    RESPONSE: ClassVar[Any] = Log

    dockerfile: DockerfileOnHost
    """Where it goes."""
    contents: str
    """Its new contents."""
