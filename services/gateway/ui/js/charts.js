// Line charts drawn as inline SVG (no library): axes with labels, a readout on hover and on the keyboard
// (arrow keys walk the points), and a text summary so the numbers are there without the picture.

import { h } from "./dom.js";

const SVG = "http://www.w3.org/2000/svg";
const PAD = { left: 52, right: 12, top: 10, bottom: 26 };

function s(tag, attrs = {}, text = null) {
  const el = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, String(value));
  if (text !== null) el.textContent = text;
  return el;
}

/** A clock time for an axis or readout: "14:05" (or "14:05:30" when `seconds`), with the date if not today. */
export function clock(ms, seconds = false) {
  const date = new Date(ms);
  const opts = { hour: "2-digit", minute: "2-digit", ...(seconds ? { second: "2-digit" } : {}) };
  const time = date.toLocaleTimeString([], opts);
  if (date.toDateString() === new Date().toDateString()) return time;
  return `${date.toLocaleDateString([], { month: "short", day: "numeric" })} ${time}`;
}

// A round top for the y axis (1, 2, 2.5 or 5 × 10^n) at or above `value`.
function niceTop(value) {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

function summaryText(series, format) {
  const parts = [];
  for (const one of series) {
    const values = one.points.map((p) => p.v);
    if (!values.length) continue;
    const last = values[values.length - 1];
    parts.push(
      `${one.label}: now ${format(last)}, min ${format(Math.min(...values))}, max ${format(Math.max(...values))}`,
    );
  }
  const first = series[0] && series[0].points[0];
  const last = series[0] && series[0].points[series[0].points.length - 1];
  if (!parts.length) return "No data yet.";
  const short = first && last && last.t - first.t < 15 * 60 * 1000;
  const span = first && last ? ` (${series[0].points.length} points, ${clock(first.t, short)} to ${clock(last.t, short)})` : "";
  return `${parts.join("; ")}${span}.`;
}

/**
 * A line chart. `series` is a list of `{label, points: [{t, v}]}` (t in ms, ascending); `yMax` fixes the top
 * of the y axis (else it is rounded up from the data); `format(v)` writes a value with its unit.
 * Returns a `<figure>` whose drawing follows its width (redrawn on resize) at a fixed height, so nothing
 * moves when the data arrives.
 */
export function lineChart({ title, series, yMax = null, format = (v) => String(v), height = 180 }) {
  const readout = h("p.chart-readout", { "aria-live": "polite" }, "\u00a0");
  const box = h("div.chart-box", { style: { height: `${height}px` } });
  const points = series.reduce((sum, one) => sum + one.points.length, 0);
  // A legend when there are several lines (they differ by dash too, not by colour alone).
  const legend =
    series.length > 1
      ? h(
          "span.chart-legend",
          {},
          series.map((one, i) => {
            const swatch = s("svg", { width: 22, height: 10, "aria-hidden": "true" });
            swatch.append(s("line", { class: `chart-line s${i}`, x1: 1, x2: 21, y1: 5, y2: 5 }));
            return h("span.chart-key", {}, swatch, one.label);
          }),
        )
      : null;
  const figure = h(
    "figure.chart",
    { dataset: { points: String(points) } },
    h("figcaption", {}, h("span.chart-title", {}, title, legend), readout),
    box,
    h("p.chart-summary", { text: summaryText(series, format) }),
  );
  const times = series.length ? series[0].points.map((p) => p.t) : [];
  let cursor = -1;
  let layer = null;
  let scales = null;

  function showCursor(index) {
    cursor = index;
    if (!layer || !scales) return;
    layer.replaceChildren();
    if (index < 0 || index >= times.length) {
      readout.textContent = "\u00a0";
      return;
    }
    const t = times[index];
    const x = scales.x(t);
    layer.append(s("line", { class: "chart-cursor", x1: x, x2: x, y1: PAD.top, y2: height - PAD.bottom }));
    const said = [];
    series.forEach((one, i) => {
      const point = one.points[index];
      if (!point) return;
      layer.append(s("circle", { class: `chart-dot s${i}`, cx: x, cy: scales.y(point.v), r: 3.5 }));
      said.push(`${one.label} ${format(point.v)}`);
    });
    readout.textContent = `${clock(t, true)}: ${said.join(", ")}`;
  }

  function draw() {
    const width = Math.max(240, Math.floor(box.clientWidth || 600));
    const svg = s("svg", {
      width,
      height,
      viewBox: `0 0 ${width} ${height}`,
      class: "chart-svg",
      role: "img",
      "aria-label": `${title}. ${summaryText(series, format)}`,
    });
    const plotW = width - PAD.left - PAD.right;
    const plotH = height - PAD.top - PAD.bottom;
    if (!times.length) {
      svg.append(s("text", { class: "chart-empty", x: width / 2, y: height / 2, "text-anchor": "middle" }, "No data yet"));
      box.replaceChildren(svg);
      return;
    }
    const all = series.flatMap((one) => one.points.map((p) => p.v));
    const top = yMax !== null && yMax > 0 ? yMax : niceTop(Math.max(...all));
    const t0 = times[0];
    const t1 = times[times.length - 1];
    const x = (t) => PAD.left + (t1 === t0 ? plotW / 2 : ((t - t0) / (t1 - t0)) * plotW);
    const y = (v) => PAD.top + plotH - (Math.max(0, Math.min(v, top)) / top) * plotH;
    scales = { x, y };
    // Grid and y labels at 0, ½ and the top.
    for (const fraction of [0, 0.5, 1]) {
      const value = top * fraction;
      const at = y(value);
      svg.append(s("line", { class: "chart-grid", x1: PAD.left, x2: width - PAD.right, y1: at, y2: at }));
      svg.append(s("text", { class: "chart-label", x: PAD.left - 6, y: at + 4, "text-anchor": "end" }, format(value)));
    }
    svg.append(s("line", { class: "chart-axis", x1: PAD.left, x2: PAD.left, y1: PAD.top, y2: height - PAD.bottom }));
    // Time labels at both ends and the middle (when there is room).
    const labels = width > 420 ? [t0, (t0 + t1) / 2, t1] : [t0, t1];
    // Seconds matter on a short window (else both ends may read the same minute).
    const seconds = t1 - t0 < 15 * 60 * 1000;
    labels.forEach((t, i) => {
      const anchor = i === 0 ? "start" : i === labels.length - 1 ? "end" : "middle";
      svg.append(s("text", { class: "chart-label", x: x(t), y: height - 6, "text-anchor": anchor }, clock(t, seconds)));
    });
    series.forEach((one, i) => {
      const path = one.points.map((p) => `${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(" ");
      svg.append(s("polyline", { class: `chart-line s${i}`, points: path, fill: "none" }));
    });
    layer = s("g", { class: "chart-layer" });
    svg.append(layer);
    box.replaceChildren(svg);
    if (cursor >= 0) showCursor(cursor);
  }

  function nearest(clientX) {
    const rect = box.getBoundingClientRect();
    const px = clientX - rect.left;
    let best = 0;
    let bestDistance = Infinity;
    times.forEach((t, i) => {
      const distance = Math.abs(scales.x(t) - px);
      if (distance < bestDistance) {
        best = i;
        bestDistance = distance;
      }
    });
    return best;
  }

  // The box takes the focus and the keys: the SVG inside is redrawn on resize.
  box.tabIndex = 0;
  box.setAttribute("role", "group");
  box.setAttribute("aria-label", `${title}: left and right arrows read the points`);
  box.addEventListener("pointermove", (event) => {
    if (times.length && scales) showCursor(nearest(event.clientX));
  });
  box.addEventListener("pointerleave", () => {
    if (document.activeElement !== box) showCursor(-1);
  });
  box.addEventListener("focus", () => {
    if (cursor < 0 && times.length) showCursor(times.length - 1);
  });
  box.addEventListener("blur", () => showCursor(-1));
  box.addEventListener("keydown", (event) => {
    if (!times.length) return;
    const moves = { ArrowLeft: -1, ArrowRight: 1, PageUp: -10, PageDown: 10 };
    let next = cursor;
    if (event.key in moves) next = Math.max(0, Math.min(times.length - 1, (cursor < 0 ? times.length - 1 : cursor) + moves[event.key]));
    else if (event.key === "Home") next = 0;
    else if (event.key === "End") next = times.length - 1;
    else return;
    event.preventDefault();
    showCursor(next);
  });

  let lastWidth = -1;
  const observer = new ResizeObserver(() => {
    if (!box.isConnected) {
      observer.disconnect();
      return;
    }
    if (box.clientWidth !== lastWidth) {
      lastWidth = box.clientWidth;
      draw();
    }
  });
  observer.observe(box);
  draw();
  return figure;
}
