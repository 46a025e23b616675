"""Events that follow executions and state, for procedures, alerting and redeploys."""

from __future__ import annotations

from typing import ClassVar

from contracts.entities.common import Version
from contracts.events.base import Event


class BuildFinished(Event):
    """A build ended; deployments with `redeploy_on_build` follow it, the alerter alerts when it failed."""

    KIND: ClassVar[str] = "build"

    update_id: str
    """The Update of the build run."""
    success: bool
    """Whether the build succeeded."""
    build_version: Version = Version()
    """The version that was built."""


class BuildFailed(Event):
    """A build failed (published beside its `BuildFinished`): nothing is redeployed; the alerter raises Komodo's
    `BuildFailed` alert from it."""

    KIND: ClassVar[str] = "build"

    update_id: str
    """The Update of the failed run."""
    name: str = ""
    """The build's name when it ran."""
    build_version: Version = Version()
    """The version it tried to build."""


class DeploymentDeployed(Event):
    """A deployment's container was (re)created by an execution."""

    KIND: ClassVar[str] = "deployment"

    update_id: str
    """The Update of the deploy."""
    success: bool
    """Whether the deploy succeeded."""


class StackDeployed(Event):
    """A stack was deployed (compose up) by an execution."""

    KIND: ClassVar[str] = "stack"

    update_id: str
    """The Update of the deploy."""
    success: bool
    """Whether the deploy succeeded."""
    services: list[str] = []
    """Services deployed (empty means all)."""


class StateChanged(Event):
    """Base of the state-change events: a resource went from one state to another."""

    previous: str
    """State before (Komodo's spelling)."""
    current: str
    """State now."""


class ServerStateChanged(StateChanged):
    """A server went Ok, NotOk or Disabled."""

    KIND: ClassVar[str] = "server"


class DeploymentStateChanged(StateChanged):
    """A deployment's container changed state (running, exited, ...)."""

    KIND: ClassVar[str] = "deployment"


class StackStateChanged(StateChanged):
    """A stack changed state (running, unhealthy, down, ...)."""

    KIND: ClassVar[str] = "stack"


class ProcedureStageStarted(Event):
    """A procedure run started one of its stages."""

    KIND: ClassVar[str] = "procedure"

    run_id: str
    """The procedure run (its Update id)."""
    stage: int
    """Index of the stage."""
    stage_name: str = ""
    """Name of the stage."""


class DeploymentImageUpdateAvailable(Event):
    """A newer image than the one a deployment's container runs is in the registry under the same tag."""

    KIND: ClassVar[str] = "deployment"

    image: str
    """The deployment's image reference (the tag that moved)."""
    latest_digest: str
    """The digest the tag points to now (`sha256:...`)."""
    server_id: str = ""
    """The server the container runs on."""


class DeploymentAutoUpdated(Event):
    """A deployment with `auto_update` was redeployed because its image's tag points to a newer image."""

    KIND: ClassVar[str] = "deployment"

    update_id: str
    """The Update of the redeploy."""
    success: bool
    """Whether the redeploy succeeded."""
    image: str
    """The deployment's image reference."""
    latest_digest: str = ""
    """The digest the redeploy was for (`sha256:...`)."""


class StackImageUpdateAvailable(Event):
    """A newer image than the one a stack service's container runs is in the registry under the same tag."""

    KIND: ClassVar[str] = "stack"

    service: str
    """The compose service."""
    image: str
    """The service's image reference (the tag that moved)."""
    latest_digest: str
    """The digest the tag points to now (`sha256:...`)."""
    server_id: str = ""
    """The server the stack runs on."""


class StackAutoUpdated(Event):
    """A stack with `auto_update` was redeployed because images of its services have newer versions."""

    KIND: ClassVar[str] = "stack"

    update_id: str
    """The Update of the redeploy."""
    success: bool
    """Whether the redeploy succeeded."""
    services: list[str] = []
    """The services redeployed (empty: the whole stack, `auto_update_all_services`)."""
    images: list[str] = []
    """The images with updates that caused it."""
