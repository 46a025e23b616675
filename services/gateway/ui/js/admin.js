// Pieces shared by the admin pages: the admin-only notice, permission levels and their editor, and tables
// that stay readable at phone width.

import { h, uid } from "./dom.js";
import { pageHeader, table } from "./ui.js";

/** Komodo's permission levels, lowest first. */
export const LEVELS = ["None", "Read", "Execute", "Write"];

/** Specific permissions granted besides the level (contracts/entities/common.py SpecificPermission). */
export const SPECIFICS = ["Terminal", "Attach", "Inspect", "Logs", "Processes"];

/**
 * For a page only admins may use: a plain page saying so when `ctx.user` is no admin, else null.
 * The server refuses a non-admin anyway; this spares them a page of failed requests.
 */
export function adminOnly(ctx, title) {
  if (ctx.user && ctx.user.admin) return null;
  return h(
    "div",
    {},
    pageHeader(title),
    h("p.notice", { role: "status", text: "This page is for admins. Ask an admin if you need something changed here." }),
  );
}

/** A permission as `{level, specific}` from what the API gives (a bare level string, or the object). */
export function asPermission(value) {
  if (!value) return { level: "None", specific: [] };
  if (typeof value === "string") return { level: value, specific: [] };
  return { level: value.level || "None", specific: value.specific || [] };
}

/** "Read", or "Read + Logs, Inspect" when specific permissions come with the level. */
export function permissionText(value) {
  const { level, specific } = asPermission(value);
  return specific.length ? `${level} + ${specific.join(", ")}` : level;
}

/** A labelled <select> of the permission levels. */
export function levelSelect(value = "None", label = "Level") {
  const id = uid("level");
  const select = h(
    "select",
    { id },
    LEVELS.map((level) => h("option", { value: level, text: level, selected: level === value })),
  );
  return { select, field: h("div.field", {}, h("label", { for: id, text: label }), select) };
}

/**
 * A permission editor: the level and the specific permissions (checkboxes, folded). `value()` reads what
 * the user chose as `{level, specific}`, `set(permission)` shows another one.
 */
export function permissionEditor(initial, { compact = false } = {}) {
  const start = asPermission(initial);
  const { select, field } = levelSelect(start.level, compact ? "Level" : "Permission level");
  const boxes = SPECIFICS.map((name) => {
    const box = h("input", { type: "checkbox", value: name, checked: start.specific.includes(name) });
    return { name, box, label: h("label.check", {}, box, ` ${name}`) };
  });
  // Folded: most grants are a bare level, and the five boxes would crowd a phone's row.
  const summary = h("summary", { text: "Specific permissions" });
  const count = () => {
    const n = boxes.filter((b) => b.box.checked).length;
    summary.textContent = n ? `Specific permissions (${n})` : "Specific permissions";
  };
  for (const b of boxes) b.box.addEventListener("change", count);
  count();
  const specifics = h("details.specifics", {}, summary, h("div.checks", {}, boxes.map((b) => b.label)));
  return {
    select,
    node: h("div.permission-editor", {}, field, specifics),
    value: () => ({ level: select.value, specific: boxes.filter((b) => b.box.checked).map((b) => b.name) }),
    set(value) {
      const next = asPermission(value);
      select.value = next.level;
      for (const b of boxes) b.box.checked = next.specific.includes(b.name);
      count();
    },
  };
}

/** Days from now as a unix-ms expiry; 0 (never) for 0 or an empty field. */
export function expiryFromDays(days) {
  const n = Number(days);
  return n > 0 ? Date.now() + n * 86400000 : 0;
}

/**
 * `table()` of ui.js, whose rows become stacked cards on a phone (each cell labelled by its column) instead of
 * scrolling sideways and hiding the buttons at the end of the row.
 */
export function adminTable(columns, rows, options) {
  const wrap = table(columns, rows, options);
  wrap.classList.add("stack");
  for (const tr of wrap.querySelectorAll("tbody tr")) {
    [...tr.children].forEach((td, i) => {
      if (!td.classList.contains("empty")) td.dataset.label = columns[i].label;
    });
  }
  return wrap;
}
