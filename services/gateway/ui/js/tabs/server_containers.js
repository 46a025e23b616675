// Server tab "Containers": the containers on the server (ListContainers), and the log of the one picked,
// with search and follow (js/log_view.js).

import { idOf, read } from "../api.js";
import { h, replace } from "../dom.js";
import { logViewer } from "../log_view.js";
import { errorBox, loadingBlock, stateBadge, table } from "../ui.js";

/** Renders the tab for `server` (the GetServer answer). */
export function render(ctx, server) {
  const serverId = idOf(server);
  const list = h("div.containers", {}, loadingBlock(4));
  const logSlot = h("div.container-log");
  let viewer = null;
  const stopViewer = () => {
    if (viewer) viewer.stop();
    viewer = null;
  };
  ctx.onLeave(stopViewer);

  function openLog(name, button) {
    stopViewer();
    for (const other of list.querySelectorAll("button[aria-pressed]")) other.setAttribute("aria-pressed", "false");
    button.setAttribute("aria-pressed", "true");
    viewer = logViewer({
      label: `Log of ${name}`,
      tail: (tail) => read("GetContainerLog", { server: serverId, container: name, tail }),
      search: (terms, invert) => read("SearchContainerLog", { server: serverId, container: name, terms, invert }),
      onLeave: ctx.onLeave,
    });
    replace(logSlot, h("h2", { text: `Log of ${name}` }), viewer.node);
    logSlot.querySelector("input[type=search]").focus();
  }

  async function load() {
    try {
      const containers = (await read("ListContainers", { server: serverId })) || [];
      containers.sort((a, b) => a.name.localeCompare(b.name));
      replace(
        list,
        table(
          [
            { label: "Name", cell: (c) => h("span.name", { text: c.name }) },
            { label: "State", cell: (c) => stateBadge(c.state || "unknown") },
            { label: "Image", cell: (c) => h("code", { text: c.image || "" }) },
            { label: "Status", cell: (c) => c.status || "" },
            {
              label: "Log",
              cell: (c) => {
                const button = h("button.small", { type: "button", text: "Log", "aria-pressed": "false", "aria-label": `Log of ${c.name}` });
                button.addEventListener("click", () => openLog(c.name, button));
                return button;
              },
            },
          ],
          containers,
          { empty: "No containers on this server." },
        ),
      );
    } catch (err) {
      replace(list, errorBox(err, "Could not list the containers"));
    }
  }

  const refresh = h("button", { type: "button", text: "Refresh list" });
  refresh.addEventListener("click", load);
  load();
  return h("div.tab-containers", {}, h("div.tab-tools", {}, h("h2", { text: "Containers" }), refresh), list, logSlot);
}
