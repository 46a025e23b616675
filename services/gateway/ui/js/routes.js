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
