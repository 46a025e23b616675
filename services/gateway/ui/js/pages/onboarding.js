// Onboarding keys (admins only): a new host's agent presents one to create or claim its Server. The private
// key is shown once, right after creation; the list has public keys only.

import { read, write } from "../api.js";
import { h, replace } from "../dom.js";
import { adminTable, adminOnly, expiryFromDays } from "../admin.js";
import { busy, confirmDialog, errorBox, formatTime, loadingBlock, pageHeader, stateBadge, toast } from "../ui.js";

function short(key) {
  return key.length > 24 ? `${key.slice(0, 12)}…${key.slice(-8)}` : key;
}

function check(id, label, help) {
  const box = h("input", { id, type: "checkbox" });
  return { box, node: h("div.check-field", {}, box, h("label", { for: id, text: ` ${label}` }), h("span.help", { text: help })) };
}

/** The onboarding keys page. */
export async function render(ctx) {
  const refused = adminOnly(ctx, "Onboarding keys");
  if (refused) return refused;
  const list = h("section", {}, loadingBlock(3));
  const errors = h("div", { "aria-live": "polite" });
  const created = h("div", { "aria-live": "polite" });

  function actions(key) {
    const toggle = h("button.small", { type: "button", text: key.enabled ? "Disable" : "Enable" });
    toggle.setAttribute("aria-label", `${key.enabled ? "Disable" : "Enable"} ${key.name || key.public_key}`);
    toggle.addEventListener("click", () =>
      busy(toggle, async () => {
        await write("UpdateOnboardingKey", { public_key: key.public_key, enabled: !key.enabled });
        toast(`${key.enabled ? "Disabled" : "Enabled"} ${key.name}`);
        await load();
      }, errors),
    );
    const remove = h("button.danger.small", { type: "button", text: "Delete" });
    remove.setAttribute("aria-label", `Delete ${key.name || key.public_key}`);
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
        await load();
      }, errors);
    });
    return h("span.row-actions", {}, toggle, remove);
  }

  async function load() {
    try {
      const keys = await read("ListOnboardingKeys", {});
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
                  k.copy_server && `copies ${k.copy_server}`].filter(Boolean).join(", ") || "—",
            },
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

  const name = h("input#onb-name", { id: "onb-name", required: true, autocomplete: "off", placeholder: "e.g. web hosts" });
  const days = h("input#onb-days", { id: "onb-days", type: "number", min: 0, value: 0 });
  const singleUse = check("onb-single", "Single use", "disabled after one agent onboards");
  const privileged = check("onb-privileged", "Privileged", "may also claim existing servers");
  const builder = check("onb-builder", "Create a builder", "for each new server");
  const create = h("button.primary", { type: "submit", text: "Create key" });
  const form = h(
    "form.card.onboarding-form",
    {
      onsubmit: async (event) => {
        event.preventDefault();
        await busy(create, async () => {
          const answer = await write("CreateOnboardingKey", {
            name: name.value,
            expires: expiryFromDays(days.value),
            single_use: singleUse.box.checked,
            privileged: privileged.box.checked,
            create_builder: builder.box.checked,
          });
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
          name.value = "";
          await load();
        }, errors);
      },
    },
    h("h2", { text: "New onboarding key" }),
    h("div.inline-form",
      {},
      h("div.field", {}, h("label", { for: "onb-name", text: "Name" }), name),
      h("div.field", {}, h("label", { for: "onb-days", text: "Expires after (days, 0 = never)" }), days)),
    singleUse.node,
    privileged.node,
    builder.node,
    h("div.actions", {}, create),
  );

  load();
  return h(
    "div.admin-page",
    {},
    pageHeader("Onboarding keys"),
    h("p.muted", { text: "An agent on a new host uses an onboarding key once to join and create (or claim) its Server." }),
    form,
    errors,
    created,
    list,
  );
}
