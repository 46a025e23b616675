// Diffs on screen: one column (removed and added lines marked) or two columns side by side that stack at
// phone width. Lines are marked by a sign and a text label too, never by colour alone.

import { h } from "./dom.js";
import { diffLines, diffStats, foldUnchanged, sideBySide } from "./diff.js";

const SIGN = { same: " ", del: "-", add: "+" };
const SAID = { del: "removed: ", add: "added: " };

const number = (n) => h("span.ln", { text: n === null || n === undefined ? "" : String(n), "aria-hidden": "true" });

// One line: its number(s) (the old and the new in a unified diff, one in a side), its sign and its text.
function lineNode(op, numbers, text) {
  return h(
    `div.dl.${op}`,
    {},
    numbers.map(number),
    h("span.sign", { text: SIGN[op] || " ", "aria-hidden": "true" }),
    SAID[op] ? h("span.sr-only", { text: SAID[op] }) : null,
    h("span.tx", { text: text === "" ? "\u200b" : text }),
  );
}

function skipNode(count, gutters = 1) {
  return h(`div.dl.skip.g${gutters}`, { text: `⋯ ${count} unchanged line${count === 1 ? "" : "s"}` });
}

/** A one-line summary of a diff ("3 lines added, 1 removed"). */
export function diffSummary(ops) {
  const { added, removed } = diffStats(ops);
  if (!added && !removed) return "No change.";
  return `${added} line${added === 1 ? "" : "s"} added, ${removed} removed`;
}

/**
 * A unified diff of `before` → `after` (texts), unchanged stretches folded to `context` lines.
 * `label` names it for screen readers.
 */
export function unifiedDiff(before, after, { context = 3, label = "Changes" } = {}) {
  const ops = diffLines(before, after);
  return h(
    "figure.diff",
    { "aria-label": label },
    h("figcaption.diff-summary", { text: diffSummary(ops) }),
    h(
      "div.diff-lines",
      { tabindex: "0", role: "group", "aria-label": label },
      foldUnchanged(ops, context).map((op) => (op.op === "skip" ? skipNode(op.count, 2) : lineNode(op.op, [op.a, op.b], op.text))),
    ),
  );
}

/**
 * `before` and `after` side by side, titled `leftLabel`/`rightLabel`: removed lines on the left, added on
 * the right, paired line by line; at phone width the two columns stack (the left one first).
 */
export function splitDiff(
  before,
  after,
  { leftLabel = "Current", rightLabel = "Proposed", context = 3, leftEmpty = "Nothing", rightEmpty = "Nothing" } = {},
) {
  const ops = diffLines(before, after);
  const rows = sideBySide(foldUnchanged(ops, context));
  const column = (side, label, empty, text) =>
    h(
      "div.diff-side",
      { role: "group", "aria-label": label },
      h("div.diff-title", { text: label }),
      // An empty side (a creation, a deletion) says so instead of showing blank lines.
      !text
        ? h("p.diff-empty", { text: empty })
        : h(
        "div.diff-lines",
        { tabindex: "0", "aria-label": `${label} lines` },
        rows.map((row) => {
          if (row.skip) return skipNode(row.skip);
          const line = row[side];
          // A filler keeps both columns aligned where one side has no line.
          return line ? lineNode(line.op, [line.n], line.text) : h("div.dl.filler", { "aria-hidden": "true", text: "\u200b" });
        }),
      ),
    );
  return h(
    "figure.diff.split",
    {},
    h("figcaption.diff-summary", { text: diffSummary(ops) }),
    h("div.diff-columns", {}, column("left", leftLabel, leftEmpty, before), column("right", rightLabel, rightEmpty, after)),
  );
}
