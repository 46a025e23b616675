// One Update: what ran, on what, by whom, when, how it ended, and its logs. While it runs, each push of it on
// /ws/update re-reads it (GetUpdate) and only what is new is added to the screen: new stages, and new
// output at the end of a stage. No polling: a read happens on a push, and once after a stream reconnect.

import { read } from "../api.js";
import { h, replace, uid } from "../dom.js";
import { kindByType } from "../kinds.js";
import { unifiedDiff } from "../diff_view.js";
import { targetLink, updateState } from "../update_items.js";
import { onStreamStatus, onUpdate } from "../updates.js";
import { errorBox, formatTime, link, loadingBlock, stateBadge } from "../ui.js";

const PROGRESS = / \(progress \d+\)$/;

function joined(a, b) {
  if (!a) return b || "";
  if (!b) return a;
  return `${a}\n${b}`;
}

/**
 * The logs as shown: an execution's progress logs ("Execute Action (progress 3)"), each holding the output
 * of the last half second, are joined into one running stage, which the final log of that stage replaces
 * when the work ends.
 */
export function logBlocks(logs) {
  const out = [];
  for (const log of logs || []) {
    const progress = PROGRESS.test(log.stage);
    const stage = log.stage.replace(PROGRESS, "");
    const last = out[out.length - 1];
    if (progress && last && last.progress && last.stage === stage) {
      last.stdout = joined(last.stdout, log.stdout);
      last.stderr = joined(last.stderr, log.stderr);
      last.end_ts = log.end_ts;
      continue;
    }
    out.push({ ...log, stage, progress, stdout: log.stdout || "", stderr: log.stderr || "", command: log.command || "" });
  }
  return out;
}

function running(update) {
  const state = updateState(update);
  return state === "InProgress" || state === "Queued";
}

