// A container log on screen (a container, a Deployment's or a Stack's): its tail, a search, and "follow",
// which re-reads the tail every 2 s only while it is on and the page is visible. Container logs have no push
// on /ws/update, so that timer is the one way to follow them; it stops when the view goes.

import { h, replace, uid } from "./dom.js";
import { errorBox } from "./ui.js";

const FOLLOW_MS = 2000;
const TAILS = [100, 500, 1000, 5000];

/** `text` with every case-insensitive occurrence of `terms` wrapped in <mark>. */
export function highlighted(text, terms) {
  const wanted = terms.filter(Boolean).map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  if (!wanted.length || !text) return [text];
  const pattern = new RegExp(`(${wanted.join("|")})`, "gi");
  return text.split(pattern).map((part, i) => (i % 2 ? h("mark", { text: part }) : part));
}

/**
 * A log viewer. `tail(lines)` and `search(terms, invert)` read the log (each resolves to a Log:
 * `{stdout, stderr, success, command}`); `label` names it. `onLeave` registers the cleanup (the follow timer).
 * Returns `{node, stop}`.
 */
export function logViewer({ tail, search, label, onLeave }) {
  const searchId = uid("log-search");
  const tailId = uid("log-tail");
  const followId = uid("log-follow");
  const input = h("input", { id: searchId, type: "search", placeholder: "words to find", autocomplete: "off" });
  const invert = h("input", { type: "checkbox" });
  const tailSelect = h(
    "select",
    { id: tailId },
    TAILS.map((n) => h("option", { value: String(n), text: `last ${n} lines`, selected: n === 100 })),
  );
  const follow = h("input", { id: followId, type: "checkbox", role: "switch" });
  const refresh = h("button", { type: "button", text: "Refresh" });
  const clear = h("button", { type: "button", text: "Clear search", disabled: true });
  const status = h("p.log-status.muted", { role: "status" }, "\u00a0");
  const errors = h("div");
  const out = h("pre.log-output", { tabindex: "0", "aria-label": `${label}: output` });
  let terms = [];
  let timer = null;
  let stopped = false;
  let reading = false;

  const atBottom = () => out.scrollHeight - out.scrollTop - out.clientHeight < 24;

  function show(log, searched) {
    const stick = follow.checked || atBottom();
    const stdout = log.stdout || "";
    const stderr = log.stderr || "";
    replace(
      out,
      stdout ? highlighted(stdout, searched) : null,
      stderr ? h("span.stderr", {}, stdout ? "\n" : "", highlighted(stderr, searched)) : null,
      !stdout && !stderr ? h("span.muted", { text: searched.length ? "No line matches." : "The log is empty." }) : null,
    );
    if (stick) out.scrollTop = out.scrollHeight;
    const lines = (stdout ? stdout.split("\n").length : 0) + (stderr ? stderr.split("\n").length : 0);
    const what = searched.length ? `${lines} matching line${lines === 1 ? "" : "s"} for “${searched.join(" ")}”` : `${lines} lines`;
    status.textContent = `${what} · read ${new Date().toLocaleTimeString()}`;
  }

  let again = false;
  async function load() {
    if (stopped) return;
    // One read at a time (a slow answer is not overtaken by the next tick); a request made meanwhile (a
    // search) runs right after it, with what is asked then.
    if (reading) {
      again = true;
      return;
    }
    const searched = terms.slice();
    reading = true;
    try {
      const log = searched.length ? await search(searched, invert.checked) : await tail(Number(tailSelect.value));
      if (stopped) return;
      replace(errors);
      show(log, searched);
    } catch (err) {
      if (!stopped) replace(errors, errorBox(err, "Could not read the log"));
    } finally {
      reading = false;
      if (again) {
        again = false;
        load();
      }
    }
  }

  function schedule() {
    clearInterval(timer);
    timer = null;
    if (follow.checked && !terms.length && !stopped) {
      timer = setInterval(() => {
        if (document.visibilityState === "visible" && out.isConnected) load();
      }, FOLLOW_MS);
    }
  }

  function stop() {
    stopped = true;
    clearInterval(timer);
    timer = null;
    document.removeEventListener("visibilitychange", onVisible);
  }

  function onVisible() {
    if (document.visibilityState === "visible" && follow.checked && !terms.length) load();
  }

  const form = h(
    "form.log-tools",
    {
      role: "search",
      onsubmit: (event) => {
        event.preventDefault();
        terms = input.value.trim().split(/\s+/).filter(Boolean);
        clear.disabled = !terms.length;
        // Following a search makes no sense: a search reads the whole log.
        if (terms.length) follow.checked = false;
        schedule();
        load();
      },
    },
    h(
      "div.log-row",
      {},
      h("div.field.log-search", {}, h("label", { for: searchId, text: "Search the log" }), input),
      h("label.check", {}, invert, " Invert (lines without the words)"),
      h("button.primary", { type: "submit", text: "Search" }),
      clear,
    ),
    h(
      "div.log-row",
      {},
      h("div.field", {}, h("label", { for: tailId, text: "Tail" }), tailSelect),
      h("label.check", { for: followId }, follow, " Follow"),
      refresh,
    ),
  );
  clear.addEventListener("click", () => {
    input.value = "";
    terms = [];
    clear.disabled = true;
    load();
  });
  tailSelect.addEventListener("change", () => {
    if (!terms.length) load();
  });
  follow.addEventListener("change", () => {
    if (follow.checked && terms.length) {
      input.value = "";
      terms = [];
      clear.disabled = true;
    }
    schedule();
    if (follow.checked) load();
  });
  refresh.addEventListener("click", () => load());
  document.addEventListener("visibilitychange", onVisible);
  if (onLeave) onLeave(stop);
  load();
  return { node: h("section.log-view", { "aria-label": label }, form, errors, status, out), stop, reload: load };
}
