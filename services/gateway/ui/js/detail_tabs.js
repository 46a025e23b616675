// Extra tabs of resource detail pages, by resource type, besides the generic Config and Updates tabs.
// A tab module exports `render(ctx, resource, kind)` → a node (or a promise of one); `ctx.onLeave(fn)`
// registers cleanups (stream subscriptions, timers) run when the user leaves the tab or the page.
// `admin: true` shows the tab to admins only.

import { KINDS } from "./kinds.js";

export const DETAIL_TABS = {
  // e.g. Server: [{ id: "stats", label: "Stats", load: () => import("./tabs/server_stats.js") }],
};

// Live views (branch ui-live): logs, stats, the compose editor and the sync diff.
Object.assign(DETAIL_TABS, {
  Server: [
    ...(DETAIL_TABS.Server || []),
    { id: "stats", label: "Stats", load: () => import("./tabs/server_stats.js") },
    { id: "containers", label: "Containers", load: () => import("./tabs/server_containers.js") },
  ],
  Deployment: [...(DETAIL_TABS.Deployment || []), { id: "logs", label: "Logs", load: () => import("./tabs/deployment_logs.js") }],
  Stack: [
    ...(DETAIL_TABS.Stack || []),
    { id: "compose", label: "Compose", load: () => import("./tabs/stack_compose.js") },
    { id: "logs", label: "Logs", load: () => import("./tabs/stack_logs.js") },
  ],
  ResourceSync: [...(DETAIL_TABS.ResourceSync || []), { id: "diff", label: "Diff", load: () => import("./tabs/sync_diff.js") }],
});

/** The extra tabs of a resource type, for `user`. */
export function extraTabs(type, user) {
  return (DETAIL_TABS[type] || []).filter((tab) => !tab.admin || user.admin);
}

// The Permissions tab (admins only) on every resource type: who has which level on the resource.
for (const { type } of KINDS) {
  DETAIL_TABS[type] = [
    ...(DETAIL_TABS[type] || []),
    { id: "permissions", label: "Permissions", admin: true, load: () => import("./tabs/permissions.js") },
  ];
}
