"""What an execution needs of the registry before it starts, in one request: the resource as its caller sees
it, the caller's permission on it, and (for resources that run on a server) that server."""

from __future__ import annotations

from typing import Any, ClassVar

from contracts.api.base import InternalRequest
from contracts.base import KomodoModel
from contracts.entities.common import PermissionLevelAndSpecifics, ResourceTargetVariant
from contracts.entities.server import Server


class ExecutionTarget(KomodoModel):
    """A resource, the caller's permission on it, and its server."""

    resource: dict[str, Any]
    """The resource as the caller's Get of it answers (secrets hidden unless the caller is an admin)."""
    granted: PermissionLevelAndSpecifics
    """The caller's effective permission on the resource (at least Read: without Read the request is a 403)."""
    server: Server | None = None
    """The server named by the resource's `config.server_id`, as the System user reads it; null when the server
    was not asked for, the resource names none, or it does not exist."""


class GetExecutionTarget(InternalRequest):
    """Ask the registry, for a caller the asking service has already authenticated, for a resource (by id or
    name), the caller's permission on it and, with `with_server`, its server.

    The same checks as the caller's own `Get<Kind>` (a 404 for no such resource, a 403 without Read) and
    `GetPermission`, answered in one round trip: an execution would otherwise ask them one after the other.
    """

    RESPONSE: ClassVar[Any] = ExecutionTarget

    type: ResourceTargetVariant
    """The kind of resource."""
    target: str
    """Its id or name."""
    user_id: str
    """The caller's user id."""
    username: str
    """The caller's username (named in a 403)."""
    admin: bool = False
    """Whether the caller is an admin (sees every resource and its secrets)."""
    with_server: bool = False
    """Whether to read the server named by the resource's `config.server_id` too."""
