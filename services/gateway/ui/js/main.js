// The UI's start: log in (or resume a log-in), then the layout with navigation and the routed page.

import { currentUser, session } from "./api.js";
import { h, replace } from "./dom.js";
import { KINDS } from "./kinds.js";
import { renderLogin } from "./pages/login.js";
import { ROUTES } from "./routes.js";
import { startRouter } from "./router.js";
import { connectUpdates, disconnectUpdates, onStreamStatus } from "./updates.js";
import { errorBox } from "./ui.js";

const root = document.getElementById("app");
let stopRouter = null;

function showLogin(notice = "") {
  if (stopRouter) stopRouter();
  stopRouter = null;
  disconnectUpdates();
  renderLogin(
    root,
    (jwt) => {
      session.set(jwt);
      start();
    },
    notice,
  );
}

function navigation(user) {
  const links = [];
  const sections = new Map();
  const add = (section, href, label) => {
    if (!sections.has(section)) sections.set(section, []);
    sections.get(section).push({ href, label });
  };
  for (const route of ROUTES) {
    if (!route.nav || (route.nav.admin && !user.admin)) continue;
    if (route.nav.section === "Resources" && route.nav.kinds) {
      for (const kind of KINDS) add("Resources", `#/${kind.path}`, kind.label);
    } else {
      add(route.nav.section, `#${route.path}`, route.nav.label);
    }
  }
  for (const [section, items] of sections) {
    links.push(
      h(
        "div.nav-section",
        {},
        section ? h("h2", { text: section }) : null,
        h("ul", {}, items.map((item) => h("li", {}, h("a", { href: item.href, text: item.label })))),
      ),
    );
  }
  return links;
}

function layout(user) {
  const main = h("main#main", { id: "main", tabindex: "-1" });
  const nav = h("nav#nav.sidebar", { id: "nav", "aria-label": "Main" }, navigation(user));
  const menu = h("button.menu", { type: "button", "aria-controls": "nav", "aria-expanded": "false", text: "Menu" });
  menu.addEventListener("click", () => {
    const open = nav.classList.toggle("open");
    menu.setAttribute("aria-expanded", String(open));
  });
  const live = h("span.stream", { title: "The live Update stream" });
  const logout = h("button.link", { type: "button", text: "Log out" });
  logout.addEventListener("click", () => {
    session.clear();
    showLogin("You are logged out.");
  });
  const header = h(
    "header.topbar",
    {},
    menu,
    h("a.brand", { href: "#/" }, h("img", { src: "/ui/favicon.svg", alt: "", width: 24, height: 24 }), "Varanus"),
    h("div.spacer"),
    live,
    h("a.user", { href: "#/keys", title: "Your API keys" }, user.username),
    logout,
  );
  onStreamStatus((status) => {
    live.textContent = status === "live" ? "● live" : status === "closed" ? "" : `○ ${status}`;
    live.className = `stream ${status}`;
  });
  replace(root, header, h("div.body", {}, nav, main));
  return { main, nav, menu };
}

function markCurrent(nav, path) {
  for (const a of nav.querySelectorAll("a")) {
    const target = a.getAttribute("href").slice(1);
    const here = target === "/" ? path === "/" : path === target || path.startsWith(`${target}/`);
    if (here) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
}

async function start() {
  if (!session.jwt()) {
    showLogin();
    return;
  }
  let user;
  try {
    user = await currentUser();
  } catch (err) {
    if (err.status === 401) {
      showLogin("Your log-in has expired: log in again.");
    } else {
      replace(root, h("main.login-screen", { id: "main" }, errorBox(err, "The server did not answer")));
    }
    return;
  }
  const { main, nav, menu } = layout(user);
  connectUpdates();
  stopRouter = startRouter({
    routes: ROUTES,
    main,
    user,
    onRoute: (route, path) => {
      markCurrent(nav, path);
      nav.classList.remove("open");
      menu.setAttribute("aria-expanded", "false");
    },
  });
}

session.onLoggedOut((message) => showLogin(message ? `Logged out: ${message}` : "Logged out."));
window.addEventListener("storage", (event) => {
  // Another tab logged in or out.
  if (event.key === "varanus.jwt") start();
});
start();
