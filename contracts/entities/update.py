"""The audit record: Update, its Logs and the Operation it records."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from contracts.base import KomodoModel, MongoId, id_field
from contracts.entities.common import I64, ResourceTarget, Version


class Operation(StrEnum):
    """Every operation an Update can record: Komodo's, plus ServerTemplate's (kept by Varanus)."""

    None_ = "None"
    CreateSwarm = "CreateSwarm"
    UpdateSwarm = "UpdateSwarm"
    RenameSwarm = "RenameSwarm"
    DeleteSwarm = "DeleteSwarm"
    RemoveSwarmNodes = "RemoveSwarmNodes"
    UpdateSwarmNode = "UpdateSwarmNode"
    RemoveSwarmStacks = "RemoveSwarmStacks"
    RemoveSwarmServices = "RemoveSwarmServices"
    CreateSwarmConfig = "CreateSwarmConfig"
    RotateSwarmConfig = "RotateSwarmConfig"
    RemoveSwarmConfigs = "RemoveSwarmConfigs"
    CreateSwarmSecret = "CreateSwarmSecret"
    RotateSwarmSecret = "RotateSwarmSecret"
    RemoveSwarmSecrets = "RemoveSwarmSecrets"
    CreateServer = "CreateServer"
    UpdateServer = "UpdateServer"
    UpdateServerKey = "UpdateServerKey"
    DeleteServer = "DeleteServer"
    RenameServer = "RenameServer"
    StartContainer = "StartContainer"
    RestartContainer = "RestartContainer"
    PauseContainer = "PauseContainer"
    UnpauseContainer = "UnpauseContainer"
    StopContainer = "StopContainer"
    DestroyContainer = "DestroyContainer"
    StartAllContainers = "StartAllContainers"
    RestartAllContainers = "RestartAllContainers"
    PauseAllContainers = "PauseAllContainers"
    UnpauseAllContainers = "UnpauseAllContainers"
    StopAllContainers = "StopAllContainers"
    PruneContainers = "PruneContainers"
    CreateNetwork = "CreateNetwork"
    DeleteNetwork = "DeleteNetwork"
    PruneNetworks = "PruneNetworks"
    DeleteImage = "DeleteImage"
    PruneImages = "PruneImages"
    DeleteVolume = "DeleteVolume"
    PruneVolumes = "PruneVolumes"
    PruneDockerBuilders = "PruneDockerBuilders"
    PruneBuildx = "PruneBuildx"
    PruneSystem = "PruneSystem"
    CreateStack = "CreateStack"
    UpdateStack = "UpdateStack"
    RenameStack = "RenameStack"
    DeleteStack = "DeleteStack"
    WriteStackContents = "WriteStackContents"
    RefreshStackCache = "RefreshStackCache"
    PullStack = "PullStack"
    DeployStack = "DeployStack"
    StartStack = "StartStack"
    RestartStack = "RestartStack"
    PauseStack = "PauseStack"
    UnpauseStack = "UnpauseStack"
    StopStack = "StopStack"
    DestroyStack = "DestroyStack"
    RunStackService = "RunStackService"
    CheckStackForUpdate = "CheckStackForUpdate"
    DeployStackService = "DeployStackService"
    PullStackService = "PullStackService"
    StartStackService = "StartStackService"
    RestartStackService = "RestartStackService"
    PauseStackService = "PauseStackService"
    UnpauseStackService = "UnpauseStackService"
    StopStackService = "StopStackService"
    DestroyStackService = "DestroyStackService"
    CreateDeployment = "CreateDeployment"
    UpdateDeployment = "UpdateDeployment"
    RenameDeployment = "RenameDeployment"
    DeleteDeployment = "DeleteDeployment"
    Deploy = "Deploy"
    PullDeployment = "PullDeployment"
    StartDeployment = "StartDeployment"
    RestartDeployment = "RestartDeployment"
    PauseDeployment = "PauseDeployment"
    UnpauseDeployment = "UnpauseDeployment"
    StopDeployment = "StopDeployment"
    DestroyDeployment = "DestroyDeployment"
    CheckDeploymentForUpdate = "CheckDeploymentForUpdate"
    CreateBuild = "CreateBuild"
    UpdateBuild = "UpdateBuild"
    RenameBuild = "RenameBuild"
    DeleteBuild = "DeleteBuild"
    RunBuild = "RunBuild"
    CancelBuild = "CancelBuild"
    WriteDockerfile = "WriteDockerfile"
    CreateRepo = "CreateRepo"
    UpdateRepo = "UpdateRepo"
    RenameRepo = "RenameRepo"
    DeleteRepo = "DeleteRepo"
    CloneRepo = "CloneRepo"
    PullRepo = "PullRepo"
    BuildRepo = "BuildRepo"
    CancelRepoBuild = "CancelRepoBuild"
    CreateProcedure = "CreateProcedure"
    UpdateProcedure = "UpdateProcedure"
    RenameProcedure = "RenameProcedure"
    DeleteProcedure = "DeleteProcedure"
    RunProcedure = "RunProcedure"
    CancelProcedure = "CancelProcedure"
    CreateAction = "CreateAction"
    UpdateAction = "UpdateAction"
    RenameAction = "RenameAction"
    DeleteAction = "DeleteAction"
    RunAction = "RunAction"
    CancelAction = "CancelAction"
    CreateResourceSync = "CreateResourceSync"
    UpdateResourceSync = "UpdateResourceSync"
    RenameResourceSync = "RenameResourceSync"
    DeleteResourceSync = "DeleteResourceSync"
    WriteSyncContents = "WriteSyncContents"
    CommitSync = "CommitSync"
    RunSync = "RunSync"
    CreateBuilder = "CreateBuilder"
    UpdateBuilder = "UpdateBuilder"
    RenameBuilder = "RenameBuilder"
    DeleteBuilder = "DeleteBuilder"
    CreateAlerter = "CreateAlerter"
    UpdateAlerter = "UpdateAlerter"
    RenameAlerter = "RenameAlerter"
    DeleteAlerter = "DeleteAlerter"
    TestAlerter = "TestAlerter"
    SendAlert = "SendAlert"
    ClearRepoCache = "ClearRepoCache"
    BackupCoreDatabase = "BackupCoreDatabase"
    GlobalAutoUpdate = "GlobalAutoUpdate"
    RotateAllServerKeys = "RotateAllServerKeys"
    RotateCoreKeys = "RotateCoreKeys"
    CreateVariable = "CreateVariable"
    UpdateVariableValue = "UpdateVariableValue"
    DeleteVariable = "DeleteVariable"
    CreateGitProviderAccount = "CreateGitProviderAccount"
    UpdateGitProviderAccount = "UpdateGitProviderAccount"
    DeleteGitProviderAccount = "DeleteGitProviderAccount"
    CreateDockerRegistryAccount = "CreateDockerRegistryAccount"
    UpdateDockerRegistryAccount = "UpdateDockerRegistryAccount"
    DeleteDockerRegistryAccount = "DeleteDockerRegistryAccount"
    CreateServerTemplate = "CreateServerTemplate"
    UpdateServerTemplate = "UpdateServerTemplate"
    RenameServerTemplate = "RenameServerTemplate"
    DeleteServerTemplate = "DeleteServerTemplate"
    LaunchServer = "LaunchServer"


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
