// Variables (`[[NAME]]` in configs): every user may list them; admins create, edit and delete. Secret values
// are never put into the page: the server sends "<redacted>" to non-admins, and admins see •••• too (to
// change a secret they type a new value; the old one is not shown).

import { read, write } from "../api.js";
import { adminTable } from "../admin.js";
import { h, replace } from "../dom.js";
import { busy, confirmDialog, errorBox, loadingBlock, pageHeader, toast } from "../ui.js";

const MASK = "••••";

function valueCell(variable) {
  if (variable.is_secret) {
    return h("span.masked", { title: "A secret: its value is not shown" }, h("span", { "aria-hidden": "true", text: MASK }),
      h("span.sr-only", { text: "secret, hidden" }));
  }
  if (!variable.value) return h("span.muted", { text: "empty" });
  return h("code", { text: variable.value });
}

function field(id, label, input, help = "") {
  return h("div.field", {}, h("label", { for: id, text: label }), input, help ? h("span.help", { text: help }) : null);
}

/** The variables page. */
export async function render(ctx) {
  const admin = Boolean(ctx.user && ctx.user.admin);
  const list = h("section", {}, loadingBlock(4));
  const errors = h("div", { "aria-live": "polite" });
  const editSlot = h("div");

  function editForm(variable) {
    const value = h("textarea#var-edit-value.code", {
      id: "var-edit-value",
      rows: 2,
      // A secret's value stays unknown to the page: an empty field keeps it.
      placeholder: variable.is_secret ? "Type a new value to replace the secret (empty keeps it)" : "",
    });
    if (!variable.is_secret) value.value = variable.value || "";
    const description = h("input#var-edit-description", { id: "var-edit-description", value: variable.description || "" });
    const secret = h("input#var-edit-secret", { id: "var-edit-secret", type: "checkbox", checked: variable.is_secret });
    const save = h("button.primary", { type: "submit", text: "Save" });
    const cancel = h("button", { type: "button", text: "Cancel" });
    cancel.addEventListener("click", () => replace(editSlot));
    const form = h(
      "form.card.edit-variable",
      {
        onsubmit: async (event) => {
          event.preventDefault();
          await busy(save, async () => {
            const name = variable.name;
            if (secret.checked !== variable.is_secret) await write("UpdateVariableIsSecret", { name, is_secret: secret.checked });
            if (description.value !== (variable.description || "")) {
              await write("UpdateVariableDescription", { name, description: description.value });
            }
            const changed = variable.is_secret ? value.value !== "" : value.value !== (variable.value || "");
            if (changed) await write("UpdateVariableValue", { name, value: value.value });
            value.value = "";
            toast(`Saved ${name}`);
            replace(editSlot);
            await load();
          }, errors);
        },
      },
      h("h2", {}, "Edit ", h("code", { text: variable.name })),
      field("var-edit-value", "Value", value),
      field("var-edit-description", "Description", description),
      h("div.check-field", {}, secret, h("label", { for: "var-edit-secret", text: " Secret" })),
      h("div.actions", {}, cancel, save),
    );
    replace(editSlot, form);
    value.focus();
  }

  function actions(variable) {
    const edit = h("button.small", { type: "button", text: "Edit" });
    edit.setAttribute("aria-label", `Edit ${variable.name}`);
    edit.addEventListener("click", () => editForm(variable));
    const remove = h("button.danger.small", { type: "button", text: "Delete" });
    remove.setAttribute("aria-label", `Delete ${variable.name}`);
    remove.addEventListener("click", async () => {
      const sure = await confirmDialog({
        title: `Delete the variable ${variable.name}?`,
        message: `Configs that use [[${variable.name}]] fail to interpolate from then on.`,
        confirm: "Delete",
        danger: true,
        typed: variable.name,
      });
      if (!sure) return;
      await busy(remove, async () => {
        await write("DeleteVariable", { name: variable.name });
        toast(`Deleted ${variable.name}`);
        replace(editSlot);
        await load();
      }, errors);
    });
    return h("span.row-actions", {}, edit, remove);
  }

  async function load() {
    try {
      const variables = await read("ListVariables", {});
      const columns = [
        { label: "Name", cell: (v) => h("code", { text: v.name }) },
        { label: "Value", cell: valueCell },
        { label: "Description", cell: (v) => v.description || "" },
        { label: "Secret", cell: (v) => (v.is_secret ? "yes" : "no") },
      ];
      if (admin) columns.push({ label: "", class: "right", cell: actions });
      replace(list, adminTable(columns, variables, { empty: "No variables yet." }));
    } catch (err) {
      replace(list, errorBox(err, "Could not list the variables"));
    }
  }

  let createForm = null;
  if (admin) {
    const name = h("input#var-name", { id: "var-name", required: true, autocomplete: "off" });
    const value = h("input#var-value", { id: "var-value", autocomplete: "off" });
    const description = h("input#var-description", { id: "var-description" });
    const secret = h("input#var-secret", { id: "var-secret", type: "checkbox" });
    // A secret is typed into a password field, so it is not shown on screen while typed.
    secret.addEventListener("change", () => {
      value.type = secret.checked ? "password" : "text";
    });
    const create = h("button.primary", { type: "submit", text: "Create variable" });
    createForm = h(
      "form.inline-form",
      {
        onsubmit: async (event) => {
          event.preventDefault();
          await busy(create, async () => {
            await write("CreateVariable", {
              name: name.value,
              value: value.value,
              description: description.value,
              is_secret: secret.checked,
            });
            toast(`Created ${name.value}`);
            name.value = "";
            value.value = "";
            description.value = "";
            await load();
          }, errors);
        },
      },
      field("var-name", "Name", name),
      field("var-value", "Value", value),
      field("var-description", "Description", description),
      h("div.check-field", {}, secret, h("label", { for: "var-secret", text: " Secret" })),
      create,
    );
  }

  load();
  return h(
    "div.admin-page",
    {},
    pageHeader("Variables"),
    h("p.muted", {}, "Configs use a variable as ", h("code", { text: "[[NAME]]" }), "; secret values are hidden and redacted from logs.",
      admin ? null : " Only admins change variables."),
    createForm,
    errors,
    editSlot,
    list,
  );
}
