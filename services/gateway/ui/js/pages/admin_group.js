// One user group (admins only): rename, members, the everyone flag, delete, and its permissions.

import { idOf, read, write } from "../api.js";
import { h, replace } from "../dom.js";
import { adminTable, adminOnly } from "../admin.js";
import { holderPermissions } from "../holder_permissions.js";
import { navigate } from "../router.js";
import { busy, confirmDialog, errorBox, link, loadingBlock, pageHeader, toast } from "../ui.js";

/** A user group's page. */
export async function render(ctx) {
  const refused = adminOnly(ctx, "User group");
  if (refused) return refused;
  const root = h("div.admin-page", {}, pageHeader("User group"), loadingBlock(6));
  const errors = h("div", { "aria-live": "polite" });

  async function load() {
    let group;
    let users;
    try {
      [group, users] = await Promise.all([
        read("GetUserGroup", { user_group: ctx.params.id }),
        read("ListUsers", { service_users: "Include" }),
      ]);
    } catch (err) {
      replace(root, pageHeader("User group"), errorBox(err, "Could not load the group"));
      return;
    }
    const id = idOf(group);
    const byId = Object.fromEntries(users.map((u) => [idOf(u), u]));
    const members = (group.users || []).map((uid) => byId[uid] || { _id: uid, username: uid });

    const remove = h("button.danger", { type: "button", text: "Delete group" });
    remove.addEventListener("click", async () => {
      const sure = await confirmDialog({
        title: `Delete the group ${group.name}?`,
        message: "Its members lose the permissions they had through it.",
        confirm: "Delete",
        danger: true,
        typed: group.name,
      });
      if (!sure) return;
      await busy(remove, async () => {
        await write("DeleteUserGroup", { id });
        toast(`Deleted the group ${group.name}`);
        navigate("/admin/groups");
      }, errors);
    });

    const newName = h("input#group-rename", { id: "group-rename", value: group.name, required: true });
    const rename = h("button", { type: "submit", text: "Rename" });
    const renameForm = h(
      "form.inline-form",
      {
        onsubmit: async (event) => {
          event.preventDefault();
          await busy(rename, async () => {
            await write("RenameUserGroup", { id, name: newName.value });
            toast(`Renamed to ${newName.value}`);
            await load();
          }, errors);
        },
      },
      h("div.field", {}, h("label", { for: "group-rename" }, "Name"), newName),
      rename,
    );

    const everyone = h("input#group-everyone", { id: "group-everyone", type: "checkbox", checked: group.everyone });
    everyone.addEventListener("change", async () => {
      everyone.disabled = true;
      replace(errors);
      try {
        await write("SetEveryoneUserGroup", { user_group: id, everyone: everyone.checked });
        toast(everyone.checked ? "Every user is now a member" : "Only the listed users are members");
        await load();
      } catch (err) {
        everyone.checked = !everyone.checked;
        everyone.disabled = false;
        replace(errors, errorBox(err));
      }
    });

    const candidates = users.filter((u) => !(group.users || []).includes(idOf(u)));
    const pick = h(
      "select#group-add",
      { id: "group-add" },
      candidates.length
        ? candidates.map((u) => h("option", { value: idOf(u), text: u.username }))
        : h("option", { value: "", text: "Every user is a member" }),
    );
    pick.disabled = !candidates.length;
    const add = h("button.primary", { type: "submit", text: "Add member", disabled: !candidates.length });
    const addForm = h(
      "form.inline-form",
      {
        onsubmit: async (event) => {
          event.preventDefault();
          if (!pick.value) return;
          await busy(add, async () => {
            await write("AddUserToUserGroup", { user_group: id, user: pick.value });
            toast(`Added ${pick.selectedOptions[0].textContent}`);
            await load();
          }, errors);
        },
      },
      h("div.field", {}, h("label", { for: "group-add" }, "New member"), pick),
      add,
    );

    replace(
      root,
      pageHeader(group.name, remove),
      h("p", {}, link("/admin/groups", "← All groups")),
      errors,
      renameForm,
      h("div.check-field", {}, everyone, h("label", { for: "group-everyone", text: " Everyone is a member" }),
        h("span.help", { text: "Every user, present and future, gains this group's permissions." })),
      h("h2", { text: "Members" }),
      adminTable(
        [
          { label: "User", cell: (u) => link(`/admin/users/${idOf(u)}`, u.username) },
          {
            label: "",
            class: "right",
            cell: (u) => {
              const out = h("button.small", { type: "button", text: "Remove" });
              out.setAttribute("aria-label", `Remove ${u.username} from the group`);
              out.addEventListener("click", () =>
                busy(out, async () => {
                  await write("RemoveUserFromUserGroup", { user_group: id, user: idOf(u) });
                  toast(`Removed ${u.username}`);
                  await load();
                }, errors),
              );
              return out;
            },
          },
        ],
        members,
        { empty: group.everyone ? "No listed members (every user counts anyway)." : "No members yet." },
      ),
      addForm,
      holderPermissions({ type: "UserGroup", id }, group, load),
    );
  }

  load();
  return root;
}
