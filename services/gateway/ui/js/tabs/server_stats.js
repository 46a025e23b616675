// Server tab "Stats": the latest system stats (GetSystemStats) and charts of cpu, memory, disk and network over
// the stats history (GetHistoricalServerStats, at a chosen granularity). Read again on request, and every
// stats interval while the tab is visible and "Refresh automatically" is on (stopped on leave).

import { idOf, read } from "../api.js";
import { lineChart } from "../charts.js";
import { h, replace, uid } from "../dom.js";
import { errorBox, formatTime } from "../ui.js";

const UNIT_SECONDS = { sec: 1, min: 60, hr: 3600, day: 86400, wk: 604800 };
const GRANULARITIES = ["5-sec", "15-sec", "1-min", "5-min", "15-min", "1-hr", "6-hr", "1-day"];
const POINTS_PER_PAGE = 200;

/** Seconds in a Komodo Timelength ("15-sec" → 15). */
export function timelengthSeconds(value) {
  const [amount, unit] = String(value || "").split("-");
  return Number(amount) * (UNIT_SECONDS[unit] || 0) || 0;
}

function span(seconds) {
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86400)} days`;
}

const pct = (v) => `${v >= 10 || v === 0 ? v.toFixed(0) : v.toFixed(1)} %`;
const gb = (v) => `${v >= 100 || v === 0 ? v.toFixed(0) : v.toFixed(1)} GB`;

/** A byte rate written with its unit ("1.2 MB/s"). */
export function rate(bytesPerSecond) {
  const units = ["B/s", "KB/s", "MB/s", "GB/s"];
  let value = bytesPerSecond;
  let i = 0;
  while (value >= 1000 && i < units.length - 1) {
    value /= 1000;
    i += 1;
  }
  const digits = value === 0 || value >= 100 || (i === 0 && value >= 10) ? 0 : 1;
  return `${value.toFixed(digits)} ${units[i]}`;
}

function currentCards(stats) {
  const disks = stats.disks || [];
  const used = disks.reduce((sum, d) => sum + (d.used_gb || 0), 0);
  const total = disks.reduce((sum, d) => sum + (d.total_gb || 0), 0);
  const load = stats.load_average || {};
  const card = (title, value, more) =>
    h("article.card.stat", {}, h("h3", { text: title }), h("p.stat-value", { text: value }), h("p.muted", { text: more || "\u00a0" }));
  return [
    card("CPU", pct(stats.cpu_perc || 0), `load ${[load.one, load.five, load.fifteen].map((v) => (v || 0).toFixed(2)).join(" · ")}`),
    card("Memory", `${gb(stats.mem_used_gb || 0)} of ${gb(stats.mem_total_gb || 0)}`, `swap ${gb(stats.swap_used_gb || 0)} of ${gb(stats.swap_total_gb || 0)}`),
    card("Disk", `${gb(used)} of ${gb(total)}`, `${disks.length} disk${disks.length === 1 ? "" : "s"}`),
    card("Network", `↓ ${rate((stats.network_ingress_bytes || 0) / Math.max(1, timelengthSeconds(stats.polling_rate)))}`, `↑ ${rate((stats.network_egress_bytes || 0) / Math.max(1, timelengthSeconds(stats.polling_rate)))}`),
  ];
}

/** Renders the tab for `server` (the GetServer answer). */
export function render(ctx, server) {
  const serverId = idOf(server);
  const granularityId = uid("granularity");
  const autoId = uid("auto");
  const select = h(
    "select",
    { id: granularityId },
    GRANULARITIES.map((g) => h("option", { value: g, text: `${g.replace("-", " ")} (last ${span(timelengthSeconds(g) * POINTS_PER_PAGE)})` })),
  );
  const auto = h("input", { id: autoId, type: "checkbox", role: "switch", checked: true });
  const refresh = h("button", { type: "button", text: "Refresh" });
  const updated = h("p.muted.stats-updated", { role: "status" }, "\u00a0");
  const errors = h("div");
  const cards = h("div.cards.stat-cards", {}, ["CPU", "Memory", "Disk", "Network"].map((t) => h("article.card.stat", {}, h("h3", { text: t }), h("p.stat-value", { text: "…" }), h("p.muted", { text: "\u00a0" }))));
  const charts = h("div.charts", {}, ["CPU", "Memory", "Disk", "Network"].map((t) => lineChart({ title: t, series: [] })));
  let pollSeconds = 5;
  let chosen = false;
  let timer = null;
  let stopped = false;

  async function load() {
    let stats = {};
    const failed = [];
    try {
      stats = await read("GetSystemStats", { server: serverId });
    } catch (err) {
      failed.push(errorBox(err, "Could not read the current stats"));
    }
    if (stopped) return;
    pollSeconds = Math.max(5, timelengthSeconds(stats.polling_rate) || 5);
    if (!chosen) {
      // The first time: the finest granularity the server's polling rate fills.
      chosen = true;
      select.value = GRANULARITIES.find((g) => timelengthSeconds(g) >= pollSeconds) || "1-min";
      schedule();
    }
    let history = [];
    try {
      const answer = await read("GetHistoricalServerStats", { server: serverId, granularity: select.value, page: 0 });
      history = answer.stats || [];
    } catch (err) {
      failed.push(errorBox(err, "Could not read the stats history"));
    }
    if (stopped) return;
    replace(errors, failed);
    if (stats.refresh_ts) replace(cards, currentCards(stats));
    drawCharts(history, stats);
    updated.textContent = stats.refresh_ts
      ? `Stats of ${formatTime(stats.refresh_ts)}, read ${new Date().toLocaleTimeString()}`
      : `Read ${new Date().toLocaleTimeString()}`;
  }

  function drawCharts(records, stats) {
    const points = records.slice().sort((a, b) => a.ts - b.ts);
    const perSecond = Math.max(1, timelengthSeconds(stats.polling_rate));
    const series = (label, value) => ({ label, points: points.map((r) => ({ t: r.ts, v: value(r) })) });
    const memTotal = Math.max(stats.mem_total_gb || 0, ...points.map((r) => r.mem_total_gb || 0));
    const diskTotal = Math.max(...points.map((r) => r.disk_total_gb || 0), 0);
    replace(
      charts,
      lineChart({ title: "CPU", series: [series("CPU", (r) => r.cpu_perc || 0)], yMax: 100, format: pct }),
      lineChart({ title: "Memory", series: [series("Used", (r) => r.mem_used_gb || 0)], yMax: memTotal || null, format: gb }),
      lineChart({ title: "Disk", series: [series("Used", (r) => r.disk_used_gb || 0)], yMax: diskTotal || null, format: gb }),
      lineChart({
        title: "Network",
        series: [
          series("In", (r) => (r.network_ingress_bytes || 0) / perSecond),
          series("Out", (r) => (r.network_egress_bytes || 0) / perSecond),
        ],
        format: rate,
      }),
    );
  }

  function schedule() {
    clearInterval(timer);
    timer = null;
    if (!auto.checked || stopped) return;
    timer = setInterval(() => {
      // Not while hidden, and not under a reader who is walking a chart with the keyboard.
      if (document.visibilityState !== "visible" || !charts.isConnected) return;
      if (charts.contains(document.activeElement)) return;
      load();
    }, pollSeconds * 1000);
  }

  select.addEventListener("change", () => {
    chosen = true;
    load();
  });
  auto.addEventListener("change", schedule);
  refresh.addEventListener("click", () => load());
  ctx.onLeave(() => {
    stopped = true;
    clearInterval(timer);
  });
  load();
  return h(
    "div.tab-stats",
    {},
    h(
      "div.inline-form",
      {},
      h("div.field", {}, h("label", { for: granularityId, text: "One point every" }), select),
      h("label.check", { for: autoId }, auto, " Refresh automatically"),
      refresh,
    ),
    errors,
    cards,
    updated,
    charts,
  );
}
