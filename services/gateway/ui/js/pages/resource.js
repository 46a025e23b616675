// The detail page of one resource (#/deployments/<id or name>): header with name, state and tags; Copy,
// Rename, Delete; the kind's executions as buttons; tabs: Config (a form from the config's JSON Schema, saved
// as the diff of what changed), Updates (live), and the extra tabs others register in detail_tabs.js.
// What the user may do follows GetPermission: below Write the form is read-only and write buttons are not
// shown, below Execute no execution buttons either.

import { execute, idOf, openApi, read, write } from "../api.js";
import { extraTabs } from "../detail_tabs.js";
import { diffDialog, metaDialog, promptDialog } from "../dialogs.js";
import { h, replace, uid } from "../dom.js";
import { executionsOf } from "../executions.js";
import { navigate } from "../router.js";
import { FieldError, changedFields, configSchema, schemaForm } from "../schema_form.js";
import { liveUpdateList, updateState } from "../update_items.js";
import { onStreamStatus, onUpdate } from "../updates.js";
import { busy, confirmDialog, errorBox, link, loadingBlock, stateBadge, tagChips, toast } from "../ui.js";
import { STATEFUL, canCreate, getCoreInfo, resourcePath, tagNames } from "./resources.js";

/** Komodo's permission levels, weakest first. */
const LEVELS = ["None", "Read", "Execute", "Write"];
const READ = 1;
const EXECUTE = 2;
const WRITE = 3;

/**
 * The caller's level on the resource (0–3): GetPermission (admins: Write), capped at Execute when the core
 * says the UI is read-only (`ui_write_disabled`); `readOnlyUi` tells which of the two it is.
 */
async function levelOn(kind, resource, user) {
  let level = WRITE;
  let readOnlyUi = false;
  if (!user.admin) {
    const permission = await read("GetPermission", { target: { type: kind.type, id: idOf(resource) } });
    level = Math.max(0, LEVELS.indexOf(permission.level));
  }
  try {
    const info = await getCoreInfo();
    if (info.ui_write_disabled && level > EXECUTE) {
      level = EXECUTE;
      readOnlyUi = true;
    }
  } catch {
    // Without core info the server still refuses what it must.
  }
  return { level, readOnlyUi };
}

/** The state the list shows for the resource (the Get answer has no live state), or null. */
async function liveState(kind, resource) {
  if (kind.type === "Alerter") return resource.config && resource.config.enabled ? "Enabled" : "Disabled";
  if (!STATEFUL.has(kind.type)) return null;
  const items = await read(kind.list, { query: { names: [idOf(resource)] }, limit: 1 });
  return items.length ? items[0].info.state : null;
}

/** Tabs with arrow-key movement between them (WAI-ARIA tabs); `show(tab, panel)` fills the chosen panel. */
function tabs(list, initial, show) {
  const bar = h("div.tabs", { role: "tablist", "aria-label": "Sections" });
  const panel = h("div.tab-panel", { role: "tabpanel", tabindex: "0" });
  const buttons = list.map((tab) => {
    const id = uid("tab");
    const button = h("button.tab", {
      type: "button",
      role: "tab",
      id,
      "aria-selected": "false",
      "aria-controls": "tab-panel",
      tabindex: "-1",
      text: tab.label,
      dataset: { tab: tab.id },
    });
    button.addEventListener("click", () => select(tab));
    button.addEventListener("keydown", (event) => {
      const at = list.indexOf(tab);
      const to = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: list.length - 1 }[event.key];
      if (to === undefined) return;
      event.preventDefault();
      const next = list[(to + list.length) % list.length];
      select(next);
      buttons[list.indexOf(next)].focus();
    });
    bar.append(button);
    return button;
  });
  panel.id = "tab-panel";
  function select(tab) {
    buttons.forEach((b, i) => {
      const on = list[i] === tab;
      b.setAttribute("aria-selected", String(on));
      b.tabIndex = on ? 0 : -1;
      if (on) panel.setAttribute("aria-labelledby", b.id);
    });
    show(tab, panel);
  }
  select(list.find((t) => t.id === initial) || list[0]);
  return h("div.tabbed", {}, bar, panel);
}

/** The detail page of the resource `ctx.params.id` of `kind`. */
export async function render(ctx, kind) {
  const key = ctx.params.id;
  const page = h(
    "div.resource",
    { dataset: { kind: kind.path } },
    h("header.page-header", {}, h("h1", { text: key }), h("div.actions")),
    loadingBlock(8),
  );
  fill(ctx, kind, key, page).catch((err) => {
    if (!ctx.current()) return;
    replace(
      page,
      h("header.page-header", {}, h("h1", { text: key })),
      errorBox(err, `Could not load the ${kind.singular.toLowerCase()}`),
      h("p", {}, link(`/${kind.path}`, `All ${kind.label.toLowerCase()}`)),
    );
  });
  return page;
}

