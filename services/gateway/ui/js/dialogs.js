// Modal dialogs of the resource pages beyond ui.js's confirmDialog: asking a name (create, copy, rename,
// launch) and confirming a config change with its diff. Both are <dialog> forms: Escape cancels, focus starts
// in the dialog and returns to where it was.

import { h } from "./dom.js";
import { showValue } from "./schema_form.js";

function modal(titleText, body, { confirm, danger = false, onOpen = null, valid = () => true }) {
  return new Promise((resolve) => {
    const before = document.activeElement;
    const ok = h(`button.${danger ? "danger" : "primary"}`, { type: "submit", text: confirm });
    const cancel = h("button", { type: "button", text: "Cancel" });
    const titleId = "dialog-title";
    const form = h("form", { method: "dialog" }, h("h2", { id: titleId, text: titleText }), body, h("div.actions", {}, cancel, ok));
    const dialog = h("dialog.confirm", { "aria-labelledby": titleId }, form);
    const finish = (value) => {
      dialog.close();
      dialog.remove();
      if (before && before.focus) before.focus();
      resolve(value);
    };
    cancel.addEventListener("click", () => finish(null));
    dialog.addEventListener("cancel", (event) => {
      event.preventDefault();
      finish(null);
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const value = valid();
      if (value !== null && value !== undefined) finish(value);
    });
    document.body.append(dialog);
    dialog.showModal();
    if (onOpen) onOpen(ok);
    else cancel.focus();
  });
}

/**
 * Asks for a name; resolves to the trimmed name, or null when cancelled. `value` pre-fills it (selected).
 */
export function promptDialog({ title, label = "Name", value = "", confirm = "OK", message = "" }) {
  const input = h("input", { type: "text", value, required: true, autocomplete: "off", spellcheck: "false" });
  const body = h(
    "div",
    {},
    message ? h("p", { text: message }) : null,
    h("label", {}, label, input),
  );
  return modal(title, body, {
    confirm,
    onOpen: () => {
      input.focus();
      input.select();
    },
    valid: () => input.value.trim() || null,
  });
}

/**
 * Shows the changed fields (path: old → new) and asks to save them; resolves true or false.
 */
export async function diffDialog({ title, changes, confirm = "Save" }) {
  const rows = changes.map((c) =>
    h(
      "tr",
      {},
      h("th", { scope: "row" }, h("code", { text: c.path })),
      h("td", {}, h("pre.diff-old", { text: showValue(c.before) })),
      h("td", {}, h("pre.diff-new", { text: showValue(c.after) })),
    ),
  );
  const body = h(
    "div.diff",
    {},
    h("p", { text: `${changes.length} field${changes.length === 1 ? "" : "s"} change:` }),
    h(
      "div.table-wrap",
      {},
      h(
        "table",
        {},
        h("thead", {}, h("tr", {}, h("th", { scope: "col", text: "Field" }), h("th", { scope: "col", text: "Before" }),
          h("th", { scope: "col", text: "After" }))),
        h("tbody", {}, rows),
      ),
    ),
  );
  const answer = await modal(title, body, { confirm, onOpen: (ok) => ok.focus(), valid: () => true });
  return answer === true;
}

/**
 * Edits a resource's description and tags: `tags` is [{id, name, checked}]. Resolves to
 * {description, tags: [ids], newTag: a name to create and add, or ""}, or null when cancelled.
 */
export function metaDialog({ title, description = "", tags = [] }) {
  const text = h("textarea", { rows: 3, value: description });
  const newTag = h("input", { type: "text", autocomplete: "off", placeholder: "optional" });
  const boxes = tags.map((tag) => ({ id: tag.id, box: h("input", { type: "checkbox", checked: tag.checked }), name: tag.name }));
  const body = h(
    "div.meta",
    {},
    h("label", {}, "Description", text),
    h(
      "fieldset.nested.choices",
      {},
      h("legend", { text: "Tags" }),
      boxes.length
        ? h("div.choice-list", {}, boxes.map((b) => h("label.choice", {}, b.box, " ", b.name)))
        : h("p.help", { text: "There are no tags yet." }),
      h("label", {}, "New tag", newTag),
    ),
  );
  return modal(title, body, {
    confirm: "Save",
    onOpen: () => text.focus(),
    valid: () => ({
      description: text.value,
      tags: boxes.filter((b) => b.box.checked).map((b) => b.id),
      newTag: newTag.value.trim(),
    }),
  });
}
