"""Where a repository is checked out, and the checks that keep its files and commands inside it.

A repo's folder is its path-safe name under the repo root, or Komodo's `path`: relative to the repo root, or
absolute inside the repo root or a folder the operator allowed (`VARANUS_AGENT_HOST_DIRECTORIES`). Paths are
resolved (symlinks followed) before they are compared, and never the root or an allowed folder itself: a clone
deletes the folder it goes into first.
"""

from __future__ import annotations

from pathlib import Path

from contracts.api.agent.repo import RepoLocation, folder_for_name
from services.agent.compose.paths import inside
from services.common.errors import BadRequest


def repo_folder(location: RepoLocation, repo_dir: Path, host_directories: tuple[Path, ...]) -> Path:
    """The resolved checkout folder of `location`; a `BadRequest` naming the path when it leaves where it may."""
    root = repo_dir.resolve()
    if not location.path:
        folder = (root / folder_for_name(location.name)).resolve()
        if not inside(folder, root) or folder == root:
            raise BadRequest(
                f"repo folder of {location.name!r} resolves to {folder}, outside the repo root {root}"
            )
        return folder
    given = Path(location.path)
    folder = (given if given.is_absolute() else root / given).resolve()
    allowed = [root, *(Path(entry).resolve() for entry in host_directories)]
    if folder in allowed:
        raise BadRequest(
            f"repo path {location.path!r} resolves to {folder}, which is the repo root or an allowed folder "
            "itself: give a folder below it"
        )
    if not any(inside(folder, place) for place in allowed):
        raise BadRequest(
            f"repo path {location.path!r} resolves to {folder}, which is not inside the repo root {root} or a "
            "folder this agent allows (VARANUS_AGENT_HOST_DIRECTORIES)"
        )
    return folder


def inside_checkout(folder: Path, relative: str, what: str) -> Path:
    """`folder / relative` resolved; a `BadRequest` when it leaves the checkout or lies in its `.git` folder."""
    target = (folder / relative).resolve() if relative not in ("", ".", "./") else folder
    if not inside(target, folder):
        raise BadRequest(f"{what} {relative!r} resolves to {target}, outside the checkout {folder}")
    inner = target.relative_to(folder).parts
    if any(part.lower() == ".git" for part in inner):
        raise BadRequest(f"{what} {relative!r} resolves to {target}, inside the repository's .git folder")
    return target