async function fill(ctx, kind, key, page) {
  let resource = await read(kind.get, { [kind.param]: key });
  const [{ level, readOnlyUi }, names, state, mayCreate] = await Promise.all([
    levelOn(kind, resource, ctx.user),
    tagNames().catch(() => ({})),
    liveState(kind, resource).catch(() => null),
    canCreate(kind, ctx.user),
  ]);
  if (!ctx.current()) return;
  const id = idOf(resource);
  document.title = `${resource.name} · ${kind.label} · Varanus`;

  const title = h("h1", { text: resource.name });
  const stateSlot = h("span.state-slot", {}, state === null ? null : stateBadge(state));
  const chips = () => (resource.tags && resource.tags.length ? tagChips(resource.tags, names) : null);
  const tagSlot = h("span.tag-slot", {}, chips());
  const describe = () => (resource.description ? h("p.description", { text: resource.description }) : null);
  const descriptionSlot = h("div.description-slot", {}, describe());
  const errors = h("div.header-errors");
  const actions = h("div.actions");

  if (mayCreate && level >= READ) {
    const copy = h("button", { type: "button", text: "Copy" });
    copy.addEventListener("click", async () => {
      const name = await promptDialog({
        title: `Copy ${resource.name}`,
        label: "Name of the copy",
        value: `${resource.name}-copy`,
        confirm: "Copy",
      });
      if (!name) return;
      await busy(copy, async () => {
        const copied = await write(kind.copy, { name, id });
        toast(`Copied to ${name}`);
        navigate(resourcePath(kind, idOf(copied) || name));
      }, errors);
    });
    actions.append(copy);
  }
  if (level >= WRITE) {
    const meta = h("button", { type: "button", text: "Edit tags" });
    meta.addEventListener("click", async () => {
      const answer = await metaDialog({
        title: `Tags and description of ${resource.name}`,
        description: resource.description || "",
        tags: Object.entries(names)
          .sort((a, b) => a[1].localeCompare(b[1]))
          .map(([tagId, name]) => ({ id: tagId, name, checked: (resource.tags || []).includes(tagId) })),
      });
      if (!answer) return;
      await busy(meta, async () => {
        const { newTag, ...change } = answer;
        if (newTag) {
          const made = await write("CreateTag", { name: newTag });
          names[idOf(made)] = made.name;
          change.tags = [...change.tags, idOf(made)];
        }
        await write("UpdateResourceMeta", { target: { type: kind.type, id }, ...change });
        resource = { ...resource, ...change };
        replace(tagSlot, chips());
        replace(descriptionSlot, describe());
        toast(`Saved the tags and description of ${resource.name}`);
      }, errors);
    });
    actions.append(meta);
    const rename = h("button", { type: "button", text: "Rename" });
    rename.addEventListener("click", async () => {
      const name = await promptDialog({ title: `Rename ${resource.name}`, label: "New name", value: resource.name, confirm: "Rename" });
      if (!name || name === resource.name) return;
      await busy(rename, async () => {
        await write(kind.rename, { id, name });
        resource = { ...resource, name };
        title.textContent = name;
        document.title = `${name} · ${kind.label} · Varanus`;
        toast(`Renamed to ${name}`);
        // The address may hold the old name: point it at the id, without re-rendering the page.
        history.replaceState(null, "", `#${resourcePath(kind, id)}`);
      }, errors);
    });
    const remove = h("button.danger", { type: "button", text: "Delete" });
    remove.addEventListener("click", async () => {
      const sure = await confirmDialog({
        title: `Delete ${kind.singular.toLowerCase()} ${resource.name}?`,
        message: "It is gone for good, with its configuration and permissions.",
        confirm: "Delete",
        danger: true,
        typed: resource.name,
      });
      if (!sure) return;
      await busy(remove, async () => {
        await write(kind.remove, { id });
        toast(`Deleted ${resource.name}`);
        navigate(`/${kind.path}`);
      }, errors);
    });
    actions.append(rename, remove);
  }

  const execSection = executionBar(ctx, kind, () => resource, level);

  // The header's state follows the Updates about this resource.
  let pending = null;
  const refreshState = () => {
    clearTimeout(pending);
    pending = setTimeout(async () => {
      try {
        const now = await liveState(kind, resource);
        replace(stateSlot, now === null ? null : stateBadge(now));
      } catch {
        // The next Update tries again; the tabs show their own errors.
      }
    }, 400);
  };
  ctx.onLeave(() => clearTimeout(pending));
  ctx.onLeave(
    onUpdate((update) => {
      if (update.target && update.target.type === kind.type && update.target.id === id) refreshState();
    }),
  );

  // Tab contents register their cleanups here; switching tab runs them.
  let tabCleanups = [];
  const leaveTab = () => {
    for (const fn of tabCleanups) fn();
    tabCleanups = [];
  };
  ctx.onLeave(leaveTab);
  const tabCtx = { ...ctx, onLeave: (fn) => tabCleanups.push(fn) };

  const list = [
    { id: "config", label: "Config", render: () => configTab(tabCtx, kind, () => resource, (r) => (resource = r), level) },
    { id: "updates", label: "Updates", render: () => updatesTab(tabCtx, kind, resource) },
    ...extraTabs(kind.type, ctx.user).map((tab) => ({
      id: tab.id,
      label: tab.label,
      render: async () => (await tab.load()).render(tabCtx, resource, kind),
    })),
  ];
  const tabbed = tabs(list, ctx.query.get("tab") || "config", (tab, panel) => {
    leaveTab();
    replace(panel, loadingBlock(6));
    const params = new URLSearchParams(location.hash.split("?")[1] || "");
    if (tab.id === "config") params.delete("tab");
    else params.set("tab", tab.id);
    const query = params.toString();
    history.replaceState(null, "", `#${location.hash.slice(1).split("?")[0]}${query ? `?${query}` : ""}`);
    Promise.resolve()
      .then(tab.render)
      .then((node) => {
        if (ctx.current() && node) replace(panel, node);
      })
      .catch((err) => {
        if (ctx.current()) replace(panel, errorBox(err, `The ${tab.label} tab failed`));
      });
  });

  const focused = document.activeElement === page.querySelector("h1");
  replace(
    page,
    h(
      "header.page-header.resource-header",
      {},
      h("div.title", {}, title, stateSlot, tagSlot),
      actions,
    ),
    descriptionSlot,
    level < WRITE
      ? h("p.notice.readonly", {
          text: readOnlyUi
            ? "Writing from the UI is disabled on this core (ui_write_disabled): the configuration is read-only."
            : `You have ${LEVELS[level]} permission on this ${kind.singular.toLowerCase()}: its configuration is read-only.`,
        })
      : null,
    errors,
    execSection,
    tabbed,
  );
  // The router focused the placeholder heading; keep the focus on the page's heading.
  if (focused) {
    title.tabIndex = -1;
    title.focus({ preventScroll: true });
  }
}

