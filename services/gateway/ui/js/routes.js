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
