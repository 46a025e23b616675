// Line diffs without the DOM (so they can be tested alone): Myers' O(ND) shortest edit script, the unchanged
// stretches folded to some context, and rows for a side-by-side view.

/** Splits a text into lines; a final newline does not make an extra empty line. */
export function splitLines(text) {
  if (!text) return [];
  const lines = String(text).replace(/\r\n?/g, "\n").split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/** The most edits Myers' search tries before it gives up and answers "all removed, all added" (memory bound). */
const MAX_EDITS = 2000;

/**
 * The line diff of `before` → `after` (texts or arrays of lines): a list of
 * `{op: "same"|"del"|"add", text, a, b}` where `a`/`b` are 1-based line numbers on each side (null where the
 * line is not on that side). Deletions come before additions within a change.
 */
export function diffLines(before, after) {
  const a = Array.isArray(before) ? before : splitLines(before);
  const b = Array.isArray(after) ? after : splitLines(after);
  // Common head and tail cost nothing to match and shrink the search.
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head += 1;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) {
    tail += 1;
  }
  const midA = a.slice(head, a.length - tail);
  const midB = b.slice(head, b.length - tail);
  const edits = myers(midA, midB);
  const ops = [];
  for (let i = 0; i < head; i += 1) ops.push({ op: "same", text: a[i], a: i + 1, b: i + 1 });
  for (const edit of edits) {
    ops.push({
      op: edit.op,
      text: edit.text,
      a: edit.a === null ? null : edit.a + head + 1,
      b: edit.b === null ? null : edit.b + head + 1,
    });
  }
  for (let i = tail; i > 0; i -= 1) {
    ops.push({ op: "same", text: a[a.length - i], a: a.length - i + 1, b: b.length - i + 1 });
  }
  return groupChanges(ops);
}

// Myers' greedy search, keeping each round's frontier to walk the path back. Answers edits with 0-based
// indexes on each side.
function myers(a, b) {
  const n = a.length;
  const m = b.length;
  if (!n) return b.map((text, j) => ({ op: "add", text, a: null, b: j }));
  if (!m) return a.map((text, i) => ({ op: "del", text, a: i, b: null }));
  const max = Math.min(n + m, MAX_EDITS);
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace = [];
  let found = -1;
  for (let d = 0; d <= max && found < 0; d += 1) {
    // Only diagonals -d-1 … d+1 are read when walking back from round d.
    trace.push(v.slice(offset - d - 1, offset + d + 2));
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1] < v[offset + k + 1]) ? v[offset + k + 1] : v[offset + k - 1] + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x += 1;
        y += 1;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) {
        found = d;
        break;
      }
    }
  }
  if (found < 0) {
    // Too different to search cheaply: everything changed.
    return [
      ...a.map((text, i) => ({ op: "del", text, a: i, b: null })),
      ...b.map((text, j) => ({ op: "add", text, a: null, b: j })),
    ];
  }
  const edits = [];
  let x = n;
  let y = m;
  for (let d = found; d >= 0; d -= 1) {
    const frontier = trace[d];
    const at = (k) => frontier[k + d + 1];
    const k = x - y;
    const prevK = k === -d || (k !== d && at(k - 1) < at(k + 1)) ? k + 1 : k - 1;
    const prevX = d === 0 ? 0 : at(prevK);
    const prevY = d === 0 ? 0 : prevX - prevK;
    while (x > prevX && y > prevY) {
      x -= 1;
      y -= 1;
      edits.push({ op: "same", text: a[x], a: x, b: y });
    }
    if (d > 0) {
      if (x === prevX) {
        y -= 1;
        edits.push({ op: "add", text: b[y], a: null, b: y });
      } else {
        x -= 1;
        edits.push({ op: "del", text: a[x], a: x, b: null });
      }
    }
  }
  return edits.reverse();
}

// Within each run of changes, deletions first, then additions (easier to read, and what pairs them side by side).
function groupChanges(ops) {
  const out = [];
  let dels = [];
  let adds = [];
  const flush = () => {
    out.push(...dels, ...adds);
    dels = [];
    adds = [];
  };
  for (const op of ops) {
    if (op.op === "del") dels.push(op);
    else if (op.op === "add") adds.push(op);
    else {
      flush();
      out.push(op);
    }
  }
  flush();
  return out;
}

/** Counts of a diff: `{added, removed, same}`. */
export function diffStats(ops) {
  const stats = { added: 0, removed: 0, same: 0 };
  for (const op of ops) {
    if (op.op === "add") stats.added += 1;
    else if (op.op === "del") stats.removed += 1;
    else stats.same += 1;
  }
  return stats;
}

/**
 * The diff with unchanged stretches longer than 2×`context` lines folded: the ops, with
 * `{op: "skip", count}` in place of each folded stretch.
 */
export function foldUnchanged(ops, context = 3) {
  const out = [];
  let i = 0;
  while (i < ops.length) {
    if (ops[i].op !== "same") {
      out.push(ops[i]);
      i += 1;
      continue;
    }
    let j = i;
    while (j < ops.length && ops[j].op === "same") j += 1;
    const keepHead = i === 0 ? 0 : context;
    const keepTail = j === ops.length ? 0 : context;
    if (j - i > keepHead + keepTail + 1) {
      out.push(...ops.slice(i, i + keepHead));
      out.push({ op: "skip", count: j - i - keepHead - keepTail });
      out.push(...ops.slice(j - keepTail, j));
    } else {
      out.push(...ops.slice(i, j));
    }
    i = j;
  }
  return out;
}

/**
 * Rows of a side-by-side view: `{left, right}`, each `{n, text, op}` or null where that side has no line
 * (a removed line is paired with an added one of the same change, line by line). `{skip: count}` rows pass
 * through folded stretches.
 */
export function sideBySide(ops) {
  const rows = [];
  let dels = [];
  let adds = [];
  const flush = () => {
    for (let i = 0; i < Math.max(dels.length, adds.length); i += 1) {
      const del = dels[i];
      const add = adds[i];
      rows.push({
        left: del ? { n: del.a, text: del.text, op: "del" } : null,
        right: add ? { n: add.b, text: add.text, op: "add" } : null,
      });
    }
    dels = [];
    adds = [];
  };
  for (const op of ops) {
    if (op.op === "del") dels.push(op);
    else if (op.op === "add") adds.push(op);
    else {
      flush();
      if (op.op === "skip") rows.push({ skip: op.count });
      else rows.push({ left: { n: op.a, text: op.text, op: "same" }, right: { n: op.b, text: op.text, op: "same" } });
    }
  }
  flush();
  return rows;
}
