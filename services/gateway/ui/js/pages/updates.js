// All Updates: ListUpdates page by page (newest first), filtered by operation, target and state through the
// URL (#/updates?operation=Deploy&type=Deployment&state=Failed), kept current by /ws/update. Targets show
// their names as names.js learns them (targetLink).

import { idOf, openApi, read } from "../api.js";
import { h, replace, uid } from "../dom.js";
import { KINDS } from "../kinds.js";
import { forgetNames } from "../names.js";
import { navigate } from "../router.js";
import { targetLink, updateState } from "../update_items.js";
import { onStreamStatus, onUpdate } from "../updates.js";
import { ago, errorBox, formatTime, link, loadingBlock, pageHeader, stateBadge } from "../ui.js";

const STATES = [
  ["", "Any state"],
  ["InProgress", "In progress"],
  ["Queued", "Queued"],
  ["Success", "Succeeded"],
  ["Failed", "Failed"],
];

/** The ListUpdates query of the filters (`{operation, type, target, state}`). */
export function updatesQuery(filters) {
  const query = {};
  if (filters.operation) query.operation = filters.operation;
  if (filters.type) query["target.type"] = filters.type;
  if (filters.target) query["target.id"] = filters.target;
  if (filters.state === "InProgress" || filters.state === "Queued") query.status = filters.state;
  if (filters.state === "Success") Object.assign(query, { status: "Complete", success: true });
  if (filters.state === "Failed") Object.assign(query, { status: "Complete", success: false });
  return query;
}

function matches(filters, update) {
  if (filters.operation && update.operation !== filters.operation) return false;
  if (filters.type && (!update.target || update.target.type !== filters.type)) return false;
  if (filters.target && (!update.target || update.target.id !== filters.target)) return false;
  if (filters.state && updateState(update) !== filters.state) return false;
  return true;
}

async function operations() {
  try {
    const doc = await openApi();
    const schema = doc.components && doc.components.schemas && doc.components.schemas.Operation;
    return schema && Array.isArray(schema.enum) ? schema.enum.filter((op) => op !== "None") : [];
  } catch {
    return [];
  }
}

function filterForm(filters) {
  const opId = uid("f-op");
  const typeId = uid("f-type");
  const stateId = uid("f-state");
  const listId = uid("ops");
  const operation = h("input", { id: opId, list: listId, value: filters.operation || "", placeholder: "any", autocomplete: "off" });
  const datalist = h("datalist", { id: listId });
  // The operation names come from /openapi.json, which is large and slow to make: read when first wanted.
  let asked = false;
  operation.addEventListener("focus", () => {
    if (asked) return;
    asked = true;
    operations().then((ops) => datalist.append(...ops.map((op) => h("option", { value: op }))));
  });
  const type = h(
    "select",
    { id: typeId },
    h("option", { value: "", text: "Any target" }),
    [...KINDS.map((k) => [k.type, k.singular]), ["System", "System"]].map(([value, text]) =>
      h("option", { value, text, selected: filters.type === value }),
    ),
  );
  const state = h(
    "select",
    { id: stateId },
    STATES.map(([value, text]) => h("option", { value, text, selected: (filters.state || "") === value })),
  );
  return h(
    "form.inline-form.filters",
    {
      "aria-label": "Filter Updates",
      onsubmit: (event) => {
        event.preventDefault();
        const params = new URLSearchParams();
        if (operation.value.trim()) params.set("operation", operation.value.trim());
        if (type.value) params.set("type", type.value);
        if (filters.target) params.set("target", filters.target);
        if (state.value) params.set("state", state.value);
        const text = params.toString();
        navigate(text ? `/updates?${text}` : "/updates");
      },
    },
    h("div.field", {}, h("label", { for: opId, text: "Operation" }), operation, datalist),
    h("div.field", {}, h("label", { for: typeId, text: "Target type" }), type),
    h("div.field", {}, h("label", { for: stateId, text: "State" }), state),
    h("button.primary", { type: "submit", text: "Filter" }),
    filters.operation || filters.type || filters.state || filters.target ? link("/updates", "Clear filters", { class: "button" }) : null,
  );
}

