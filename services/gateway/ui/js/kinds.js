// The resource kinds the UI shows, with the API requests of each (Komodo's names).

function kind(type, path, label, param, extra = {}) {
  const plural = `${type}s`;
  return {
    type,
    path,
    label,
    singular: extra.singular || type.replace(/([a-z])([A-Z])/g, "$1 $2"),
    param,
    list: `List${plural}`,
    listFull: `ListFull${plural}`,
    get: `Get${type}`,
    create: `Create${type}`,
    copy: `Copy${type}`,
    rename: `Rename${type}`,
    remove: `Delete${type}`,
    update: `Update${type}`,
    summary: `Get${plural}Summary`,
    config: `${type}Config`,
    ...extra,
  };
}

/** Every resource kind, in the order of the navigation. */
export const KINDS = [
  kind("Server", "servers", "Servers", "server"),
  kind("Deployment", "deployments", "Deployments", "deployment"),
  kind("Stack", "stacks", "Stacks", "stack"),
  kind("Build", "builds", "Builds", "build"),
  kind("Repo", "repos", "Repos", "repo"),
  kind("Procedure", "procedures", "Procedures", "procedure"),
  kind("Action", "actions", "Actions", "action"),
  kind("ResourceSync", "syncs", "Syncs", "sync", { singular: "Sync" }),
  kind("Builder", "builders", "Builders", "builder"),
  kind("Alerter", "alerters", "Alerters", "alerter"),
  kind("ServerTemplate", "server-templates", "Server templates", "server_template"),
];

/** The kind whose URL path is `path` ("deployments"), or undefined. */
export function kindByPath(path) {
  return KINDS.find((k) => k.path === path);
}

/** The kind of a ResourceTarget type ("Deployment"), or undefined. */
export function kindByType(type) {
  return KINDS.find((k) => k.type === type);
}
