// The live Update stream (/ws/update): one socket for the whole UI, pages subscribe to what they show.

import { session } from "./api.js";

const listeners = new Set();
const statusListeners = new Set();
let socket = null;
let retry = 1000;
let timer = null;
let wanted = false;
let status = "closed";

function setStatus(next) {
  status = next;
  for (const listener of statusListeners) listener(next);
}

function open() {
  const jwt = session.jwt();
  if (!wanted || !jwt) return;
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const ws = new WebSocket(`${scheme}://${location.host}/ws/update`);
  socket = ws;
  setStatus("connecting");
  ws.onopen = () => ws.send(JSON.stringify({ type: "Jwt", params: { jwt } }));
  ws.onmessage = (event) => {
    const data = String(event.data);
    if (data === "LOGGED_IN") {
      retry = 1000;
      setStatus("live");
      return;
    }
    if (data.startsWith("[")) {
      // "[401]: …": the credentials were refused.
      if (data.startsWith("[401]")) session.expired(data.replace(/^\[\d+\]:\s*/, ""));
      return;
    }
    let message;
    try {
      message = JSON.parse(data);
    } catch {
      return;
    }
    if (message && message.type === "INVALID_USER") {
      session.expired(message.msg || "your log-in is no longer valid");
      return;
    }
    for (const listener of listeners) {
      try {
        listener(message);
      } catch (err) {
        console.error("update listener failed", err);
      }
    }
  };
  ws.onclose = () => {
    if (socket === ws) socket = null;
    if (!wanted) {
      setStatus("closed");
      return;
    }
    // Missed Updates are caught up by the pages on "live" again (they reload what they show).
    setStatus("reconnecting");
    timer = setTimeout(open, retry);
    retry = Math.min(retry * 2, 10000);
  };
}

/** Starts the stream (after a log-in). */
export function connectUpdates() {
  wanted = true;
  if (!socket) open();
}

/** Closes the stream (at log-out). */
export function disconnectUpdates() {
  wanted = false;
  clearTimeout(timer);
  if (socket) socket.close();
  socket = null;
}

/** Calls `listener(update)` for each UpdateListItem pushed; returns the function that stops it. */
export function onUpdate(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Calls `listener(status)` with "connecting", "live", "reconnecting" or "closed"; returns the stopper. */
export function onStreamStatus(listener) {
  statusListeners.add(listener);
  listener(status);
  return () => statusListeners.delete(listener);
}
