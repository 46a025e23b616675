"""Write requests about Deployments (`/write`)."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from contracts.api.base import WriteRequest
from contracts.entities.deployment import CheckDeploymentForUpdateResponse, Deployment
from contracts.entities.update import Update


class CreateDeployment(WriteRequest):
    """Create a deployment from a partial config; answers the new Deployment."""

    RESPONSE: ClassVar[Any] = Deployment

    name: str
    """Name of the new deployment."""
    config: dict[str, Any] = Field(default_factory=dict)
    """Partial DeploymentConfig merged over the defaults."""


class CopyDeployment(WriteRequest):
    """Create a deployment with the config of another; answers the new Deployment."""

    RESPONSE: ClassVar[Any] = Deployment

    name: str
    """Name of the new deployment."""
    id: str
    """Id of the deployment to copy."""


class CreateDeploymentFromContainer(WriteRequest):
    """Create a deployment from an existing container on a server; answers the new Deployment."""

    RESPONSE: ClassVar[Any] = Deployment

    name: str
    """Name or id of the container (also the deployment name)."""
    server: str
    """Id or name of the server running the container."""


class DeleteDeployment(WriteRequest):
    """Delete a deployment and remove its container; answers the deleted Deployment."""

    RESPONSE: ClassVar[Any] = Deployment

    id: str
    """Id or name of the deployment."""


class UpdateDeployment(WriteRequest):
    """Merge a partial config into a deployment; answers the updated Deployment."""

    RESPONSE: ClassVar[Any] = Deployment

    id: str
    """Id or name of the deployment."""
    config: dict[str, Any]
    """Partial DeploymentConfig; only the fields given change."""


class RenameDeployment(WriteRequest):
    """Rename a deployment (and its container with `docker rename`); answers an Update."""

    RESPONSE: ClassVar[Any] = Update

    id: str
    """Id or name of the deployment."""
    name: str
    """The new name."""


class CheckDeploymentForUpdate(WriteRequest):
    """Check the registry for a newer image than the one deployed; answers CheckDeploymentForUpdateResponse."""

    RESPONSE: ClassVar[Any] = CheckDeploymentForUpdateResponse

    deployment: str
    """Id or name of the deployment."""
    skip_auto_update: bool = False
    """Only alert, even if the deployment has auto_update."""
    wait_for_auto_update: bool = False
    """Wait for a triggered redeploy instead of running it in the background."""


class BatchCheckDeploymentForUpdate(WriteRequest):
    """Check several deployments for newer images; answers a list of CheckDeploymentForUpdateResponse."""

    RESPONSE: ClassVar[Any] = list[CheckDeploymentForUpdateResponse]

    pattern: str
    """Ids, names, wildcards (`foo-*`) or `\\regex\\`, comma or newline separated."""
    tags: list[str] = Field(default_factory=list)
    """Only deployments with these tags."""
    skip_auto_update: bool = False
    """Only alert, even if a deployment has auto_update."""
    wait_for_auto_update: bool = False
    """Wait for triggered redeploys instead of running them in the background."""
