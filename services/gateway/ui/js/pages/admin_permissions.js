// The permissions of one resource on a page of its own (`#/admin/permissions/<type>/<id>`): the same module
// as the resource page's Permissions tab, reachable without that page.

import { read } from "../api.js";
import { h } from "../dom.js";
import { adminOnly } from "../admin.js";
import { kindByPath, kindByType } from "../kinds.js";
import { errorBox, link, pageHeader } from "../ui.js";
import { render as renderTab } from "../tabs/permissions.js";

/** The page; `type` may be a kind's path ("deployments") or type ("Deployment"), `id` an id or a name. */
export async function render(ctx) {
  const refused = adminOnly(ctx, "Permissions");
  if (refused) return refused;
  const kind = kindByPath(ctx.params.type) || kindByType(ctx.params.type);
  if (!kind) {
    return h("div", {}, pageHeader("Permissions"), errorBox(new Error(`no resource type ${ctx.params.type}`)));
  }
  let resource;
  try {
    resource = await read(kind.get, { [kind.param]: ctx.params.id });
  } catch (err) {
    return h("div", {}, pageHeader("Permissions"), errorBox(err, `Could not load the ${kind.singular.toLowerCase()}`));
  }
  return h(
    "div.admin-page",
    {},
    pageHeader(`Permissions on ${resource.name}`),
    h("p", {}, `${kind.singular} `, link(`/${kind.path}/${encodeURIComponent(ctx.params.id)}`, resource.name)),
    await renderTab(ctx, resource, kind),
  );
}
