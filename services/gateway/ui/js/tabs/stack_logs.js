// Stack tab "Logs": the logs of the stack's services (GetStackLog / SearchStackLog; no service picked means
// all of them), with search and follow.

import { idOf, read } from "../api.js";
import { h, replace, uid } from "../dom.js";
import { logViewer } from "../log_view.js";

function serviceNames(stack) {
  const info = stack.info || {};
  const names = [...(info.deployed_services || []), ...(info.latest_services || [])].map((s) => s.service_name);
  return [...new Set(names.filter(Boolean))].sort();
}

/** Renders the tab for `stack` (the GetStack answer). */
export function render(ctx, stack) {
  const id = idOf(stack);
  const selectId = uid("service");
  const select = h(
    "select",
    { id: selectId },
    h("option", { value: "", text: "All services" }),
    serviceNames(stack).map((name) => h("option", { value: name, text: name })),
  );
  const slot = h("div");
  let viewer = null;
  function open() {
    if (viewer) viewer.stop();
    const services = select.value ? [select.value] : [];
    viewer = logViewer({
      label: `Log of ${stack.name}${select.value ? ` / ${select.value}` : ""}`,
      tail: (tail) => read("GetStackLog", { stack: id, services, tail }),
      search: (terms, invert) => read("SearchStackLog", { stack: id, services, terms, invert }),
      onLeave: ctx.onLeave,
    });
    replace(slot, viewer.node);
  }
  select.addEventListener("change", open);
  ctx.onLeave(() => viewer && viewer.stop());
  open();
  return h("div.tab-logs", {}, h("div.inline-form", {}, h("div.field", {}, h("label", { for: selectId, text: "Service" }), select)), slot);
}
