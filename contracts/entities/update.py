"""The audit record: Update, its Logs and the Operation it records."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from contracts.base import KomodoModel, MongoId, id_field
from contracts.entities.common import I64, ResourceTarget, Version

_OPERATIONS = (
    "None CreateSwarm UpdateSwarm RenameSwarm DeleteSwarm RemoveSwarmNodes UpdateSwarmNode RemoveSwarmStacks "
    "RemoveSwarmServices CreateSwarmConfig RotateSwarmConfig RemoveSwarmConfigs CreateSwarmSecret RotateSwarmSecret "
    "RemoveSwarmSecrets CreateServer UpdateServer UpdateServerKey DeleteServer RenameServer StartContainer "
    "RestartContainer PauseContainer UnpauseContainer StopContainer DestroyContainer StartAllContainers "
    "RestartAllContainers PauseAllContainers UnpauseAllContainers StopAllContainers PruneContainers CreateNetwork "
    "DeleteNetwork PruneNetworks DeleteImage PruneImages DeleteVolume PruneVolumes PruneDockerBuilders PruneBuildx "
    "PruneSystem CreateStack UpdateStack RenameStack DeleteStack WriteStackContents RefreshStackCache PullStack "
    "DeployStack StartStack RestartStack PauseStack UnpauseStack StopStack DestroyStack RunStackService "
    "CheckStackForUpdate DeployStackService PullStackService StartStackService RestartStackService "
    "PauseStackService UnpauseStackService StopStackService DestroyStackService CreateDeployment UpdateDeployment "
    "RenameDeployment DeleteDeployment Deploy PullDeployment StartDeployment RestartDeployment PauseDeployment "
    "UnpauseDeployment StopDeployment DestroyDeployment CheckDeploymentForUpdate CreateBuild UpdateBuild "
    "RenameBuild DeleteBuild RunBuild CancelBuild WriteDockerfile CreateRepo UpdateRepo RenameRepo DeleteRepo "
    "CloneRepo PullRepo BuildRepo CancelRepoBuild CreateProcedure UpdateProcedure RenameProcedure DeleteProcedure "
    "RunProcedure CancelProcedure CreateAction UpdateAction RenameAction DeleteAction RunAction CancelAction "
    "CreateResourceSync UpdateResourceSync RenameResourceSync DeleteResourceSync WriteSyncContents CommitSync "
    "RunSync CreateBuilder UpdateBuilder RenameBuilder DeleteBuilder CreateAlerter UpdateAlerter RenameAlerter "
    "DeleteAlerter TestAlerter SendAlert ClearRepoCache BackupCoreDatabase GlobalAutoUpdate RotateAllServerKeys "
    "RotateCoreKeys CreateVariable UpdateVariableValue DeleteVariable CreateGitProviderAccount "
    "UpdateGitProviderAccount DeleteGitProviderAccount CreateDockerRegistryAccount UpdateDockerRegistryAccount "
    "DeleteDockerRegistryAccount "
    # ServerTemplate (Komodo 1.x, kept by Varanus)
    "CreateServerTemplate UpdateServerTemplate RenameServerTemplate DeleteServerTemplate LaunchServer"
).split()

Operation = StrEnum("Operation", [(name, name) for name in _OPERATIONS])  # type: ignore[misc]
"""Every operation an Update can record (Komodo's 137, plus ServerTemplate's)."""
Operation.__doc__ = "Every operation an Update can record."


class UpdateStatus(StrEnum):
    """Where an Update is in its life."""

    Queued = "Queued"
    InProgress = "InProgress"
    Complete = "Complete"


class Log(KomodoModel):
    """One stage of an operation: what ran and what it printed."""

    stage: str
    """A label for the stage."""
    command: str = ""
    """The command that ran (secrets redacted)."""
    stdout: str = ""
    """Standard output (secrets redacted)."""
    stderr: str = ""
    """Standard error (secrets redacted)."""
    success: bool = True
    """Whether the stage succeeded."""
    start_ts: I64 = 0
    """Start time (unix ms)."""
    end_ts: I64 = 0
    """End time (unix ms)."""


class Update(KomodoModel):
    """An action performed by the system: its target, operator, logs and outcome."""

    id: MongoId = id_field("The Mongo id of the update.")
    """The Mongo id of the update."""
    operation: Operation
    """The operation performed."""
    start_ts: I64
    """When the operation started (unix ms)."""
    success: bool = False
    """Whether the operation succeeded (all logs successful)."""
    operator: str
    """Id of the user (or service user) that triggered the update."""
    target: ResourceTarget
    """The resource the update is about."""
    logs: list[Log] = Field(default_factory=list)
    """Logs produced as the operation runs."""
    end_ts: I64 | None = None
    """When the operation completed (unix ms)."""
    status: UpdateStatus = UpdateStatus.InProgress
    """Queued, InProgress or Complete."""
    version: Version | None = None
    """Build or deployed version, if any."""
    commit_hash: str | None = None
    """Cloned or deployed commit, if any."""
    other_data: str | None = None
    """Operation-specific data."""
    prev_toml: str | None = None
    """For config updates: the TOML before the change."""
    current_toml: str | None = None
    """For config updates: the TOML after the change."""


class UpdateListItem(KomodoModel):
    """An Update as `ListUpdates` and `/ws/update` give it."""

    id: str
    """The update id."""
    operation: Operation
    """The operation performed."""
    start_ts: I64
    """When it started (unix ms)."""
    success: bool
    """Whether it succeeded."""
    username: str = ""
    """Username of the operator."""
    operator: str
    """Id of the operator."""
    target: ResourceTarget
    """The resource the update is about."""
    status: UpdateStatus
    """Queued, InProgress or Complete."""
    version: Version | None = None
    """Build or deployed version, if any."""
    other_data: str | None = None
    """Operation-specific data."""
