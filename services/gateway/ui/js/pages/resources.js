// The list page of one resource kind (#/deployments, #/servers, …): name, state, tags and the kind's own
// columns, a search by name and a tag filter (both asked of the server), paging, Create, and live states
// (the list is read again when an Update about this kind arrives).

import { idOf, read, write } from "../api.js";
import { h, replace } from "../dom.js";
import { promptDialog } from "../dialogs.js";
import { navigate } from "../router.js";
import { onStreamStatus, onUpdate } from "../updates.js";
import { ago, busy, errorBox, link, loadingBlock, pageHeader, stateBadge, table, tagChips, toast } from "../ui.js";

const PAGE_SIZE = 50;

/** The kinds whose list items carry `info.state`. */
export const STATEFUL = new Set(["Server", "Deployment", "Stack", "Build", "Repo", "Procedure", "Action", "ResourceSync"]);

/** Kinds only admins may create (as the registry decides: see services/registry/permissions.py). */
const ADMIN_ONLY_CREATE = new Set(["Action", "Alerter", "Builder", "ResourceSync"]);

let coreInfo = null;
/** GetCoreInfo, read once (whether non-admins may create, whether the UI may write). */
export function getCoreInfo() {
  if (!coreInfo) {
    coreInfo = read("GetCoreInfo", {});
    coreInfo.catch(() => {
      coreInfo = null;
    });
  }
  return coreInfo;
}

/**
 * Whether `user` may create a resource of `kind` (the registry's rule, and not when the core disables writing
 * from the UI); a refusal the UI did not foresee still shows the server's message.
 */
export async function canCreate(kind, user) {
  let info = {};
  try {
    info = await getCoreInfo();
  } catch {
    // Unknown: decide by the user alone, the server answers with its reason if not.
  }
  if (info.ui_write_disabled) return false;
  if (user.admin) return true;
  if (ADMIN_ONLY_CREATE.has(kind.type) || info.disable_non_admin_create) return false;
  if (kind.type === "Server") return Boolean(user.create_server_permissions);
  if (kind.type === "Build") return Boolean(user.create_build_permissions);
  return true;
}

/** The page path of a resource. */
export function resourcePath(kind, idOrName) {
  return `/${kind.path}/${encodeURIComponent(idOrName)}`;
}

function serverCell(info) {
  if (!info.server_id) return h("span.muted", { text: "—" });
  return link(`/servers/${encodeURIComponent(info.server_id)}`, info.server_name || info.server_id);
}

function version(v) {
  if (!v || typeof v !== "object") return "—";
  const text = `${v.major || 0}.${v.minor || 0}.${v.patch || 0}`;
  return text === "0.0.0" ? "—" : text;
}

function repoCell(info) {
  if (!info.repo && !info.linked_repo_name) return h("span.muted", { text: info.files_on_host ? "files on host" : "—" });
  const text = info.linked_repo_name || `${info.repo}${info.branch ? ` @ ${info.branch}` : ""}`;
  return h("span", { text });
}

/** The kind-specific columns of the list ({label, cell(item)}). */
function kindColumns(kind) {
  switch (kind.type) {
    case "Server":
      return [
        { label: "Address", cell: (i) => i.info.address || "—" },
        { label: "Region", cell: (i) => i.info.region || "—" },
        { label: "Version", cell: (i) => i.info.version || "—" },
      ];
    case "Deployment":
      return [
        { label: "Server", cell: (i) => serverCell(i.info) },
        { label: "Image", cell: (i) => (i.info.image ? h("code", { text: i.info.image }) : "—") },
        { label: "Status", cell: (i) => i.info.status || "—" },
      ];
    case "Stack":
      return [
        { label: "Server", cell: (i) => serverCell(i.info) },
        { label: "Source", cell: (i) => repoCell(i.info) },
        { label: "Services", cell: (i) => String((i.info.services || []).length) },
      ];
    case "Build":
      return [
        { label: "Version", cell: (i) => version(i.info.version) },
        { label: "Last built", cell: (i) => ago(i.info.last_built_at) },
        { label: "Source", cell: (i) => repoCell(i.info) },
      ];
    case "Repo":
      return [
        { label: "Repository", cell: (i) => repoCell(i.info) },
        { label: "Server", cell: (i) => serverCell(i.info) },
        { label: "Last pulled", cell: (i) => ago(i.info.last_pulled_at) },
      ];
    case "Procedure":
      return [{ label: "Stages", cell: (i) => String(i.info.stages ?? 0) }];
    case "ResourceSync":
      return [
        { label: "Source", cell: (i) => repoCell(i.info) },
        { label: "Last sync", cell: (i) => ago(i.info.last_sync_ts) },
      ];
    case "Builder":
      return [
        { label: "Type", cell: (i) => i.info.builder_type || "—" },
        { label: "Instance / server", cell: (i) => i.info.instance_type || "—" },
      ];
    case "Alerter":
      return [
        { label: "Enabled", cell: (i) => stateBadge(i.info.enabled ? "Enabled" : "Disabled") },
        { label: "Endpoint", cell: (i) => i.info.endpoint_type || "—" },
      ];
    case "ServerTemplate":
      return [
        { label: "Provider", cell: (i) => i.info.provider || "—" },
        { label: "Instance type", cell: (i) => i.info.instance_type || "—" },
      ];
    default:
      return [];
  }
}

/** Tag names by id (ListTags), for chips and the tag filter. */
export async function tagNames() {
  const tags = await read("ListTags", {});
  return Object.fromEntries(tags.map((t) => [idOf(t), t.name]));
}

