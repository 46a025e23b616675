// Alerts: ListAlerts, open ones first, filtered open/resolved/all through the URL (#/alerts?show=resolved),
// with level badges, what each is about, and its target. Admins may close an open alert by hand.

import { idOf, read, write } from "../api.js";
import { h, replace, uid } from "../dom.js";
import { navigate } from "../router.js";
import { targetLink } from "../update_items.js";
import { ago, busy, confirmDialog, errorBox, formatTime, loadingBlock, pageHeader, stateBadge, toast } from "../ui.js";

const SHOW = [
  ["open", "Open"],
  ["resolved", "Resolved"],
  ["all", "All"],
];

function gb(value) {
  return `${Number(value || 0).toFixed(1)} GB`;
}

/** A short text of what an alert says (its data), by kind. */
export function alertText(alert) {
  const data = (alert.data && alert.data.data) || {};
  switch (alert.data && alert.data.type) {
    case "ServerCpu":
      return `CPU at ${Number(data.percentage || 0).toFixed(1)} %`;
    case "ServerMem":
      return `Memory ${gb(data.used_gb)} of ${gb(data.total_gb)}`;
    case "ServerDisk":
      return `Disk ${data.path || ""} ${gb(data.used_gb)} of ${gb(data.total_gb)}`;
    case "ServerUnreachable":
      return data.err && data.err.error ? `Unreachable: ${data.err.error}` : "Unreachable";
    case "ServerVersionMismatch":
      return `Agent ${data.server_version} ≠ core ${data.core_version}`;
    case "ContainerStateChange":
    case "StackStateChange":
      return `${data.from} → ${data.to}`;
    case "DeploymentImageUpdateAvailable":
    case "DeploymentAutoUpdated":
      return data.image || "";
    case "StackImageUpdateAvailable":
      return `${data.service}: ${data.image}`;
    case "StackAutoUpdated":
      return (data.images || []).join(", ");
    case "Custom":
      return data.details ? `${data.message} — ${data.details}` : data.message || "";
    case "AwsBuilderTerminationFailed":
      return `${data.instance_id}: ${data.message}`;
    default:
      return data.name || "";
  }
}

function alertQuery(show) {
  if (show === "resolved") return { resolved: true };
  if (show === "all") return null;
  return { resolved: false };
}

/** The alerts page. */
export async function render(ctx) {
  const show = SHOW.some(([value]) => value === ctx.query.get("show")) ? ctx.query.get("show") : "open";
  const errors = h("div");
  const body = h("div", {}, loadingBlock(6));
  const more = h("button", { type: "button", text: "Load older alerts", hidden: true });
  let alerts = [];
  let nextPage = null;

  const showId = uid("show");
  const select = h(
    "select",
    { id: showId },
    SHOW.map(([value, text]) => h("option", { value, text, selected: value === show })),
  );
  select.addEventListener("change", () => navigate(select.value === "open" ? "/alerts" : `/alerts?show=${select.value}`));
  const refresh = h("button", { type: "button", text: "Refresh" });
  refresh.addEventListener("click", () => busy(refresh, () => reload(), errors));

  function closeButton(alert) {
    if (!ctx.user.admin || alert.resolved) return null;
    const button = h("button.small", { type: "button", text: "Close", "aria-label": `Close the ${alert.data ? alert.data.type : ""} alert` });
    button.addEventListener("click", async () => {
      const ok = await confirmDialog({
        title: "Close this alert?",
        message: "It is marked resolved now; it opens again if the condition is still there.",
        confirm: "Close",
      });
      if (!ok) return;
      await busy(
        button,
        async () => {
          await write("CloseAlert", { id: idOf(alert) });
          toast("Alert closed");
          await reload();
        },
        errors,
      );
    });
    return button;
  }

  function draw() {
    // Open alerts first, then the newest.
    const sorted = alerts.slice().sort((a, b) => Number(a.resolved) - Number(b.resolved) || (b.ts || 0) - (a.ts || 0));
    const rows = sorted.map((alert) =>
      h(
        "tr",
        { dataset: { alert: idOf(alert) }, class: alert.resolved ? "resolved" : "open" },
        h("td.c-level", {}, stateBadge(alert.level)),
        h("td.c-alert", {}, h("strong", { text: alert.data ? alert.data.type : "Alert" }), h("div.muted", { text: alertText(alert) })),
        h("td.c-target", {}, targetLink(alert.target)),
        h("td.c-time", { title: formatTime(alert.ts), text: ago(alert.ts) }),
        h("td.c-state", {}, alert.resolved ? h("span", { title: formatTime(alert.resolved_ts), text: `Resolved ${ago(alert.resolved_ts)}` }) : h("span.state.warn", { text: "Open" })),
        ctx.user.admin ? h("td.c-close", {}, closeButton(alert)) : null,
      ),
    );
    const empty = show === "resolved" ? "No resolved alerts." : show === "all" ? "No alerts." : "No open alerts.";
    replace(
      body,
      h(
        "div.table-wrap",
        {},
        h(
          "table.alerts-table",
          {},
          h("caption.sr-only", { text: `${SHOW.find(([v]) => v === show)[1]} alerts` }),
          h(
            "thead",
            {},
            h("tr", {}, ["Level", "Alert", "Target", "Opened", "State", ctx.user.admin ? "" : null].filter((c) => c !== null).map((c) => h("th", { scope: "col", text: c }))),
          ),
          h("tbody", {}, rows.length ? rows : h("tr", {}, h("td.empty", { colspan: ctx.user.admin ? 6 : 5, text: empty }))),
        ),
      ),
    );
  }

  async function loadPage(page) {
    const answer = await read("ListAlerts", { query: alertQuery(show), page });
    nextPage = answer.next_page ?? null;
    more.hidden = nextPage === null;
    return answer.alerts || [];
  }

  async function reload() {
    try {
      alerts = await loadPage(0);
      replace(errors);
      draw();
    } catch (err) {
      replace(errors, errorBox(err, "Could not list alerts"));
      replace(body);
    }
  }

  more.addEventListener("click", () =>
    busy(
      more,
      async () => {
        const older = await loadPage(nextPage);
        const known = new Set(alerts.map(idOf));
        alerts.push(...older.filter((a) => !known.has(idOf(a))));
        draw();
      },
      errors,
    ),
  );

  reload();
  return h(
    "div.alerts-page",
    {},
    pageHeader("Alerts", refresh),
    h("div.inline-form", {}, h("div.field", {}, h("label", { for: showId, text: "Show" }), select)),
    errors,
    body,
    h("p.more", {}, more),
  );
}
