// One extra tab of a resource on its own page (#/tab/<Type>/<id>/<tab>): a deep link to a resource's logs,
// stats, compose file or sync diff. The resource detail page embeds the same tab modules.

import { idOf, read } from "../api.js";
import { h } from "../dom.js";
import { extraTabs } from "../detail_tabs.js";
import { kindByType } from "../kinds.js";
import { link } from "../ui.js";

/** The tab page. */
export async function render(ctx) {
  const { type, id, tab } = ctx.params;
  const kind = kindByType(type);
  if (!kind) return h("div", {}, h("h1", { text: "Not found" }), h("p", { text: `No resource type ${type}.` }));
  const def = extraTabs(type, ctx.user).find((t) => t.id === tab);
  if (!def) return h("div", {}, h("h1", { text: "Not found" }), h("p", { text: `${kind.singular} has no tab ${tab}.` }));
  // Errors (a missing resource, a refused read) reach the router, which shows the server's message.
  const [resource, module] = await Promise.all([read(kind.get, { [kind.param]: id }), def.load()]);
  const content = await module.render(ctx, resource, kind);
  document.title = `${resource.name} · ${def.label} · Varanus`;
  return h(
    "div.tab-page",
    {},
    h(
      "header.page-header",
      {},
      h("h1", {}, `${resource.name} · ${def.label}`),
      h("div.actions", {}, link(`/${kind.path}/${encodeURIComponent(idOf(resource) || id)}`, `${kind.singular} ${resource.name}`, { class: "button" })),
    ),
    h("div.tab-panel", { role: "region", "aria-label": def.label }, content),
  );
}
