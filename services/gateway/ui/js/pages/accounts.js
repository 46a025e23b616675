// Git provider and image registry accounts (admins only). The API gives admins the tokens; the page never
// shows them: a token is "set" or "not set", and a new one is typed into an empty password field.

import { idOf, read, write } from "../api.js";
import { h, replace } from "../dom.js";
import { adminTable, adminOnly } from "../admin.js";
import { busy, confirmDialog, errorBox, loadingBlock, pageHeader, stateBadge, toast } from "../ui.js";

const KINDS = [
  {
    key: "git",
    title: "Git provider accounts",
    singular: "git account",
    list: "ListGitProviderAccounts",
    create: "CreateGitProviderAccount",
    update: "UpdateGitProviderAccount",
    remove: "DeleteGitProviderAccount",
    domain: "github.com",
    https: true,
  },
  {
    key: "registry",
    title: "Image registry accounts",
    singular: "registry account",
    list: "ListImageRegistryAccounts",
    create: "CreateImageRegistryAccount",
    update: "UpdateImageRegistryAccount",
    remove: "DeleteImageRegistryAccount",
    domain: "docker.io",
    https: false,
  },
];

function tokenState(account) {
  return stateBadge(account.token ? "Set" : "Not set");
}

/**
 * The form of a new or an existing account. The token field always starts empty: for an existing account an
 * empty field keeps the stored token.
 */
function accountForm(spec, account, errors, done, cancel) {
  const prefix = `${spec.key}-${account ? "edit" : "new"}`;
  const domain = h("input", { id: `${prefix}-domain`, required: true, value: account ? account.domain : spec.domain });
  const username = h("input", { id: `${prefix}-username`, required: true, autocomplete: "off", value: account ? account.username : "" });
  const token = h("input", {
    id: `${prefix}-token`,
    type: "password",
    autocomplete: "new-password",
    placeholder: account ? (account.token ? "set — type to replace" : "not set") : "",
  });
  const https = spec.https ? h("input", { id: `${prefix}-https`, type: "checkbox", checked: account ? account.https : true }) : null;
  const save = h("button.primary", { type: "submit", text: account ? "Save" : `Add ${spec.singular}` });
  const fields = (id, label, input) => h("div.field", {}, h("label", { for: id, text: label }), input);
  return h(
    `form.inline-form.account-form`,
    {
      dataset: { kind: spec.key },
      onsubmit: async (event) => {
        event.preventDefault();
        const fieldsOut = { domain: domain.value, username: username.value };
        if (https) fieldsOut.https = https.checked;
        if (token.value) fieldsOut.token = token.value;
        await busy(save, async () => {
          if (account) await write(spec.update, { id: idOf(account), account: fieldsOut });
          else await write(spec.create, { account: fieldsOut });
          token.value = "";
          toast(`${account ? "Saved" : "Added"} ${fieldsOut.username}@${fieldsOut.domain}`);
          if (!account) username.value = "";
          await done();
        }, errors);
      },
    },
    fields(`${prefix}-domain`, "Domain", domain),
    fields(`${prefix}-username`, "Username", username),
    fields(`${prefix}-token`, account ? "New token" : "Token", token),
    https ? h("div.check-field", {}, https, h("label", { for: `${prefix}-https`, text: " HTTPS" })) : null,
    cancel,
    save,
  );
}

function section(spec) {
  const errors = h("div", { "aria-live": "polite" });
  const list = h("div", {}, loadingBlock(2));
  const editSlot = h("div");

  async function load() {
    try {
      const accounts = await read(spec.list, {});
      const columns = [
        { label: "Domain", cell: (a) => a.domain },
        { label: "Username", cell: (a) => a.username },
        { label: "Token", cell: tokenState },
      ];
      if (spec.https) {
        columns.push({ label: "Protocol", cell: (a) => (a.ssh_private_key ? "SSH" : a.https ? "HTTPS" : "HTTP") });
      }
      columns.push({
        label: "",
        class: "right",
        cell: (a) => {
          const edit = h("button.small", { type: "button", text: "Edit" });
          edit.setAttribute("aria-label", `Edit ${a.username}@${a.domain}`);
          edit.addEventListener("click", () => {
            const cancel = h("button", { type: "button", text: "Cancel" });
            cancel.addEventListener("click", () => replace(editSlot));
            const form = accountForm(spec, a, errors, async () => {
              replace(editSlot);
              await load();
            }, cancel);
            replace(editSlot, h("div.card", {}, h("h3", { text: `Edit ${a.username}@${a.domain}` }), form));
            form.querySelector("input").focus();
          });
          const remove = h("button.danger.small", { type: "button", text: "Delete" });
          remove.setAttribute("aria-label", `Delete ${a.username}@${a.domain}`);
          remove.addEventListener("click", async () => {
            const sure = await confirmDialog({
              title: `Delete the ${spec.singular} ${a.username}@${a.domain}?`,
              message: "Resources that use it can no longer authenticate with it.",
              confirm: "Delete",
              danger: true,
            });
            if (!sure) return;
            await busy(remove, async () => {
              await write(spec.remove, { id: idOf(a) });
              toast(`Deleted ${a.username}@${a.domain}`);
              replace(editSlot);
              await load();
            }, errors);
          });
          return h("span.row-actions", {}, edit, remove);
        },
      });
      replace(list, adminTable(columns, accounts, { empty: `No ${spec.singular}s yet.` }));
    } catch (err) {
      replace(list, errorBox(err, `Could not list the ${spec.singular}s`));
    }
  }

  load();
  return h(
    "section.accounts",
    { dataset: { kind: spec.key } },
    h("h2", { text: spec.title }),
    accountForm(spec, null, errors, load, null),
    errors,
    editSlot,
    list,
  );
}

/** The accounts page. */
export async function render(ctx) {
  const refused = adminOnly(ctx, "Accounts");
  if (refused) return refused;
  return h(
    "div.admin-page",
    {},
    pageHeader("Accounts"),
    h("p.muted", { text: "Tokens that builds, repos and stacks use to clone and to push or pull images. Tokens are never shown again." }),
    KINDS.map(section),
  );
}