/** The list page of `kind`. */
export async function render(ctx, kind) {
  const terms = h("input#resource-search", {
    id: "resource-search",
    type: "search",
    value: ctx.query.get("q") || "",
    placeholder: "Name contains…",
    autocomplete: "off",
  });
  const tagFilter = h("select#resource-tag", { id: "resource-tag" }, h("option", { value: "", text: "Any tag" }));
  const results = h("section.resource-list", { "aria-live": "polite", "aria-busy": "true" }, loadingBlock(6));
  const pager = h("nav.pager", { "aria-label": "Pages" });
  const errors = h("div");
  let page = 0;
  let names = {};
  let loading = null;
  let again = false;

  const columns = [
    { label: "Name", cell: (i) => h("span", {}, link(resourcePath(kind, i.id), i.name), i.template ? h("span.tag", { text: "template" }) : null) },
    STATEFUL.has(kind.type) ? { label: "State", cell: (i) => stateBadge(i.info.state) } : null,
    { label: "Tags", cell: (i) => tagChips(i.tags, names) },
    ...kindColumns(kind),
  ].filter(Boolean);

  // Search and tag survive a reload and the Back button, without re-rendering the page on each key.
  function remember() {
    const params = new URLSearchParams();
    if (terms.value.trim()) params.set("q", terms.value.trim());
    if (tagFilter.value) params.set("tag", tagFilter.value);
    const query = params.toString();
    history.replaceState(null, "", `#/${kind.path}${query ? `?${query}` : ""}`);
  }

  async function load() {
    // One read at a time; a change while it runs reads once more after it.
    if (loading) {
      again = true;
      return loading;
    }
    loading = (async () => {
      const query = {
        terms: terms.value.trim().split(/\s+/).filter(Boolean),
        tags: tagFilter.value ? [tagFilter.value] : [],
      };
      try {
        const items = await read(kind.list, { query, page, limit: PAGE_SIZE + 1 });
        const shown = items.slice(0, PAGE_SIZE);
        const filtered = query.terms.length || query.tags.length;
        replace(
          results,
          table(columns, shown, {
            empty: filtered ? `No ${kind.label.toLowerCase()} match.` : `No ${kind.label.toLowerCase()} yet.`,
            caption: `${kind.label}${page ? `, page ${page + 1}` : ""}`,
          }),
        );
        results.setAttribute("aria-busy", "false");
        drawPager(items.length > PAGE_SIZE);
      } catch (err) {
        replace(results, errorBox(err, `Could not list ${kind.label.toLowerCase()}`));
        results.setAttribute("aria-busy", "false");
      }
    })();
    await loading;
    loading = null;
    if (again) {
      again = false;
      await load();
    }
    return undefined;
  }

  function drawPager(more) {
    const prev = h("button.small", { type: "button", text: "Previous", disabled: page === 0 });
    const next = h("button.small", { type: "button", text: "Next", disabled: !more });
    prev.addEventListener("click", () => {
      page = Math.max(0, page - 1);
      load();
    });
    next.addEventListener("click", () => {
      page += 1;
      load();
    });
    replace(pager, page === 0 && !more ? null : [prev, h("span.muted", { text: `Page ${page + 1}` }), next]);
  }

  let typing = null;
  terms.addEventListener("input", () => {
    clearTimeout(typing);
    typing = setTimeout(() => {
      page = 0;
      remember();
      load();
    }, 250);
  });
  tagFilter.addEventListener("change", () => {
    page = 0;
    remember();
    load();
  });

  // Live states: any Update about this kind may change what the list shows; read it again, at most every
  // half second.
  let pending = null;
  const soon = () => {
    clearTimeout(pending);
    pending = setTimeout(load, 500);
  };
  ctx.onLeave(() => {
    clearTimeout(pending);
    clearTimeout(typing);
  });
  ctx.onLeave(
    onUpdate((update) => {
      if (update.target && update.target.type === kind.type) soon();
    }),
  );
  let first = true;
  ctx.onLeave(
    onStreamStatus((status) => {
      if (status === "live" && !first) soon();
      if (status === "live") first = false;
    }),
  );

  const actions = [];
  if (await canCreate(kind, ctx.user)) {
    const create = h("button.primary", { type: "button", text: `New ${kind.singular.toLowerCase()}` });
    create.addEventListener("click", async () => {
      const name = await promptDialog({
        title: `New ${kind.singular.toLowerCase()}`,
        label: "Name",
        confirm: "Create",
        message: "Its configuration starts from the defaults; change it on the next page.",
      });
      if (!name) return;
      await busy(
        create,
        async () => {
          const created = await write(kind.create, { name, config: {} });
          toast(`Created ${kind.singular.toLowerCase()} ${name}`);
          navigate(resourcePath(kind, idOf(created) || name));
        },
        errors,
      );
    });
    actions.push(create);
  }

  tagNames()
    .then((found) => {
      names = found;
      const wanted = ctx.query.get("tag") || "";
      for (const [id, name] of Object.entries(found).sort((a, b) => a[1].localeCompare(b[1]))) {
        tagFilter.append(h("option", { value: id, text: name, selected: id === wanted }));
      }
      if (wanted) tagFilter.value = wanted;
      load();
    })
    .catch((err) => {
      errors.append(errorBox(err, "Could not list tags"));
      load();
    });

  return h(
    "div.resources",
    { dataset: { kind: kind.path } },
    pageHeader(kind.label, ...actions),
    h(
      "form.inline-form.search",
      { role: "search", onsubmit: (event) => event.preventDefault() },
      h("div.field", {}, h("label", { for: "resource-search", text: "Search" }), terms),
      h("div.field", {}, h("label", { for: "resource-tag", text: "Tag" }), tagFilter),
    ),
    errors,
    results,
    pager,
  );
}
