"""Which docker CLI builds an image.

Builds use BuildKit (for `--secret`). A docker CLI from 23.0 on builds with BuildKit only through the buildx
plugin; an older one (like Debian's 20.10) has BuildKit built in, turned on by `DOCKER_BUILDKIT=1`. So the agent
tries `VARANUS_AGENT_DOCKER_CLI` and then every `docker` on PATH, and takes the first that has buildx or is older
than 23. `use_buildx` needs buildx itself. What was found is kept for the agent's life.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Final

PROBE_TIMEOUT: Final = 20.0
"""Seconds a `docker --version` or `docker buildx version` may take."""
LAST_BUILTIN_BUILDKIT_MAJOR: Final = 22
"""The last docker CLI major version that builds with BuildKit without the buildx plugin."""


@dataclass(frozen=True)
class BuildCli:
    """A docker CLI and how it builds."""

    docker: str
    """The docker binary (also used for push and image removal)."""
    build: tuple[str, ...]
    """The build command's first words (`docker build`, or `docker buildx build --load`)."""
    env: tuple[tuple[str, str], ...] = ()
    """Environment the build needs (`DOCKER_BUILDKIT=1`)."""


class NoBuildCli(Exception):
    """No docker CLI on this host can build as asked; the message says why and what to install."""


_found: dict[tuple[bool, tuple[str, ...]], BuildCli] = {}


def candidates(configured: str) -> list[str]:
    """The configured CLI, then every `docker` on PATH, each once (by its real path)."""
    found: list[str] = []
    seen: set[str] = set()
    given = [configured] if configured else []
    on_path = [
        str(Path(folder) / "docker") for folder in os.environ.get("PATH", "").split(os.pathsep) if folder
    ]
    for candidate in [*given, *on_path]:
        path = shutil.which(candidate)
        if path is None:
            continue
        real = os.path.realpath(path)
        if real not in seen:
            seen.add(real)
            found.append(path)
    return found


async def _output(*argv: str) -> str | None:
    """`argv`'s stdout when it exits 0 within the probe time, else None."""
    try:
        process = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
    except OSError:
        return None
    try:
        stdout, _ = await asyncio.wait_for(process.communicate(), PROBE_TIMEOUT)
    except TimeoutError:
        process.kill()
        await process.wait()
        return None
    return stdout.decode(errors="replace") if process.returncode == 0 else None


def client_major(version_line: str) -> int | None:
    """The major version in `Docker version 20.10.24+dfsg1, build 297e128`."""
    match = re.search(r"version (\d+)\.", version_line)
    return int(match.group(1)) if match else None


async def find_build_cli(configured: str, use_buildx: bool) -> BuildCli:
    """The CLI to build with; a `NoBuildCli` when none fits."""
    options = tuple(candidates(configured))
    key = (use_buildx, options)
    if key in _found:
        return _found[key]
    for docker in options:
        has_buildx = await _output(docker, "buildx", "version") is not None
        if use_buildx:
            if has_buildx:
                _found[key] = BuildCli(docker=docker, build=(docker, "buildx", "build", "--load"))
                return _found[key]
            continue
        if has_buildx:
            _found[key] = BuildCli(docker=docker, build=(docker, "build"), env=(("DOCKER_BUILDKIT", "1"),))
            return _found[key]
        major = client_major(await _output(docker, "--version") or "")
        if major is not None and major <= LAST_BUILTIN_BUILDKIT_MAJOR:
            _found[key] = BuildCli(docker=docker, build=(docker, "build"), env=(("DOCKER_BUILDKIT", "1"),))
            return _found[key]
    if use_buildx:
        raise NoBuildCli(
            "use_buildx is set but docker buildx is not installed on this host (no `docker buildx` among "
            f"{', '.join(options) or 'no docker CLI on PATH'}): install the buildx plugin or turn use_buildx off"
        )
    raise NoBuildCli(
        "no docker CLI on this host can build with BuildKit: a CLI from 23.0 on needs the buildx plugin "
        f"(tried {', '.join(options) or 'no docker CLI on PATH'}); install buildx or set VARANUS_AGENT_DOCKER_CLI "
        "to a docker CLI with BuildKit built in (20.10 to 22.x)"
    )