function duration(start, end) {
  if (!start || !end) return "";
  const ms = Math.max(0, end - start);
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60000)} min ${Math.round((ms % 60000) / 1000)} s`;
}

function blockMeta(block) {
  const state = block.progress ? "InProgress" : block.success ? "Success" : "Failed";
  const took = duration(block.start_ts, block.end_ts);
  return h(
    "div.log-meta",
    {},
    stateBadge(state),
    h("span.muted", { text: ` ${formatTime(block.start_ts)}${block.progress || !took ? "" : ` · ${took}`}` }),
  );
}

// One stage on screen, with the parts that later reads change in place.
function blockView(block) {
  const meta = h("div.log-meta-slot", {}, blockMeta(block));
  const outPre = h("pre.log-out", {}, block.stdout);
  const errPre = h("pre.log-err", {}, block.stderr);
  outPre.hidden = !block.stdout;
  errPre.hidden = !block.stderr;
  const el = h(
    "section.log-block",
    { dataset: { stage: block.stage } },
    h("header.log-head", {}, h("h3", { text: block.stage }), meta),
    block.command ? h("pre.log-command", {}, h("span.sr-only", { text: "command: " }), block.command) : null,
    h("div.log-label", { text: "stdout", hidden: !block.stdout }),
    outPre,
    h("div.log-label", { text: "stderr", hidden: !block.stderr }),
    errPre,
  );
  return { block: { ...block }, el, meta, outPre, errPre };
}

// Brings one pre's text from `before` to `after`: new text at the end is appended as a text node (the lines
// already there are not touched), anything else replaces the text.
function grow(pre, before, after) {
  if (after === before) return;
  pre.hidden = !after;
  pre.previousElementSibling.hidden = !after;
  if (before && after.startsWith(before)) pre.append(after.slice(before.length));
  else pre.textContent = after;
}

/** The Update page. */
export async function render(ctx) {
  const id = ctx.params.id;
  const heading = h("h1", { text: "Update" });
  const badge = h("span.update-state", {}, stateBadge("Unknown"));
  const details = h("dl.details", {}, loadingBlock(3));
  const errors = h("div");
  const logs = h("div.logs", { "aria-live": "polite", "aria-relevant": "additions text" });
  const extra = h("div");
  const followId = uid("follow");
  const follow = h("input", { id: followId, type: "checkbox", role: "switch", checked: true });
  const followLabel = h("label.check.follow", { for: followId }, follow, " Follow the log");
  let views = [];
  let operatorName = null;
  let shownToml = false;
  let current = null;
  let autoScrolling = false;

  const scroller = () => document.scrollingElement || document.documentElement;
  const atBottom = () => {
    const el = scroller();
    return el.scrollHeight - el.scrollTop - el.clientHeight < 40;
  };

  function toBottom() {
    autoScrolling = true;
    const el = scroller();
    el.scrollTop = el.scrollHeight;
    requestAnimationFrame(() => {
      autoScrolling = false;
    });
  }

  function onScroll() {
    // Scrolling up (by hand) away from the end stops following; coming back to the end does not restart it.
    if (!autoScrolling && follow.checked && !atBottom() && current && running(current)) {
      follow.checked = false;
    }
  }
  window.addEventListener("scroll", onScroll, { passive: true });
  ctx.onLeave(() => window.removeEventListener("scroll", onScroll));
  follow.addEventListener("change", () => {
    if (follow.checked) toBottom();
  });

  let detailsKey = "";
  function drawDetails(update) {
    // Redrawn only when what it shows changed (a push that adds a log leaves it, and the focus in it, alone).
    const key = JSON.stringify([update.status, update.end_ts, update.version, update.commit_hash, update.other_data, operatorName]);
    if (key === detailsKey) return;
    detailsKey = key;
    const kind = update.target ? kindByType(update.target.type) : null;
    const rows = [
      ["Operation", update.operation],
      ["Target", update.target ? [kind ? `${kind.singular} ` : `${update.target.type} `, targetLink(update.target)] : "—"],
      ["Operator", operatorName || update.operator],
      ["Started", formatTime(update.start_ts)],
      ["Ended", update.end_ts ? `${formatTime(update.end_ts)} (${duration(update.start_ts, update.end_ts)})` : "—"],
      update.version && (update.version.major || update.version.minor || update.version.patch)
        ? ["Version", `${update.version.major}.${update.version.minor}.${update.version.patch}`]
        : null,
      update.commit_hash ? ["Commit", h("code", { text: update.commit_hash })] : null,
      update.other_data ? ["Data", h("code", { text: update.other_data })] : null,
    ].filter(Boolean);
    replace(details, rows.map(([term, value]) => h("div.detail", {}, h("dt", { text: term }), h("dd", {}, value))));
  }

  function drawLogs(update, wasRunning) {
    const blocks = logBlocks(update.logs);
    // Only a running Update (or the read that ends it) is followed: a finished one opens at its top.
    const stick = follow.checked && (running(update) || wasRunning);
    if (!blocks.length && !views.length) {
      replace(logs, h("p.muted.no-logs", { text: updateState(update) === "Success" || updateState(update) === "Failed" ? "No logs." : "No logs yet." }));
    }
    let changed = false;
    blocks.forEach((block, i) => {
      const view = views[i];
      if (view && view.block.stage === block.stage && view.block.command === block.command) {
        grow(view.outPre, view.block.stdout, block.stdout);
        grow(view.errPre, view.block.stderr, block.stderr);
        if (view.block.progress !== block.progress || view.block.success !== block.success || view.block.end_ts !== block.end_ts) {
          replace(view.meta, blockMeta(block));
        }
        changed = changed || view.block.stdout !== block.stdout || view.block.stderr !== block.stderr;
        view.block = { ...block };
        return;
      }
      const fresh = blockView(block);
      if (view) view.el.replaceWith(fresh.el);
      else {
        const placeholder = logs.querySelector(".no-logs");
        if (placeholder) placeholder.remove();
        logs.append(fresh.el);
      }
      views[i] = fresh;
      changed = true;
    });
    for (const view of views.slice(blocks.length)) view.el.remove();
    views = views.slice(0, blocks.length);
    if (changed && stick) toBottom();
  }

  function draw(update) {
    const wasRunning = current !== null && running(current);
    current = update;
    const state = updateState(update);
    heading.textContent = update.operation;
    replace(badge, stateBadge(state));
    followLabel.hidden = !running(update);
    drawDetails(update);
    drawLogs(update, wasRunning);
    if (!shownToml && (update.prev_toml || update.current_toml)) {
      shownToml = true;
      replace(extra, h("section.config-change", {}, h("h2", { text: "Configuration change" }), unifiedDiff(update.prev_toml || "", update.current_toml || "", { label: "Configuration change" })));
    }
  }

  let loading = false;
  let again = false;
  async function load() {
    // Pushes come faster than reads at times: one read at a time, and one more after it if any came meanwhile.
    if (loading) {
      again = true;
      return;
    }
    loading = true;
    try {
      const update = await read("GetUpdate", { id });
      if (!ctx.current()) return;
      replace(errors);
      draw(update);
      if (operatorName === null && update.operator) {
        operatorName = update.operator;
        read("GetUsername", { user_id: update.operator })
          .then((user) => {
            operatorName = user.username;
            if (current) drawDetails(current);
          })
          .catch(() => {});
      }
    } catch (err) {
      if (ctx.current()) replace(errors, errorBox(err, "Could not read the Update"));
    } finally {
      loading = false;
      if (again) {
        again = false;
        load();
      }
    }
  }

  ctx.onLeave(
    onUpdate((item) => {
      if (item && item.id === id) load();
    }),
  );
  let first = true;
  ctx.onLeave(
    onStreamStatus((status) => {
      if (status === "live" && !first) load();
      if (status === "live") first = false;
    }),
  );
  load();
  return h(
    "div.update-page",
    {},
    h("header.page-header", {}, h("div.title", {}, heading, badge), h("div.actions", {}, link("/updates", "All Updates", { class: "button" }))),
    errors,
    details,
    extra,
    h("div.logs-head", {}, h("h2", { text: "Logs" }), followLabel),
    logs,
  );
}
