// The executions of each resource kind as buttons on its detail page: the /execute request, its label, and
// how careful the UI is before sending it (destructive ones ask; Destroy* asks for the name typed).
// Names are the request classes of contracts/api/execute.

const go = (name, label, extra = {}) => ({ name, label, ...extra });
// Stop, Prune and the like undo work or lose state: confirm first.
const careful = (name, label, extra = {}) => go(name, label, { danger: true, ...extra });
// Destroy removes what runs: the user types the resource's name first.
const typed = (name, label, extra = {}) => go(name, label, { danger: true, typed: true, ...extra });

/**
 * By resource type: [{name, label, danger?, typed?, params?(resource) → extra params, ask?: "name",
 * when?(resource) → whether it applies}]. The request gets `{<kind.param>: id}` plus `params`.
 */
export const EXECUTIONS = {
  Server: [
    go("StartAllContainers", "Start containers"),
    go("RestartAllContainers", "Restart containers"),
    go("PauseAllContainers", "Pause containers"),
    go("UnpauseAllContainers", "Unpause containers"),
    careful("StopAllContainers", "Stop containers"),
    careful("PruneContainers", "Prune containers"),
    careful("PruneImages", "Prune images"),
    careful("PruneNetworks", "Prune networks"),
    careful("PruneVolumes", "Prune volumes"),
    careful("PruneDockerBuilders", "Prune builders"),
    careful("PruneBuildx", "Prune buildx"),
    careful("PruneSystem", "Prune system"),
    // Only servers launched from a template have a machine to terminate.
    typed("DestroyServer", "Destroy machine", {
      params: () => ({ confirm: true }),
      when: (resource) => Boolean(resource.info && resource.info.cloud_id),
    }),
  ],
  Deployment: [
    go("Deploy", "Deploy"),
    go("StartDeployment", "Start"),
    go("RestartDeployment", "Restart"),
    go("PauseDeployment", "Pause"),
    go("UnpauseDeployment", "Unpause"),
    go("PullDeployment", "Pull"),
    careful("StopDeployment", "Stop"),
    typed("DestroyDeployment", "Destroy"),
  ],
  Stack: [
    go("DeployStack", "Deploy"),
    go("DeployStackIfChanged", "Deploy if changed"),
    go("StartStack", "Start"),
    go("RestartStack", "Restart"),
    go("PauseStack", "Pause"),
    go("UnpauseStack", "Unpause"),
    go("PullStack", "Pull"),
    careful("StopStack", "Stop"),
    typed("DestroyStack", "Destroy"),
  ],
  Build: [go("RunBuild", "Run build"), careful("CancelBuild", "Cancel build")],
  Repo: [
    go("CloneRepo", "Clone"),
    go("PullRepo", "Pull"),
    go("BuildRepo", "Build"),
    careful("CancelRepoBuild", "Cancel build"),
  ],
  Procedure: [go("RunProcedure", "Run"), careful("CancelProcedure", "Cancel runs")],
  Action: [go("RunAction", "Run"), careful("CancelAction", "Cancel runs")],
  ResourceSync: [go("RunSync", "Run sync")],
  Alerter: [go("TestAlerter", "Send test alert")],
  ServerTemplate: [go("LaunchServer", "Launch server", { ask: "name" })],
  Builder: [],
};

/** The executions that apply to `resource` of type `type`. */
export function executionsOf(type, resource) {
  return (EXECUTIONS[type] || []).filter((ex) => !ex.when || ex.when(resource));
}