/** The Updates page. */
export async function render(ctx) {
  const filters = {
    operation: ctx.query.get("operation") || "",
    type: ctx.query.get("type") || "",
    target: ctx.query.get("target") || "",
    state: ctx.query.get("state") || "",
  };
  const rows = new Map();
  const tbody = h("tbody", { "aria-live": "polite" });
  const errors = h("div");
  const more = h("button", { type: "button", text: "Load older Updates", hidden: true });
  const body = h("div.updates-table", {}, loadingBlock(8));
  let nextPage = 0;
  let items = [];

  function row(update) {
    return h(
      "tr",
      { dataset: { update: idOf(update) } },
      h("td.c-state", {}, stateBadge(updateState(update))),
      h("td.c-op", {}, link(`/updates/${idOf(update)}`, update.operation)),
      h("td.target.c-target", {}, targetLink(update.target)),
      h("td.c-user", { text: update.username || update.operator || "" }),
      h("td.c-time", { title: formatTime(update.start_ts) }, h("time", { datetime: new Date(update.start_ts).toISOString(), text: ago(update.start_ts) })),
    );
  }

  function drawAll() {
    rows.clear();
    replace(tbody);
    if (!items.length) {
      tbody.append(h("tr.empty-row", {}, h("td.empty", { colspan: 5, text: "No Updates match." })));
      return;
    }
    for (const update of items) {
      const tr = row(update);
      rows.set(idOf(update), tr);
      tbody.append(tr);
    }
  }

  async function loadPage(page) {
    const answer = await read("ListUpdates", { query: updatesQuery(filters), page });
    const got = answer.updates || [];
    nextPage = answer.next_page ?? null;
    more.hidden = nextPage === null;
    return got;
  }

  async function reload() {
    try {
      items = await loadPage(0);
      replace(errors);
      drawAll();
      if (!tbody.isConnected) {
        replace(
          body,
          h(
            "div.table-wrap",
            {},
            h(
              "table",
              {},
              h("caption.sr-only", { text: "Updates, newest first" }),
              h("thead", {}, h("tr", {}, ["State", "Operation", "Target", "Operator", "Started"].map((c) => h("th", { scope: "col", text: c })))),
              tbody,
            ),
          ),
        );
      }
    } catch (err) {
      replace(errors, errorBox(err, "Could not list Updates"));
      if (!tbody.isConnected) replace(body);
    }
  }

  more.addEventListener("click", async () => {
    if (nextPage === null) return;
    more.disabled = true;
    try {
      const older = await loadPage(nextPage);
      const known = new Set(items.map(idOf));
      for (const update of older) {
        if (known.has(idOf(update))) continue;
        items.push(update);
        const tr = row(update);
        rows.set(idOf(update), tr);
        tbody.append(tr);
      }
      replace(errors);
    } catch (err) {
      replace(errors, errorBox(err, "Could not list older Updates"));
    } finally {
      more.disabled = false;
    }
  });

  ctx.onLeave(
    onUpdate((update) => {
      // A resource made or renamed: the names read so far are out of date for its kind.
      if (update.status === "Complete" && /^(Create|Rename)/.test(update.operation) && update.target) {
        forgetNames(update.target.type);
      }
      const id = idOf(update);
      const at = items.findIndex((u) => idOf(u) === id);
      if (at >= 0) {
        // Shown already: only its state changes (the row, and a focus in it, stay), even when that state
        // no longer matches the filter (it is not taken away under the reader).
        items[at] = update;
        const cell = rows.get(id)?.querySelector("td.c-state");
        if (cell) replace(cell, stateBadge(updateState(update)));
        return;
      }
      if (!matches(filters, update)) return;
      const tr = row(update);
      tr.classList.add("fresh");
      items.unshift(update);
      const empty = tbody.querySelector(".empty-row");
      if (empty) empty.remove();
      tbody.prepend(tr);
      rows.set(id, tr);
    }),
  );
  let first = true;
  ctx.onLeave(
    onStreamStatus((status) => {
      // Updates pushed while the socket was down were missed: read the first page again.
      if (status === "live" && !first) reload();
      if (status === "live") first = false;
    }),
  );
  reload();
  return h(
    "div.updates-page",
    {},
    pageHeader("Updates"),
    filterForm(filters),
    errors,
    body,
    h("p.more", {}, more),
  );
}
