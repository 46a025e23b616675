// Deployment tab "Logs": the log of the deployment's container (GetDeploymentLog / SearchDeploymentLog),
// with search and follow.

import { idOf, read } from "../api.js";
import { h } from "../dom.js";
import { logViewer } from "../log_view.js";

/** Renders the tab for `deployment` (the GetDeployment answer). */
export function render(ctx, deployment) {
  const id = idOf(deployment);
  const viewer = logViewer({
    label: `Log of ${deployment.name}`,
    tail: (tail) => read("GetDeploymentLog", { deployment: id, tail }),
    search: (terms, invert) => read("SearchDeploymentLog", { deployment: id, terms, invert }),
    onLeave: ctx.onLeave,
  });
  return h("div.tab-logs", {}, viewer.node);
}
