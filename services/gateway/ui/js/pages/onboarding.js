// Onboarding keys (admins only): a new host's agent presents one to create or claim its Server. The private
// key is shown once, right after creation; the list has public keys only.

import { idOf, read, write } from "../api.js";
import { h, replace } from "../dom.js";
import { adminOnly, adminTable, expiryFromDays } from "../admin.js";
import { busy, confirmDialog, errorBox, formatTime, loadingBlock, pageHeader, stateBadge, tagChips, toast } from "../ui.js";

function short(key) {
  return key.length > 24 ? `${key.slice(0, 12)}…${key.slice(-8)}` : key;
}

function check(id, label, help, checked = false) {
  const box = h("input", { id, type: "checkbox", checked });
  return { box, node: h("div.check-field", {}, box, h("label", { for: id, text: ` ${label}` }), h("span.help", { text: help })) };
}

/**
 * The fields of a key, new (`key` null) or existing: name, expiry (new keys only: days from now), options, the
 * server whose config new servers copy, and the tags they get. `servers` and `tags` are the lists to pick from.
 */
function keyFields(prefix, key, servers, tags) {
  const name = h("input", { id: `${prefix}-name`, required: true, autocomplete: "off", value: key ? key.name : "", placeholder: "e.g. web hosts" });
  const days = key ? null : h("input", { id: `${prefix}-days`, type: "number", min: 0, value: 0 });
  const singleUse = key ? null : check(`${prefix}-single`, "Single use", "disabled after one agent onboards");
  const privileged = check(`${prefix}-privileged`, "Privileged", "may also claim existing servers", key && key.privileged);
  const builder = check(`${prefix}-builder`, "Create a builder", "for each new server", key && key.create_builder);
  const copy = h(
    "select",
    { id: `${prefix}-copy` },
    h("option", { value: "", text: "none (defaults)" }),
    servers.map((s) => h("option", { value: s.id, text: s.name, selected: key && key.copy_server === s.id })),
  );
  const tagBoxes = tags.map((t) => {
    const box = h("input", { type: "checkbox", value: idOf(t), checked: key && (key.tags || []).includes(idOf(t)) });
    return { box, node: h("label.check", {}, box, ` ${t.name}`) };
  });
  const node = h(
    "div",
    {},
    h(
      "div.inline-form",
      {},
      h("div.field", {}, h("label", { for: `${prefix}-name`, text: "Name" }), name),
      days ? h("div.field", {}, h("label", { for: `${prefix}-days`, text: "Expires after (days, 0 = never)" }), days) : null,
      h("div.field", {}, h("label", { for: `${prefix}-copy`, text: "New servers copy the config of" }), copy),
    ),
    singleUse ? singleUse.node : null,
    privileged.node,
    builder.node,
    tags.length
      ? h("fieldset.tag-picks", {}, h("legend", { text: "Tags of new servers" }), h("div.checks", {}, tagBoxes.map((b) => b.node)))
      : null,
  );
  return {
    node,
    focus: () => name.focus(),
    values: () => ({
      name: name.value,
      ...(days ? { expires: expiryFromDays(days.value) } : {}),
      ...(singleUse ? { single_use: singleUse.box.checked } : {}),
      privileged: privileged.box.checked,
      create_builder: builder.box.checked,
      copy_server: copy.value,
      tags: tagBoxes.filter((b) => b.box.checked).map((b) => b.box.value),
    }),
  };
}

