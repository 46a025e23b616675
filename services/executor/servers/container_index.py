"""Fleet-wide container lists whose cost follows the page, not the fleet.

`ListAllContainers` sorted by name (Komodo's default) orders containers by name, then, among containers of
the same name, by server name and by their place in the server's heartbeat (the order a stable sort of the
servers' lists, taken server by server in name order, gives). `ContainerIndex` keeps every held container
in that order as small tuples, and re-sorts only the servers whose container names changed since it last
looked (`ServerCache.changed`) or whose name changed (a new `ServerDirectory` revision). A page is then a walk
along the index that skips what the caller may not read or the filters drop, and only the page's containers
become list items. Other sorts go through every visible container's raw model (no list item is built for
them either) and sort those.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from contracts.entities.agent import AgentContainer
from contracts.entities.docker import ContainerSortBy, ContainerStateStatusEnum
from services.executor.servers.cache import ServerCache

Entry = tuple[str, str, int, str]
"""(container name, server name, place in the server's heartbeat, server id)."""
REBUILD_ABOVE = 100
"""Above this many servers to move at once, the index is sorted anew instead of edited entry by entry."""


class ContainerIndex:
    """Every held container of a server with a known name, in the order of a list sorted by name."""

    def __init__(self, cache: ServerCache) -> None:
        self.cache = cache
        self.entries: list[Entry] = []
        self._held: dict[str, tuple[str, tuple[str, ...]]] = {}
        """What the index holds of each server: its name and its containers' names."""
        self._names_revision = -1

    def sync(self, names: Mapping[str, str], names_revision: int) -> None:
        """Bring the index up to date with the cache and the server names (a full pass when names changed)."""
        cache = self.cache
        if names_revision != self._names_revision:
            todo = set(cache.seen) | set(self._held)
            self._names_revision = names_revision
        else:
            todo = set(cache.changed)
        cache.changed.clear()
        moves: list[tuple[str, tuple[str, tuple[str, ...]] | None]] = []
        for server_id in todo:
            held = cache.seen.get(server_id)
            name = names.get(server_id)
            now = None
            # Beats never change names: the full status has them without typing the beats' stats.
            if held is not None and name is not None:
                now = (name, tuple(c.name for c in held.full.status.docker.containers))
            if now != self._held.get(server_id):
                moves.append((server_id, now))
        rebuild = len(moves) > REBUILD_ABOVE
        for server_id, now in moves:
            before = self._held.pop(server_id, None)
            if now is not None:
                self._held[server_id] = now
            if rebuild:
                continue
            if before is not None:
                self._remove(server_id, before)
            if now is not None:
                sname, cnames = now
                for place, cname in enumerate(cnames):
                    insort(self.entries, (cname, sname, place, server_id))
        if rebuild:
            self.entries = sorted(
                (cname, sname, place, sid)
                for sid, (sname, cnames) in self._held.items()
                for place, cname in enumerate(cnames)
            )

    def _remove(self, server_id: str, before: tuple[str, tuple[str, ...]]) -> None:
        sname, cnames = before
        for place, cname in enumerate(cnames):
            entry = (cname, sname, place, server_id)
            at = bisect_left(self.entries, entry)
            if at < len(self.entries) and self.entries[at] == entry:
                del self.entries[at]

    def groups(self, desc: bool) -> Iterator[tuple[int, int]]:
        """(start, end) of each run of same-named entries, by name; descending yields the runs from the last,
        each still read forward: containers of the same name stay in ascending server order, as a stable
        `sort(reverse=True)` keeps them."""
        entries, count = self.entries, len(self.entries)
        if not desc:
            start = 0
            while start < count:
                end = bisect_right(entries, entries[start][0], start, count, key=_name)
                yield start, end
                start = end
            return
        end = count
        while end > 0:
            start = bisect_left(entries, entries[end - 1][0], 0, end, key=_name)
            yield start, end
            end = start

    def container(self, entry: Entry) -> AgentContainer:
        """The held container an entry stands for (valid until the cache changes)."""
        return self.cache.seen[entry[3]].status.status.docker.containers[entry[2]]


def passes(
    container: AgentContainer, lowered_terms: list[str], states: set[ContainerStateStatusEnum]
) -> bool:
    """Whether a container's name holds every (lowercase) term and its state is among `states` (empty: any)."""
    if states and container.state not in states:
        return False
    name = container.name.lower()
    return all(term in name for term in lowered_terms)


def page_by_name(
    index: ContainerIndex,
    readable: set[str] | None,
    terms: list[str],
    states: list[ContainerStateStatusEnum],
    skip: int,
    size: int,
    desc: bool,
) -> list[tuple[AgentContainer, str, str]]:
    """(container, server id, server name) of one page sorted by name (size 0: all), walking the index."""
    lowered = [t.lower() for t in terms if t]
    wanted = set(states)
    entries = index.entries
    found: list[tuple[AgentContainer, str, str]] = []
    seen = 0
    for start, end in index.groups(desc):
        # A run shares its name: the terms are tested once for it, and a run wholly before the page is
        # counted without a look at its entries when nothing else filters.
        if lowered and not all(term in entries[start][0].lower() for term in lowered):
            continue
        if readable is None and not wanted and seen + (end - start) <= skip:
            seen += end - start
            continue
        for at in range(start, end):
            entry = entries[at]
            if readable is not None and entry[3] not in readable:
                continue
            container = index.container(entry)
            if wanted and container.state not in wanted:
                continue
            seen += 1
            if seen <= skip:
                continue
            found.append((container, entry[3], entry[1]))
            if size and len(found) == size:
                return found
    return found


def _name(entry: Entry) -> str:
    return entry[0]


def raw_sort_key(sort_by: ContainerSortBy) -> Callable[[tuple[AgentContainer, str, str]], Any]:
    """The key that sorts (container, server id, server name) by a ContainerSortBy (name second)."""
    fields: dict[ContainerSortBy, Callable[[tuple[AgentContainer, str, str]], Any]] = {
        ContainerSortBy.Name: lambda t: (t[0].name,),
        ContainerSortBy.Server: lambda t: (t[2] or "", t[0].name),
        ContainerSortBy.State: lambda t: (t[0].state.value, t[0].name),
        ContainerSortBy.Image: lambda t: (t[0].image or "", t[0].name),
        ContainerSortBy.Networks: lambda t: (",".join(t[0].networks), t[0].name),
        ContainerSortBy.Ports: lambda t: (
            min((p.public_port or 0 for p in t[0].ports), default=0),
            t[0].name,
        ),
        ContainerSortBy.Volumes: lambda t: (",".join(t[0].volumes), t[0].name),
    }
    return fields[sort_by]
