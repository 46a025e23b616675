// ResourceSync tab "Diff": what a RunSync would change, from the sync's info (its last refresh): each resource,
// variable and user group to create, update or delete, current and proposed TOML side by side (stacked at
// phone width), and the deploys it would run. "Refresh" recomputes it (RefreshResourceSyncPending).

import { idOf, write } from "../api.js";
import { h, replace } from "../dom.js";
import { splitDiff } from "../diff_view.js";
import { kindByType } from "../kinds.js";
import { targetLink } from "../update_items.js";
import { busy, errorBox, formatTime, link } from "../ui.js";
import { atLeast, permissionLevel } from "./level.js";

const VERB = { Create: "Create", Update: "Update", Delete: "Delete" };

function tomlName(toml) {
  const match = /^\s*name\s*=\s*"([^"]*)"/m.exec(toml || "");
  return match ? match[1] : "";
}

function change(title, diff, what) {
  const data = diff.data || {};
  const before = diff.type === "Create" ? "" : data.current || "";
  const after = diff.type === "Delete" ? "" : data.proposed || "";
  return h(
    "section.sync-change",
    { dataset: { change: diff.type } },
    h("h3", {}, h(`span.change-kind.${diff.type.toLowerCase()}`, { text: VERB[diff.type] || diff.type }), " ", what, title),
    splitDiff(before, after, {
      leftLabel: "Current",
      rightLabel: "Proposed",
      context: 4,
      leftEmpty: "Not there yet: the sync creates it.",
      rightEmpty: "The sync deletes it.",
    }),
  );
}

function resourceChange(item) {
  const kind = kindByType(item.target.type);
  const data = item.data.data || {};
  const name = data.name || tomlName(data.proposed || data.current) || item.target.id;
  // What exists links to its page; what the sync would create has only its name.
  const label =
    item.data.type === "Create" || !kind || !item.target.id ? name : link(`/${kind.path}/${encodeURIComponent(item.target.id)}`, name);
  return change(label, item.data, `${kind ? kind.singular : item.target.type} `);
}

function otherChange(diff, what) {
  const data = diff.data || {};
  return change(data.name || tomlName(data.proposed || data.current), diff, `${what} `);
}

function view(sync) {
  const info = sync.info || {};
  const resources = info.resource_updates || [];
  const variables = info.variable_updates || [];
  const groups = info.user_group_updates || [];
  const deploys = info.pending_deploys || [];
  const nothing = !resources.length && !variables.length && !groups.length && !deploys.length;
  return h(
    "div.sync-diff",
    {},
    h(
      "p.muted",
      {},
      info.last_sync_ts ? `Last run ${formatTime(info.last_sync_ts)}.` : "Never run.",
      info.pending_hash ? ` Pending commit ${info.pending_hash}${info.pending_message ? `: ${info.pending_message}` : ""}.` : "",
    ),
    info.pending_error ? errorBox({ message: info.pending_error }, "The files do not apply") : null,
    (info.remote_errors || []).map((e) => errorBox({ message: e.contents }, `Could not read ${e.path}`)),
    nothing && !info.pending_error ? h("p.notice", { text: "Nothing pending: the system matches the files." }) : null,
    resources.length ? h("h2", { text: `Resources (${resources.length})` }) : null,
    resources.map(resourceChange),
    variables.length ? h("h2", { text: `Variables (${variables.length})` }) : null,
    variables.map((diff) => otherChange(diff, "Variable")),
    groups.length ? h("h2", { text: `User groups (${groups.length})` }) : null,
    groups.map((diff) => otherChange(diff, "User group")),
    deploys.length ? h("h2", { text: `Deploys (${deploys.length})` }) : null,
    deploys.length
      ? h(
          "ul.sync-deploys",
          {},
          deploys.map((d) =>
            h(
              "li",
              {},
              `${d.target.type} `,
              targetLink(d.target),
              d.reason ? h("span.muted", { text: ` — ${d.reason}` }) : null,
              d.after && d.after.length ? h("span.muted", {}, " (after ", d.after.map((a, i) => [i ? ", " : "", targetLink(a)]), ")") : null,
            ),
          ),
        )
      : null,
    info.pending_deploy_error ? errorBox({ message: info.pending_deploy_error }, "Deploys") : null,
  );
}

/** Renders the tab for `sync` (the GetResourceSync answer). */
export async function render(ctx, sync) {
  const id = idOf(sync);
  const { level } = await permissionLevel(ctx.user, "ResourceSync", id);
  const errors = h("div");
  const body = h("div", {}, view(sync));
  const refresh = h("button", { type: "button", text: "Refresh pending changes" });
  refresh.addEventListener("click", () =>
    busy(
      refresh,
      async () => {
        const fresh = await write("RefreshResourceSyncPending", { sync: id });
        replace(body, view(fresh));
      },
      errors,
    ),
  );
  return h(
    "div.tab-sync-diff",
    {},
    atLeast(level, "Execute") ? h("div.tab-tools", {}, refresh) : null,
    errors,
    body,
  );
}
