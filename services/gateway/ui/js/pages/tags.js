// Tags: every user may list and create them; their owner or an admin renames, recolours and deletes them.

import { idOf, read, write } from "../api.js";
import { adminTable } from "../admin.js";
import { h, replace } from "../dom.js";
import { busy, confirmDialog, errorBox, loadingBlock, pageHeader, toast } from "../ui.js";

// Komodo's 18 hues (each also Light and Dark: 54 colours, contracts/entities/tag.py TagColor).
const HUES = {
  Slate: "#64748b", Red: "#ef4444", Orange: "#f97316", Amber: "#f59e0b", Yellow: "#eab308", Lime: "#84cc16",
  Green: "#22c55e", Emerald: "#10b981", Teal: "#14b8a6", Cyan: "#06b6d4", Sky: "#0ea5e9", Blue: "#3b82f6",
  Indigo: "#6366f1", Violet: "#8b5cf6", Purple: "#a855f7", Fuchsia: "#d946ef", Pink: "#ec4899", Rose: "#f43f5e",
};
const COLORS = Object.keys(HUES).flatMap((hue) => [`Light${hue}`, hue, `Dark${hue}`]);

/** The CSS colour of a TagColor name ("LightTeal"). */
export function tagColor(name) {
  const [, shade, hue] = /^(Light|Dark)?(.*)$/.exec(name || "Slate");
  const base = HUES[hue] || HUES.Slate;
  if (shade === "Light") return `color-mix(in srgb, ${base} 55%, white)`;
  if (shade === "Dark") return `color-mix(in srgb, ${base} 65%, black)`;
  return base;
}

/** A swatch of a tag's colour (set through the CSSOM, which the page's CSP allows). */
function swatch(color) {
  return h("span.swatch", { "aria-hidden": "true", style: { background: tagColor(color) } });
}

function colorSelect(id, value = "Slate") {
  return h("select", { id }, COLORS.map((c) => h("option", { value: c, text: c.replace(/([a-z])([A-Z])/g, "$1 $2"), selected: c === value })));
}

/** The tags page. */
export async function render(ctx) {
  const me = idOf(ctx.user);
  const admin = Boolean(ctx.user && ctx.user.admin);
  const list = h("section", {}, loadingBlock(4));
  const errors = h("div", { "aria-live": "polite" });
  const editSlot = h("div");
  const usernames = {};

  async function ownerName(id) {
    if (!id) return "—";
    if (!(id in usernames)) {
      usernames[id] = read("GetUsername", { user_id: id }).then((u) => u.username, () => id);
    }
    return usernames[id];
  }

  function renameForm(tag) {
    const name = h("input#tag-rename", { id: "tag-rename", required: true, value: tag.name });
    const save = h("button.primary", { type: "submit", text: "Rename" });
    const cancel = h("button", { type: "button", text: "Cancel" });
    cancel.addEventListener("click", () => replace(editSlot));
    replace(
      editSlot,
      h(
        "form.inline-form.card",
        {
          onsubmit: async (event) => {
            event.preventDefault();
            await busy(save, async () => {
              await write("RenameTag", { id: idOf(tag), name: name.value });
              toast(`Renamed ${tag.name} to ${name.value}`);
              replace(editSlot);
              await load();
            }, errors);
          },
        },
        h("div.field", {}, h("label", { for: "tag-rename", text: `New name of ${tag.name}` }), name),
        cancel,
        save,
      ),
    );
    name.focus();
  }

  function actions(tag) {
    if (!admin && tag.owner !== me) return h("span.muted", { text: "owner or admin only" });
    const color = colorSelect(`tag-color-${idOf(tag)}`, tag.color);
    color.setAttribute("aria-label", `Colour of ${tag.name}`);
    color.addEventListener("change", async () => {
      color.disabled = true;
      replace(errors);
      try {
        await write("UpdateTagColor", { tag: idOf(tag), color: color.value });
        toast(`${tag.name} is now ${color.value}`);
        await load();
      } catch (err) {
        color.value = tag.color;
        color.disabled = false;
        replace(errors, errorBox(err));
      }
    });
    const rename = h("button.small", { type: "button", text: "Rename" });
    rename.setAttribute("aria-label", `Rename ${tag.name}`);
    rename.addEventListener("click", () => renameForm(tag));
    const remove = h("button.danger.small", { type: "button", text: "Delete" });
    remove.setAttribute("aria-label", `Delete ${tag.name}`);
    remove.addEventListener("click", async () => {
      const sure = await confirmDialog({
        title: `Delete the tag ${tag.name}?`,
        message: "It is taken off every resource that carries it.",
        confirm: "Delete",
        danger: true,
      });
      if (!sure) return;
      await busy(remove, async () => {
        await write("DeleteTag", { id: idOf(tag) });
        toast(`Deleted ${tag.name}`);
        replace(editSlot);
        await load();
      }, errors);
    });
    return h("span.row-actions", {}, color, rename, remove);
  }

  async function load() {
    try {
      const tags = await read("ListTags", {});
      const owners = Object.fromEntries(
        await Promise.all([...new Set(tags.map((t) => t.owner))].map(async (id) => [id, await ownerName(id)])),
      );
      replace(
        list,
        adminTable(
          [
            { label: "Tag", cell: (t) => h("span.tag-name", {}, swatch(t.color), t.name) },
            { label: "Owner", cell: (t) => (t.owner === me ? "you" : owners[t.owner]) },
            { label: "", class: "right", cell: actions },
          ],
          tags,
          { empty: "No tags yet." },
        ),
      );
    } catch (err) {
      replace(list, errorBox(err, "Could not list the tags"));
    }
  }

  const name = h("input#tag-name", { id: "tag-name", required: true, autocomplete: "off" });
  const color = colorSelect("tag-color");
  const create = h("button.primary", { type: "submit", text: "Create tag" });
  const form = h(
    "form.inline-form",
    {
      onsubmit: async (event) => {
        event.preventDefault();
        await busy(create, async () => {
          const tag = await write("CreateTag", { name: name.value, color: color.value });
          toast(`Created the tag ${tag.name}`);
          name.value = "";
          await load();
        }, errors);
      },
    },
    h("div.field", {}, h("label", { for: "tag-name", text: "New tag" }), name),
    h("div.field", {}, h("label", { for: "tag-color", text: "Colour" }), color),
    create,
  );

  load();
  return h("div.admin-page", {}, pageHeader("Tags"), form, errors, editSlot, list);
}
