// The dashboard: counts and states of every kind, recent Updates (live) and open alerts.

import { read } from "../api.js";
import { h, replace } from "../dom.js";
import { KINDS } from "../kinds.js";
import { liveUpdateList, targetLink } from "../update_items.js";
import { onStreamStatus, onUpdate } from "../updates.js";
import { ago, errorBox, link, loadingBlock, pageHeader, stateBadge } from "../ui.js";

const SUMMARY_KINDS = ["servers", "deployments", "stacks", "builds", "repos", "procedures", "actions", "syncs"];

function summaryCard(kind, summary) {
  const parts = Object.entries(summary).filter(([key, value]) => key !== "total" && typeof value === "number");
  return h(
    "article.card.summary",
    { dataset: { kind: kind.path } },
    h("h2", {}, link(`/${kind.path}`, kind.label)),
    h("p.total", { text: String(summary.total ?? 0) }),
    h(
      "ul.counts",
      {},
      parts.map(([key, value]) =>
        h("li", { class: value ? "" : "zero" }, h("span", { text: key.replace(/_/g, " ") }), h("b", { text: String(value) })),
      ),
    ),
  );
}

/** The dashboard page. */
export async function render(ctx) {
  const cards = h("div.cards", {});
  const alerts = h("section.card", {}, h("h2", { text: "Open alerts" }), loadingBlock(3));
  const recent = liveUpdateList({ limit: 12 });
  const kinds = SUMMARY_KINDS.map((path) => KINDS.find((k) => k.path === path));

  for (const kind of kinds) {
    const slot = h("article.card.summary", {}, h("h2", { text: kind.label }), loadingBlock(2));
    cards.append(slot);
    read(kind.summary, {})
      .then((summary) => slot.replaceWith(summaryCard(kind, summary)))
      .catch((err) => replace(slot, h("h2", { text: kind.label }), errorBox(err)));
  }

  async function loadUpdates() {
    try {
      const page = await read("ListUpdates", { page: 0 });
      recent.set(page.updates || []);
    } catch (err) {
      recent.node.replaceWith(errorBox(err, "Could not list Updates"));
    }
  }

  async function loadAlerts() {
    try {
      const page = await read("ListAlerts", { query: { resolved: false }, page: 0 });
      const open = page.alerts || [];
      replace(
        alerts,
        h("h2", {}, link("/alerts", "Open alerts"), ` (${open.length}${page.next_page ? "+" : ""})`),
        open.length
          ? h(
              "ul.alerts",
              {},
              open.slice(0, 10).map((a) =>
                h("li", {}, stateBadge(a.level), " ", a.data ? a.data.type : "Alert", " · ", targetLink(a.target),
                  h("span.muted", { text: ` · ${ago(a.ts)}` })),
              ),
            )
          : h("p.muted", { text: "No open alerts." }),
      );
    } catch (err) {
      replace(alerts, h("h2", { text: "Open alerts" }), errorBox(err));
    }
  }

  ctx.onLeave(onUpdate((update) => recent.push(update)));
  let first = true;
  ctx.onLeave(
    onStreamStatus((status) => {
      // After a reconnect, Updates may have been missed: read them again.
      if (status === "live" && !first) loadUpdates();
      if (status === "live") first = false;
    }),
  );
  loadUpdates();
  loadAlerts();
  return h(
    "div.dashboard",
    {},
    pageHeader("Dashboard"),
    cards,
    h("div.columns", {}, h("section.card", {}, h("h2", {}, link("/updates", "Recent Updates")), recent.node), alerts),
  );
}
