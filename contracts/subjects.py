"""Every NATS subject Varanus uses, built from names; no other code spells a subject by hand."""

from __future__ import annotations

from typing import Final

PREFIX: Final = "komodo"
"""First token of every Varanus subject (Komodo's name, so a bus client reads familiar subjects)."""

EVENTS_STREAM: Final = "KOMODO_EVENTS"
"""JetStream stream that holds every event."""

EVENTS_WILDCARD: Final = f"{PREFIX}.event.>"
"""Subjects captured by the events stream."""

STATUS_HEADER: Final = "Komodo-Status"
"""Reply header that carries the HTTP-like status of a bus answer (200 on success)."""

UPDATE_ID_HEADER: Final = "Varanus-Update-Id"
"""Request header a built-in service user (an automation) sets on an execution to choose its Update's id, so a
retried trigger finds the execution it already started (the registry answers 409 for an id in use). Ignored
from other callers."""

CAUSE_HEADER: Final = "Varanus-Cause"
"""Request header a built-in service user sets on an execution to say why it runs (for example the build whose
end redeploys a deployment); it becomes the first Log of the execution's Update. Ignored from other callers."""

REQUEST_KINDS: Final = ("read", "write", "execute", "internal")
"""Kinds of request subjects: Komodo's three APIs plus service-to-service requests."""


def request_subject(kind: str, name: str) -> str:
    """Subject of a request: `komodo.<kind>.<Name>`."""
    if kind not in REQUEST_KINDS:
        raise ValueError(f"unknown request kind {kind!r}")
    return f"{PREFIX}.{kind}.{name}"


def event_subject(kind: str, name: str) -> str:
    """Subject of an event: `komodo.event.<kind>.<EventName>`."""
    return f"{PREFIX}.event.{kind}.{name}"


def agent_subject(server_id: str, name: str) -> str:
    """Subject of a request to one host's agent: `komodo.agent.<server_id>.<Request>`."""
    return f"{PREFIX}.agent.{server_id}.{name}"


def queue_group(service: str) -> str:
    """Queue group shared by the replicas of one service, so each request reaches exactly one replica."""
    return f"varanus-{service}"


def agent_status_subject(server_id: str) -> str:
    """Subject of an agent's heartbeat: `komodo.agent.<server_id>.status` (lower case: never a request name)."""
    return agent_subject(server_id, "status")


def agent_beat_subject(server_id: str) -> str:
    """Subject of an agent's small heartbeat (`AgentBeat`): `komodo.agent.<server_id>.beat`."""
    return agent_subject(server_id, "beat")


def agent_resend_subject(server_id: str) -> str:
    """Subject on which a listener asks one agent to publish its full `AgentStatus` again at once:
    `komodo.agent.<server_id>.resend` (no body, no answer; lower case: never a request name)."""
    return agent_subject(server_id, "resend")


def agent_container_subject(server_id: str) -> str:
    """Subject of an agent's container state changes: `komodo.agent.<server_id>.container`."""
    return agent_subject(server_id, "container")


ONBOARD_SUBJECT: Final = f"{PREFIX}.onboard.OnboardAgent"
"""Where a new host's agent presents its onboarding key to get its server and credential (answered by the registry)."""


def action_cancel_subject() -> str:
    """Subject every executor replica listens on for CancelAction (the one running the script kills it):
    `komodo.executor.action.cancel` (lower case: never a request name)."""
    return f"{PREFIX}.executor.action.cancel"


REPLICA_HEADER: Final = "Varanus-Replica"
"""Header naming the service replica that published a message (so a replica can ignore its own notices)."""

REGISTRY_READS_DROPPED_WILDCARD: Final = f"{PREFIX}.registry.dropped.*"
"""Where registry replicas hear that another replica wrote a collection (see `registry_reads_dropped_subject`)."""


LIVE_CHANGED_SUBJECT: Final = f"{PREFIX}.executor.live.changed"
"""Where an executor replica says that live state shown in lists (deployments' and stacks' containers, their
status lines, their image update checks) changed, so registry replicas drop the live answers they keep (a plain
publish, no body, no answer; at most one per 100 ms per replica: `services/executor/live_changes.py`)."""


SERVER_LIVE_CHANGED_SUBJECT: Final = f"{PREFIX}.executor.live.servers.changed"
"""Where an executor replica says that live state shown in server lists (a server's state, stats, agent version)
changed: a heartbeat or a beat arrived, or a server went Ok or NotOk. As `LIVE_CHANGED_SUBJECT`, for the
registry's kept server answers (apart, so that stats arriving at every beat do not drop deployment pages)."""


LIVE_READS: Final = "(live)"
"""The name the registry's kept live answers of deployment and stack lists go by, in `KEPT_FROM_HEADER` (not a
collection: no collection name has parentheses); dropped on `LIVE_CHANGED_SUBJECT`."""

SERVER_LIVE_READS: Final = "(live servers)"
"""The name the registry's kept live answers of server lists go by; dropped on `SERVER_LIVE_CHANGED_SUBJECT`."""

LIVE_NOTICES: Final = {LIVE_CHANGED_SUBJECT: LIVE_READS, SERVER_LIVE_CHANGED_SUBJECT: SERVER_LIVE_READS}
"""Which kept live answers each executor notice drops."""

KEPT_FROM_HEADER: Final = "Varanus-Kept-From"
"""Header of a registry answer that may be kept until something it was made of changes: the comma-separated
names of what it was read from (collections, `LIVE_READS`, `SERVER_LIVE_READS`), each dropped by
`komodo.registry.dropped.<collection>` or its executor notice. Only answers whose every part is covered by such
notices, or by `CredentialsChanged` (the caller's rights), carry it. The gateway keeps such answers per
request and credentials (`services/gateway/kept_answers.py`)."""

KEPT_FOR_HEADER: Final = "Varanus-Kept-For"
"""Header beside `KEPT_FROM_HEADER`: seconds the answer may be kept at most (what is left of the registry's own
bound on the oldest kept read it was made of), so a lost notice is bounded once, not once per holder."""


def registry_reads_dropped_subject(collection: str) -> str:
    """Subject on which a registry replica says it wrote `collection`, so the others drop the reads they hold
    from it: `komodo.registry.dropped.<collection>` (a plain publish, no body, no answer; lower case: never a
    request name)."""
    return f"{PREFIX}.registry.dropped.{collection}"