/**
 * The execution buttons of the kind, with the link to the Update each started (its state kept current from
 * the stream); null below Execute.
 */
function executionBar(ctx, kind, current, level) {
  const resource = current();
  const list = executionsOf(kind.type, resource);
  if (level < EXECUTE || !list.length) return null;
  const result = h("div.execution-result", { "aria-live": "polite" });
  let followed = null;
  let badge = null;
  const follow = (update) => {
    if (followed && badge && idOf(update) === followed) {
      const next = stateBadge(updateState(update));
      badge.replaceWith(next);
      badge = next;
    }
  };
  ctx.onLeave(onUpdate(follow));
  const buttons = list.map((ex) => {
    const button = h(`button${ex.danger ? ".danger" : ""}`, { type: "button", text: ex.label, dataset: { execution: ex.name } });
    button.addEventListener("click", async () => {
      const now = current();
      if (ex.danger) {
        const sure = await confirmDialog({
          title: `${ex.label}: ${now.name}?`,
          message: `This sends ${ex.name} for ${kind.singular.toLowerCase()} ${now.name}.`,
          confirm: ex.label,
          danger: true,
          typed: ex.typed ? now.name : null,
        });
        if (!sure) return;
      }
      const params = { [kind.param]: idOf(now), ...(ex.params ? ex.params(now) : {}) };
      if (ex.ask === "name") {
        const name = await promptDialog({ title: ex.label, label: "Name of the new server", confirm: ex.label });
        if (!name) return;
        params.name = name;
      }
      await busy(
        button,
        async () => {
          const update = await execute(ex.name, params);
          const updateId = idOf(update);
          followed = updateId;
          badge = stateBadge(updateState(update));
          // A quick run may have ended before its answer came: read the Update once to catch up.
          if (updateId) read("GetUpdate", { id: updateId }).then(follow, () => {});
          replace(
            result,
            h(
              "p.notice",
              {},
              `${ex.label}: `,
              badge,
              " ",
              updateId ? link(`/updates/${updateId}`, `see its Update (${update.operation || ex.name})`) : "sent",
            ),
          );
        },
        result,
      );
    });
    return button;
  });
  return h(
    "section.executions",
    { "aria-label": "Executions" },
    h("div.execution-buttons", {}, buttons),
    result,
  );
}

