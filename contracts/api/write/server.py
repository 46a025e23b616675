"""Write requests about Servers (`/write`)."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from contracts.api.base import WriteRequest
from contracts.entities.server import Server
from contracts.entities.update import Update


class CreateServer(WriteRequest):
    """Create a server from a partial config; answers the new Server."""

    RESPONSE: ClassVar[Any] = Server

    name: str
    """Name of the new server."""
    config: dict[str, Any] = Field(default_factory=dict)
    """Partial ServerConfig merged over the defaults."""
    public_key: str | None = None
    """Initial Periphery public key of the server."""


class CopyServer(WriteRequest):
    """Create a server with the config of another; answers the new Server."""

    RESPONSE: ClassVar[Any] = Server

    name: str
    """Name of the new server."""
    id: str
    """Id of the server to copy."""
    public_key: str | None = None
    """Initial Periphery public key of the server."""


class DeleteServer(WriteRequest):
    """Delete a server; answers the deleted Server."""

    RESPONSE: ClassVar[Any] = Server

    id: str
    """Id or name of the server."""
    keep_cloud_machine: bool = False
    """Varanus extension: delete a server launched from a ServerTemplate anyway, leaving its cloud machine
    running (without it such a delete is refused: `DestroyServer` terminates the machine and deletes the server)."""


class UpdateServer(WriteRequest):
    """Merge a partial config into a server; answers the updated Server."""

    RESPONSE: ClassVar[Any] = Server

    id: str
    """Id or name of the server."""
    config: dict[str, Any]
    """Partial ServerConfig; only the fields given change."""


class RenameServer(WriteRequest):
    """Rename a server; answers an Update."""

    RESPONSE: ClassVar[Any] = Update

    id: str
    """Id or name of the server."""
    name: str
    """The new name."""


class CreateNetwork(WriteRequest):
    """Create a docker network on a server (`docker network create`); answers an Update."""

    RESPONSE: ClassVar[Any] = Update

    server: str
    """Id or name of the server."""
    name: str
    """Name of the network."""


class UpdateServerPublicKey(WriteRequest):
    """Set the Periphery public key Komodo expects for a server; answers an Update."""

    RESPONSE: ClassVar[Any] = Update

    server: str
    """Id or name of the server."""
    public_key: str
    """The SPKI public key, base64."""


class RotateServerKeys(WriteRequest):
    """Rotate a server's Periphery private and public keys; answers an Update."""

    RESPONSE: ClassVar[Any] = Update

    server: str
    """Id or name of the server."""
