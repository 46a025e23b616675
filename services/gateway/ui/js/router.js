// Hash routing: "#/deployments/web" → the page registered for "/deployments/:id", rendered into <main>.

import { h, replace } from "./dom.js";
import { errorBox } from "./ui.js";

/**
 * Matches `path` against a route pattern ("/deployments/:id"); returns the params or null.
 * Params are URI-decoded.
 */
export function match(pattern, path) {
  const want = pattern.split("/").filter(Boolean);
  const got = path.split("/").filter(Boolean);
  if (want.length !== got.length) return null;
  const params = {};
  for (let i = 0; i < want.length; i += 1) {
    if (want[i].startsWith(":")) params[want[i].slice(1)] = decodeURIComponent(got[i]);
    else if (want[i] !== got[i]) return null;
  }
  return params;
}

/** The current path and query of the hash ("#/updates?page=2" → ["/updates", URLSearchParams]). */
export function currentLocation() {
  const raw = location.hash.replace(/^#/, "") || "/";
  const [path, query = ""] = raw.split("?");
  return [path || "/", new URLSearchParams(query)];
}

/** Goes to `path` inside the UI. */
export function navigate(path) {
  location.hash = `#${path}`;
}

/**
 * Renders the page of the current hash into `main` on every hash change. A page module exports
 * `render(ctx)`; ctx has params, query, user, main (its element), and `onLeave(fn)` for cleanups (stream
 * subscriptions, timers) that run when the user leaves the page.
 */
export function startRouter({ routes, main, user, onRoute }) {
  let leave = [];
  let generation = 0;

  async function show() {
    const [path, query] = currentLocation();
    for (const fn of leave) {
      try {
        fn();
      } catch (err) {
        console.error(err);
      }
    }
    leave = [];
    generation += 1;
    const mine = generation;
    let found = null;
    let params = null;
    for (const route of routes) {
      params = match(route.path, path);
      if (params) {
        found = route;
        break;
      }
    }
    onRoute(found, path);
    if (!found) {
      replace(main, h("h1", { text: "Not found" }), h("p", { text: `No page at ${path}.` }));
      return;
    }
    document.title = `${found.title(params)} · Varanus`;
    const ctx = {
      params,
      query,
      user,
      main,
      onLeave: (fn) => leave.push(fn),
      current: () => mine === generation,
    };
    try {
      const module = await found.load();
      if (mine !== generation) return;
      const node = await module.render(ctx);
      if (mine !== generation) return;
      if (node) replace(main, node);
    } catch (err) {
      if (mine === generation) replace(main, errorBox(err, "This page failed"));
    }
    if (mine === generation) {
      const heading = main.querySelector("h1");
      if (heading) {
        heading.tabIndex = -1;
        heading.focus({ preventScroll: true });
      }
    }
  }

  window.addEventListener("hashchange", show);
  show();
  return () => window.removeEventListener("hashchange", show);
}
