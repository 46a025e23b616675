"""`./run stats`: the resident memory (RSS) of a running `./run up`, process by process, and the total.

The launcher writes its pid to `$VARANUS_DATA_DIR/run/launcher.pid`; everything it started (NATS, MongoDB, the
service processes, the local agent, and whatever they forked) is in its process tree, so the total is the sum of
that tree's RSS. RSS counts the shared pages of a library in every process that maps it, so the total is what
`ps` adds up, not the machine's free memory lost (that is less).
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import psutil

PID_FILE = Path("run") / "launcher.pid"
"""Where the launcher's pid is kept, relative to the data folder."""


@dataclass(frozen=True)
class ProcessMemory:
    """One process of the tree and its resident memory."""

    pid: int
    name: str
    """The service or program it runs (`services.gateway` is `gateway`)."""
    rss: int
    """Resident set size in bytes."""


def describe(proc: psutil.Process) -> str:
    """A short name for a process: the service module it runs, else its program."""
    try:
        args: list[str] = list(proc.cmdline())
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return "?"
    if "-m" in args[:-1]:
        at = args.index("-m") + 1
        return " ".join([args[at].removeprefix("services.").removeprefix("common."), *args[at + 1 :]])
    for arg in args:
        base = os.path.basename(arg)
        if base in ("nats-server", "nx-27017"):
            return base
    return os.path.basename(args[0]) if args else str(proc.name())


def tree_memory(root: int) -> list[ProcessMemory]:
    """The RSS of `root` and every process below it (processes that end while being read are left out)."""
    top = psutil.Process(root)
    found: list[ProcessMemory] = []
    for proc in [top, *top.children(recursive=True)]:
        try:
            found.append(ProcessMemory(proc.pid, describe(proc), proc.memory_info().rss))
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


def format_table(rows: list[ProcessMemory]) -> str:
    """Rows of pid, name and RSS in MB, then the total."""
    lines = [f"  {'PID':>7}  {'RSS MB':>7}  NAME"]
    lines += [f"  {row.pid:>7}  {row.rss / 2**20:>7.1f}  {row.name}" for row in rows]
    lines.append(f"  {'total':>7}  {sum(row.rss for row in rows) / 2**20:>7.1f}  ({len(rows)} processes)")
    return "\n".join(lines)


def launcher_pid(data_dir: Path) -> int:
    """The pid of the launcher running on `data_dir`; SystemExit saying so when none runs."""
    path = data_dir / PID_FILE
    try:
        pid = int(path.read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        raise SystemExit(f"no ./run up is running on {data_dir} (no {path})") from None
    if not psutil.pid_exists(pid):
        raise SystemExit(f"no ./run up is running on {data_dir} (pid {pid} in {path} is gone)")
    return pid


def main(argv: list[str] | None = None) -> int:
    """Print the memory of the `./run up` running on `$VARANUS_DATA_DIR`."""
    parser = argparse.ArgumentParser(prog="./run stats", description=__doc__)
    parser.parse_args(argv)
    data_dir = Path(os.environ.get("VARANUS_DATA_DIR", "data")).resolve()
    pid = launcher_pid(data_dir)
    print(f"./run up on {data_dir} (launcher pid {pid}), resident memory:")
    print(format_table(tree_memory(pid)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
