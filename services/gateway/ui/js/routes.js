// Every page of the UI: its path pattern, title, module, and where it sits in the navigation.
// `nav.section` groups the links; `nav.admin` shows the link to admins only.

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

// Activity (branch ui-live): Updates, one Update with its live logs, alerts, and one resource tab alone.
ROUTES.push(
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