/**
 * The Config tab: the schema form, Save (after the diff) and Reset; disabled below Write. A change saved
 * elsewhere is loaded at once when this form has no unsaved changes, and announced when it has.
 */
async function configTab(ctx, kind, current, store, level) {
  const openapi = await openApi();
  const schemas = openapi.components.schemas;
  const schema = configSchema(openapi, kind);
  const writable = level >= WRITE;
  const id = idOf(current());
  const errors = h("div.form-errors", { "aria-live": "assertive" });
  const status = h("span.form-status", { role: "status" });
  const slot = h("div.form-slot");
  let form = null;
  // The config the form shows: the diff is taken against it, so a change saved elsewhere meanwhile is not
  // sent back as if the user had made it.
  let base = null;
  let dirty = false;
  const draw = () => {
    base = current().config;
    form = schemaForm(schema, base, schemas, { disabled: !writable });
    replace(slot, form.node);
    dirty = false;
    status.textContent = "";
  };
  const touched = () => {
    if (dirty) return;
    dirty = true;
    status.textContent = "Unsaved changes";
  };
  slot.addEventListener("input", touched);
  slot.addEventListener("change", touched);
  draw();

  let pending = null;
  const reload = async () => {
    try {
      const fresh = await read(kind.get, { [kind.param]: id });
      store({ ...current(), ...fresh });
      if (!dirty) draw();
    } catch (err) {
      replace(errors, errorBox(err, "Could not read the saved configuration"));
    }
  };
  ctx.onLeave(() => clearTimeout(pending));
  ctx.onLeave(
    onUpdate((update) => {
      if (!update.target || update.target.type !== kind.type || update.target.id !== id) return;
      if (update.operation !== kind.update) return;
      if (dirty) {
        status.textContent = "Saved elsewhere meanwhile: Save sends only your changes; Reset shows the stored config.";
      }
      clearTimeout(pending);
      pending = setTimeout(reload, 300);
    }),
  );
  if (!writable) return h("form.config-form", { onsubmit: (e) => e.preventDefault() }, slot);

  const save = h("button.primary", { type: "submit", text: "Save" });
  const reset = h("button", { type: "button", text: "Reset" });
  reset.addEventListener("click", () => {
    replace(errors);
    draw();
  });
  const onSubmit = async (event) => {
    event.preventDefault();
    replace(errors);
    let value;
    try {
      value = form.read();
    } catch (err) {
      replace(errors, errorBox(err, "Cannot save"));
      const bad = err instanceof FieldError ? slot.querySelector(`[name="${CSS.escape(err.path)}"]`) : null;
      if (bad) bad.focus();
      return;
    }
    const resource = current();
    const { patch, changes } = changedFields(base, value);
    if (!changes.length) {
      replace(errors, h("p.notice", { role: "status", text: "Nothing changed." }));
      return;
    }
    const sure = await diffDialog({ title: `Save ${resource.name}?`, changes, confirm: "Save" });
    if (!sure) return;
    await busy(
      save,
      async () => {
        const updated = await write(kind.update, { id, config: patch });
        store({ ...resource, ...updated });
        draw();
        toast(`Saved ${resource.name}`);
      },
      errors,
    );
  };
  return h(
    "form.config-form",
    { onsubmit: onSubmit, novalidate: true },
    slot,
    h("div.form-actions", {}, errors, h("div.actions", {}, status, reset, save)),
  );
}

/** The Updates tab: the resource's Updates, newest first, kept current from the stream. */
async function updatesTab(ctx, kind, resource) {
  const id = idOf(resource);
  const list = liveUpdateList({
    limit: 100,
    accepts: (u) => Boolean(u.target && u.target.type === kind.type && u.target.id === id),
    empty: `No Updates about this ${kind.singular.toLowerCase()} yet.`,
  });
  const errors = h("div");
  const load = async () => {
    try {
      const answer = await read("ListUpdates", { query: { "target.type": kind.type, "target.id": id }, page: 0 });
      list.set(answer.updates || []);
    } catch (err) {
      replace(errors, errorBox(err, "Could not list the Updates"));
    }
  };
  ctx.onLeave(onUpdate((update) => list.push(update)));
  let first = true;
  ctx.onLeave(
    onStreamStatus((status) => {
      if (status === "live" && !first) load();
      if (status === "live") first = false;
    }),
  );
  await load();
  return h("section.card.resource-updates", {}, h("h2", { text: "Updates" }), errors, list.node);
}
