// User groups (admins only): the list with member counts, and a new group.

import { idOf, read, write } from "../api.js";
import { h, replace } from "../dom.js";
import { adminTable, adminOnly } from "../admin.js";
import { navigate } from "../router.js";
import { busy, errorBox, link, loadingBlock, pageHeader, toast } from "../ui.js";

/** The user groups page. */
export async function render(ctx) {
  const refused = adminOnly(ctx, "User groups");
  if (refused) return refused;
  const list = h("section", {}, loadingBlock(3));
  const errors = h("div", { "aria-live": "polite" });
  const name = h("input#group-name", { id: "group-name", required: true, autocomplete: "off" });
  const create = h("button.primary", { type: "submit", text: "Create group" });

  async function load() {
    try {
      const [groups, users] = await Promise.all([read("ListUserGroups", {}), read("ListUsers", {})]);
      const usernames = Object.fromEntries(users.map((u) => [idOf(u), u.username]));
      replace(
        list,
        adminTable(
          [
            { label: "Group", cell: (g) => link(`/admin/groups/${idOf(g)}`, g.name) },
            {
              label: "Members",
              cell: (g) =>
                g.everyone
                  ? h("em", { text: "Everyone" })
                  : (g.users || []).map((id) => usernames[id] || id).join(", ") || h("span.muted", { text: "none" }),
            },
          ],
          groups,
          { empty: "No user groups yet." },
        ),
      );
    } catch (err) {
      replace(list, errorBox(err, "Could not list the user groups"));
    }
  }

  const form = h(
    "form.inline-form",
    {
      onsubmit: async (event) => {
        event.preventDefault();
        await busy(create, async () => {
          const group = await write("CreateUserGroup", { name: name.value });
          toast(`Created the group ${group.name}`);
          navigate(`/admin/groups/${idOf(group)}`);
        }, errors);
      },
    },
    h("div.field", {}, h("label", { for: "group-name" }, "New group name"), name),
    create,
  );

  load();
  return h(
    "div.admin-page",
    {},
    pageHeader("User groups", link("/admin/users", "Users", { class: "button" })),
    h("p.muted", { text: "Members of a group gain its permissions; an “everyone” group counts for every user." }),
    form,
    errors,
    list,
  );
}
