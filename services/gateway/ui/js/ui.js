// Shared pieces of every page: errors, busy buttons, confirmation, tables, states, times.

import { h, replace } from "./dom.js";

/** An error box with the server's message (and its trace, folded). */
export function errorBox(error, prefix = "") {
  const message = error && error.message ? error.message : String(error);
  const trace = error && Array.isArray(error.trace) ? error.trace : [];
  return h(
    "div.error",
    { role: "alert" },
    h("strong", { text: prefix ? `${prefix}: ` : "Error: " }),
    message,
    trace.length ? h("details", {}, h("summary", { text: "trace" }), h("pre", { text: trace.join("\n") })) : null,
  );
}

/** A transient notice at the bottom of the screen, read out by screen readers. */
export function toast(message, kind = "info") {
  let region = document.getElementById("toasts");
  if (!region) {
    region = h("div#toasts.toasts", { role: "status", "aria-live": "polite" });
    region.id = "toasts";
    document.body.append(region);
  }
  const item = h(`div.toast.${kind}`, { text: message });
  region.append(item);
  setTimeout(() => item.remove(), kind === "error" ? 8000 : 4000);
}

/**
 * Runs `work` while `button` shows it is busy; an error lands in `errorSlot` (an element) with the
 * server's message. Resolves to work's result, or undefined when it failed.
 */
export async function busy(button, work, errorSlot) {
  const label = button.textContent;
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  if (errorSlot) replace(errorSlot);
  try {
    return await work();
  } catch (err) {
    if (errorSlot) replace(errorSlot, errorBox(err));
    else toast(err.message || String(err), "error");
    return undefined;
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
    button.textContent = label;
  }
}

/**
 * Asks the user to confirm; resolves true or false. With `typed`, the user must type that word first
 * (for destructive actions).
 */
export function confirmDialog({ title, message, confirm = "Confirm", danger = false, typed = null }) {
  return new Promise((resolve) => {
    const input = typed
      ? h("input", { type: "text", autocomplete: "off", "aria-label": `type ${typed} to confirm` })
      : null;
    const ok = h(`button.${danger ? "danger" : "primary"}`, { type: "submit", text: confirm });
    const cancel = h("button", { type: "button", text: "Cancel" });
    const dialog = h(
      "dialog.confirm",
      { "aria-labelledby": "confirm-title" },
      h(
        "form",
        { method: "dialog" },
        h("h2#confirm-title", { id: "confirm-title", text: title }),
        h("p", { text: message }),
        typed ? h("label", {}, `Type `, h("code", { text: typed }), ` to confirm`, input) : null,
        h("div.actions", {}, cancel, ok),
      ),
    );
    if (input) {
      ok.disabled = true;
      input.addEventListener("input", () => {
        ok.disabled = input.value !== typed;
      });
    }
    const finish = (value) => {
      dialog.close();
      dialog.remove();
      resolve(value);
    };
    cancel.addEventListener("click", () => finish(false));
    dialog.addEventListener("cancel", () => finish(false));
    dialog.querySelector("form").addEventListener("submit", (event) => {
      event.preventDefault();
      finish(true);
    });
    document.body.append(dialog);
    dialog.showModal();
    (input || cancel).focus();
  });
}

const STATE_CLASS = {
  running: "good", ok: "good", healthy: "good", success: "good", complete: "good", enabled: "good",
  deployed: "good", online: "good",
  stopped: "bad", exited: "bad", dead: "bad", failed: "bad", unhealthy: "bad", notok: "bad", down: "bad",
  critical: "bad", disabled: "muted",
  restarting: "warn", paused: "warn", building: "busy", deploying: "busy", pulling: "busy", cloning: "busy",
  updating: "busy", running_: "busy", pending: "warn", warning: "warn", unknown: "muted", notdeployed: "muted",
  inprogress: "busy", queued: "warn",
};

/** A coloured state label (Running, Stopped, Unknown, …); text first, so colour is never the only cue. */
export function stateBadge(state) {
  const text = state === undefined || state === null || state === "" ? "Unknown" : String(state);
  const key = text.toLowerCase().replace(/[^a-z]/g, "");
  return h(`span.state.${STATE_CLASS[key] || "muted"}`, { text, title: text });
}

/** Tag chips for a list of tag ids, named from `tagNames` (id → name). */
export function tagChips(tagIds, tagNames) {
  const ids = tagIds || [];
  if (!ids.length) return h("span.muted", { text: "—" });
  return h("span.tags", {}, ids.map((id) => h("span.tag", { text: (tagNames && tagNames[id]) || id })));
}

/** A table: `columns` of {label, cell(row) → node|string, class}; empty text when no rows. */
export function table(columns, rows, { empty = "Nothing here yet.", caption = null } = {}) {
  return h(
    "div.table-wrap",
    {},
    h(
      "table",
      {},
      caption ? h("caption", { text: caption }) : null,
      h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col", class: c.class, text: c.label })))),
      h(
        "tbody",
        {},
        rows.length
          ? rows.map((row) => h("tr", {}, columns.map((c) => h("td", { class: c.class }, c.cell(row)))))
          : h("tr", {}, h("td.empty", { colspan: columns.length, text: empty })),
      ),
    ),
  );
}

/** Placeholder rows of fixed height while data loads, so nothing jumps when it arrives. */
export function loadingBlock(lines = 5) {
  return h(
    "div.loading",
    { "aria-busy": "true", role: "status" },
    h("span.sr-only", { text: "Loading…" }),
    Array.from({ length: lines }, () => h("div.skeleton")),
  );
}

/** A time (ms since the epoch) as local date and time; "—" for 0 or missing. */
export function formatTime(ms) {
  if (!ms) return "—";
  return new Date(ms).toLocaleString();
}

/** How long ago `ms` was, shortly ("12 s ago", "3 min ago"). */
export function ago(ms) {
  if (!ms) return "—";
  const seconds = Math.max(0, Math.round((Date.now() - ms) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86400)} d ago`;
}

/** A page heading with optional actions on the right. */
export function pageHeader(title, ...actions) {
  return h("header.page-header", {}, h("h1", { text: title }), h("div.actions", {}, actions));
}

/** A link inside the UI (`#/…`). */
export function link(path, text, props = {}) {
  return h("a", { href: `#${path}`, ...props }, text);
}
