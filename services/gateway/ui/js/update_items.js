// Updates as lists show them: one row each, kept current from the live stream.

import { idOf } from "./api.js";
import { h, replace } from "./dom.js";
import { kindByType } from "./kinds.js";
import { resourceName } from "./names.js";
import { ago, link, stateBadge } from "./ui.js";

/** The state word of an Update: In progress, Success or Failed. */
export function updateState(update) {
  if (update.status && update.status !== "Complete") return update.status === "Queued" ? "Queued" : "InProgress";
  return update.success ? "Success" : "Failed";
}

/**
 * The link to the resource an Update or alert is about. It shows the id at first and the resource's name
 * as soon as it is known (the list of that kind is read once per page load).
 */
export function targetLink(target) {
  if (!target) return "—";
  const kind = kindByType(target.type);
  if (!kind || !target.id) return target.type === "System" || !target.id ? target.type || "—" : target.id;
  const anchor = link(`/${kind.path}/${encodeURIComponent(target.id)}`, `${kind.singular} ${target.id.slice(-6)}`);
  resourceName(target.type, target.id).then((name) => {
    if (name) anchor.textContent = name;
  });
  return anchor;
}

/**
 * A list of Updates that follows the live stream: `accepts(update)` decides which pushed Updates belong in
 * it; the newest `limit` are shown. Returns {node, set(items), push(update)}.
 */
export function liveUpdateList({ limit = 10, accepts = () => true, empty = "No Updates yet." } = {}) {
  let items = [];
  const body = h("ul.updates", { "aria-live": "polite" });
  const draw = () => {
    if (!items.length) {
      replace(body, h("li.empty", { text: empty }));
      return;
    }
    replace(
      body,
      items.slice(0, limit).map((u) =>
        h(
          "li",
          { dataset: { update: idOf(u) } },
          stateBadge(updateState(u)),
          " ",
          link(`/updates/${idOf(u)}`, u.operation),
          " · ",
          targetLink(u.target),
          h("span.muted", { text: ` · ${u.username || u.operator || ""} · ${ago(u.start_ts)}` }),
        ),
      ),
    );
  };
  draw();
  return {
    node: body,
    set(list) {
      items = list.slice();
      draw();
    },
    push(update) {
      if (!accepts(update)) return;
      const id = idOf(update);
      const at = items.findIndex((u) => idOf(u) === id);
      if (at >= 0) items[at] = update;
      else items.unshift(update);
      items.sort((a, b) => (b.start_ts || 0) - (a.start_ts || 0));
      draw();
    },
  };
}
