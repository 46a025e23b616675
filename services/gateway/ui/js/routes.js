// Every page of the UI: its path pattern, title, module, and where it sits in the navigation.
// `nav.section` groups the links; `nav.admin` shows the link to admins only.

import { KINDS } from "./kinds.js";

export const ROUTES = [
  {
    path: "/",
    title: () => "Dashboard",
    load: () => import("./pages/dashboard.js"),
    nav: { section: "", label: "Dashboard" },
  },
  {
    path: "/keys",
    title: () => "API keys",
    load: () => import("./pages/api_keys.js"),
  },
  // Settings (every user) and Admin (admins; the pages also say so to anyone else who opens them).
  {
    path: "/variables",
    title: () => "Variables",
    load: () => import("./pages/variables.js"),
    nav: { section: "Settings", label: "Variables" },
  },
  {
    path: "/tags",
    title: () => "Tags",
    load: () => import("./pages/tags.js"),
    nav: { section: "Settings", label: "Tags" },
  },
  {
    path: "/admin/users",
    title: () => "Users",
    load: () => import("./pages/admin_users.js"),
    nav: { section: "Admin", label: "Users", admin: true },
  },
  { path: "/admin/users/:id", title: () => "User", load: () => import("./pages/admin_user.js") },
  {
    path: "/admin/groups",
    title: () => "User groups",
    load: () => import("./pages/admin_groups.js"),
    nav: { section: "Admin", label: "User groups", admin: true },
  },
  { path: "/admin/groups/:id", title: () => "User group", load: () => import("./pages/admin_group.js") },
  {
    path: "/admin/permissions/:type/:id",
    title: (p) => `Permissions on ${p.id}`,
    load: () => import("./pages/admin_permissions.js"),
  },
  {
    path: "/accounts",
    title: () => "Accounts",
    load: () => import("./pages/accounts.js"),
    nav: { section: "Admin", label: "Accounts", admin: true },
  },
  {
    path: "/admin/onboarding",
    title: () => "Onboarding keys",
    load: () => import("./pages/onboarding.js"),
    nav: { section: "Admin", label: "Onboarding keys", admin: true },
  },
];

// The resource pages of every kind: the list (#/deployments) and the detail (#/deployments/<id or name>).
// `kinds: true` on the first makes main.js list every kind under "Resources".
// They sit right after the dashboard, so "Resources" comes first in the navigation.
ROUTES.splice(
  1,
  0,
  ...KINDS.flatMap((kind, at) => [
    {
      path: `/${kind.path}`,
      title: () => kind.label,
      load: () => import("./pages/resources.js").then((m) => ({ render: (ctx) => m.render(ctx, kind) })),
      nav: at === 0 ? { section: "Resources", kinds: true } : undefined,
    },
    {
      path: `/${kind.path}/:id`,
      title: (params) => `${params.id} · ${kind.label}`,
      load: () => import("./pages/resource.js").then((m) => ({ render: (ctx) => m.render(ctx, kind) })),
    },
  ]),
);

// Activity (branch ui-live): Updates, one Update with its live logs, alerts, and one resource tab alone.
// In the navigation they come after the resources, before Settings and Admin.
const settingsAt = ROUTES.findIndex((route) => route.nav && route.nav.section === "Settings");
ROUTES.splice(
  settingsAt < 0 ? ROUTES.length : settingsAt,
  0,
  {
    path: "/updates",
    title: () => "Updates",
    load: () => import("./pages/updates.js"),
    nav: { section: "Activity", label: "Updates" },
  },
  {
    path: "/updates/:id",
    title: () => "Update",
    load: () => import("./pages/update.js"),
  },
  {
    path: "/alerts",
    title: () => "Alerts",
    load: () => import("./pages/alerts.js"),
    nav: { section: "Activity", label: "Alerts" },
  },
  {
    path: "/tab/:type/:id/:tab",
    title: (params) => `${params.type} ${params.tab}`,
    load: () => import("./pages/tab.js"),
  },
);
