// Stack tab "Compose": the compose file in an editor; "Review change" shows the line diff of the pending text
// against the saved one, and "Save" sends UpdateStack with `config.file_contents` only. Stacks whose files
// are on the host or in a repo show those files read-only (they are changed there), and so does a user
// below Write on the stack.

import { idOf, write } from "../api.js";
import { h, replace, uid } from "../dom.js";
import { unifiedDiff } from "../diff_view.js";
import { busy, errorBox, toast } from "../ui.js";
import { atLeast, permissionLevel } from "./level.js";

function remoteFiles(stack) {
  const info = stack.info || {};
  const files = info.remote_contents || [];
  const errors = info.remote_errors || [];
  const where = stack.config.files_on_host ? "on the server's host" : "in the repository";
  return h(
    "div.compose-remote",
    {},
    h("p.notice", { text: `This stack's compose files are ${where}: they are shown as last read, and changed there.` }),
    errors.map((e) => errorBox({ message: e.contents }, `Could not read ${e.path}`)),
    files.length
      ? files.map((f) => h("section.compose-file", {}, h("h2", {}, h("code", { text: f.path })), h("pre.code-view", { tabindex: "0", text: f.contents })))
      : h("p.muted", { text: "No file contents read yet (they are read when the stack is refreshed or deployed)." }),
  );
}

/** Renders the tab for `stack` (the GetStack answer). */
export async function render(ctx, stack) {
  const config = stack.config || {};
  if (config.files_on_host || config.repo || config.linked_repo) return remoteFiles(stack);
  const { level, readOnlyUi } = await permissionLevel(ctx.user, "Stack", idOf(stack));
  const canWrite = atLeast(level, "Write");
  let saved = config.file_contents || "";
  const editorId = uid("compose");
  const helpId = uid("compose-help");
  const editor = h("textarea.code.compose-editor", {
    id: editorId,
    spellcheck: "false",
    autocomplete: "off",
    autocapitalize: "off",
    wrap: "off",
    // Tall enough for the file (within reason), so short files do not sit in a large empty box.
    rows: String(Math.min(30, Math.max(8, saved.split("\n").length + 2))),
    readonly: !canWrite,
    "aria-describedby": helpId,
  });
  editor.value = saved;
  const review = h("button.primary", { type: "button", text: "Review change" });
  const save = h("button.primary", { type: "button", text: "Save" });
  const discard = h("button", { type: "button", text: "Back to editing" });
  const revert = h("button", { type: "button", text: "Discard change" });
  const errors = h("div");
  const reviewSlot = h("section.compose-review", { "aria-label": "Pending change", hidden: true });
  const dirty = h("span.muted.compose-dirty", { role: "status" }, "\u00a0");

  const markDirty = () => {
    dirty.textContent = editor.value !== saved ? "Changed, not saved" : "\u00a0";
  };
  editor.addEventListener("input", markDirty);

  function closeReview() {
    reviewSlot.hidden = true;
    replace(reviewSlot);
  }

  review.addEventListener("click", () => {
    replace(errors);
    if (editor.value === saved) {
      replace(errors, h("p.notice", { role: "status", text: "No change to review: the editor holds the saved file." }));
      return;
    }
    replace(
      reviewSlot,
      h("h2", { text: "Pending change" }),
      unifiedDiff(saved, editor.value, { label: "Compose file: saved → pending" }),
      h("div.actions.start", {}, save, discard),
    );
    reviewSlot.hidden = false;
    save.focus();
  });
  discard.addEventListener("click", () => {
    closeReview();
    editor.focus();
  });
  revert.addEventListener("click", () => {
    editor.value = saved;
    markDirty();
    closeReview();
  });
  save.addEventListener("click", () =>
    busy(
      save,
      async () => {
        const pending = editor.value;
        // Only the file: UpdateStack merges a partial config, so nothing else is touched.
        const updated = await write("UpdateStack", { id: idOf(stack), config: { file_contents: pending } });
        saved = (updated && updated.config && updated.config.file_contents) ?? pending;
        editor.value = saved;
        markDirty();
        closeReview();
        toast("Compose file saved");
        editor.focus();
      },
      errors,
    ),
  );

  return h(
    "div.tab-compose",
    {},
    h(
      "div.field",
      {},
      h("label", { for: editorId, text: "Compose file" }),
      h(
        "span.help",
        { id: helpId },
        canWrite
          ? "Edit, then review the change before saving it. Tab moves to the next control."
          : readOnlyUi
            ? "Read-only: writing from the UI is disabled on this core (ui_write_disabled)."
            : `Read-only: changing this stack needs Write on it (you have ${level}).`,
      ),
      editor,
    ),
    canWrite ? h("div.actions.start", {}, review, revert, dirty) : null,
    errors,
    reviewSlot,
  );
}