/** The onboarding keys page. */
export async function render(ctx) {
  const refused = adminOnly(ctx, "Onboarding keys");
  if (refused) return refused;
  const list = h("section", {}, loadingBlock(3));
  const errors = h("div", { "aria-live": "polite" });
  const created = h("div", { "aria-live": "polite" });
  const formSlot = h("div", {}, loadingBlock(8));
  const editSlot = h("div");
  let servers = [];
  let tags = [];

  function editForm(key) {
    const fields = keyFields("onb-edit", key, servers, tags);
    const save = h("button.primary", { type: "submit", text: "Save" });
    const cancel = h("button", { type: "button", text: "Cancel" });
    cancel.addEventListener("click", () => replace(editSlot));
    replace(
      editSlot,
      h(
        "form.card.onboarding-form",
        {
          onsubmit: async (event) => {
            event.preventDefault();
            await busy(save, async () => {
              await write("UpdateOnboardingKey", { public_key: key.public_key, ...fields.values() });
              toast(`Saved ${fields.values().name}`);
              replace(editSlot);
              await load();
            }, errors);
          },
        },
        h("h2", { text: `Edit ${key.name || short(key.public_key)}` }),
        fields.node,
        h("div.actions", {}, cancel, save),
      ),
    );
    fields.focus();
  }

  function actions(key) {
    const label = key.name || key.public_key;
    const edit = h("button.small", { type: "button", text: "Edit" });
    edit.setAttribute("aria-label", `Edit ${label}`);
    edit.addEventListener("click", () => editForm(key));
    const toggle = h("button.small", { type: "button", text: key.enabled ? "Disable" : "Enable" });
    toggle.setAttribute("aria-label", `${key.enabled ? "Disable" : "Enable"} ${label}`);
    toggle.addEventListener("click", () =>
      busy(toggle, async () => {
        await write("UpdateOnboardingKey", { public_key: key.public_key, enabled: !key.enabled });
        toast(`${key.enabled ? "Disabled" : "Enabled"} ${key.name}`);
        await load();
      }, errors),
    );
    const remove = h("button.danger.small", { type: "button", text: "Delete" });
    remove.setAttribute("aria-label", `Delete ${label}`);
    remove.addEventListener("click", async () => {
      const sure = await confirmDialog({
        title: `Delete the onboarding key ${key.name}?`,
        message: "Agents that have not onboarded yet can no longer use it; servers it onboarded stay.",
        confirm: "Delete",
        danger: true,
      });
      if (!sure) return;
      await busy(remove, async () => {
        await write("DeleteOnboardingKey", { public_key: key.public_key });
        toast(`Deleted ${key.name}`);
        replace(editSlot);
        await load();
      }, errors);
    });
    return h("span.row-actions", {}, edit, toggle, remove);
  }

  async function load() {
    try {
      const keys = await read("ListOnboardingKeys", {});
      const serverNames = Object.fromEntries(servers.map((s) => [s.id, s.name]));
      const tagNames = Object.fromEntries(tags.map((t) => [idOf(t), t.name]));
      replace(
        list,
        adminTable(
          [
            { label: "Name", cell: (k) => k.name || h("span.muted", { text: "—" }) },
            { label: "Public key", cell: (k) => h("code", { text: short(k.public_key), title: k.public_key }) },
            { label: "State", cell: (k) => stateBadge(k.enabled ? "Enabled" : "Disabled") },
            { label: "Expires", cell: (k) => (k.expires ? formatTime(k.expires) : "never") },
            { label: "Onboarded", cell: (k) => String((k.onboarded || []).length) },
            {
              label: "Options",
              cell: (k) =>
                [k.single_use && "single use", k.privileged && "privileged", k.create_builder && "creates a builder",
                  k.copy_server && `copies ${serverNames[k.copy_server] || k.copy_server}`].filter(Boolean).join(", ") || "—",
            },
            { label: "Tags", cell: (k) => tagChips(k.tags, tagNames) },
            { label: "", class: "right", cell: actions },
          ],
          keys,
          { empty: "No onboarding keys yet." },
        ),
      );
    } catch (err) {
      replace(list, errorBox(err, "Could not list the onboarding keys"));
    }
  }

  function createForm() {
    const fields = keyFields("onb", null, servers, tags);
    const create = h("button.primary", { type: "submit", text: "Create key" });
    return h(
      "form.card.onboarding-form",
      {
        onsubmit: async (event) => {
          event.preventDefault();
          await busy(create, async () => {
            const answer = await write("CreateOnboardingKey", fields.values());
            replace(
              created,
              h(
                "div.secret-once",
                { role: "status" },
                h("p", {}, h("strong", { text: "Copy the private key now: " }), "it is not shown again. Give it to the agent as ",
                  h("code", { text: "VARANUS_AGENT_ONBOARDING_KEY" }), "."),
                h("dl", {},
                  h("dt", { text: "Name" }), h("dd", { text: answer.created.name }),
                  h("dt", { text: "Private key" }), h("dd", {}, h("code.secret", { text: answer.private_key }))),
              ),
            );
            replace(formSlot, createForm());
            await load();
          }, errors);
        },
      },
      h("h2", { text: "New onboarding key" }),
      fields.node,
      h("div.actions", {}, create),
    );
  }

  // The servers and tags to pick from; the page still works (without them) when they cannot be read.
  Promise.all([
    read("ListServers", {}).catch((err) => {
      replace(errors, errorBox(err, "Could not list the servers"));
      return [];
    }),
    read("ListTags", {}).catch((err) => {
      replace(errors, errorBox(err, "Could not list the tags"));
      return [];
    }),
  ]).then(([s, t]) => {
    servers = s;
    tags = t;
    replace(formSlot, createForm());
    load();
  });
  return h(
    "div.admin-page",
    {},
    pageHeader("Onboarding keys"),
    h("p.muted", { text: "An agent on a new host uses an onboarding key once to join and create (or claim) its Server." }),
    formSlot,
    errors,
    created,
    editSlot,
    list,
  );
}
