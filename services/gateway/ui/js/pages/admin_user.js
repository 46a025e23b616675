// One user (admins only): state, admin flag and base permissions, groups, and permissions on resources.

import { idOf, read, write } from "../api.js";
import { h, replace } from "../dom.js";
import { adminOnly } from "../admin.js";
import { holderPermissions } from "../holder_permissions.js";
import { navigate } from "../router.js";
import { busy, errorBox, link, loadingBlock, pageHeader, stateBadge, toast } from "../ui.js";
import { deleteUserButton, enableButton, loginKind, roleText } from "./admin_users.js";

function checkbox(id, label, checked, help = "") {
  const box = h("input", { id, type: "checkbox", checked });
  return { box, node: h("div.check-field", {}, box, h("label", { for: id, text: ` ${label}` }), help ? h("span.help", { text: help }) : null) };
}

/** A user's page. */
export async function render(ctx) {
  const refused = adminOnly(ctx, "User");
  if (refused) return refused;
  const root = h("div.admin-page", {}, pageHeader("User"), loadingBlock(6));
  const errors = h("div", { "aria-live": "polite" });

  async function load() {
    let user;
    let groups;
    try {
      [user, groups] = await Promise.all([
        read("FindUser", { user: ctx.params.id }),
        // A failed group list still shows the user; its message stands where the groups would.
        read("ListUserGroups", {}).catch((err) => err),
      ]);
    } catch (err) {
      replace(root, pageHeader("User"), errorBox(err, "Could not load the user"));
      return;
    }
    const id = idOf(user);
    const isAdmin = checkbox("user-admin", "Admin (may do everything)", user.admin,
      ctx.user.super_admin ? "" : "Only the super admin changes this.");
    isAdmin.box.disabled = !ctx.user.super_admin || user.super_admin;
    const servers = checkbox("user-create-servers", "May create servers", user.create_server_permissions);
    const builds = checkbox("user-create-builds", "May create builds", user.create_build_permissions);
    const save = h("button.primary", { type: "submit", text: "Save" });
    const base = h(
      "form.card.base-permissions",
      {
        onsubmit: async (event) => {
          event.preventDefault();
          await busy(save, async () => {
            await write("UpdateUserBasePermissions", {
              user_id: id,
              create_servers: servers.box.checked,
              create_builds: builds.box.checked,
            });
            if (isAdmin.box.checked !== user.admin) {
              await write("UpdateUserAdmin", { user_id: id, admin: isAdmin.box.checked });
            }
            toast(`Saved ${user.username}`);
            await load();
          }, errors);
        },
      },
      h("h2", { text: "Base permissions" }),
      isAdmin.node,
      servers.node,
      builds.node,
      h("div.actions", {}, save),
    );
    const memberOf = Array.isArray(groups) ? groups.filter((g) => g.everyone || (g.users || []).includes(id)) : [];
    replace(
      root,
      pageHeader(
        user.username,
        enableButton(user, errors, load),
        deleteUserButton(user, errors, () => navigate("/admin/users")),
      ),
      h("p", {}, link("/admin/users", "← All users")),
      errors,
      h(
        "div.columns",
        {},
        h(
          "section.card",
          {},
          h("h2", { text: "Account" }),
          h(
            "dl.facts",
            {},
            h("dt", { text: "Log-in" }), h("dd", { text: loginKind(user) }),
            h("dt", { text: "Role" }), h("dd", { text: roleText(user) }),
            h("dt", { text: "State" }), h("dd", {}, stateBadge(user.enabled ? "Enabled" : "Disabled")),
            h("dt", { text: "Groups" }),
            h("dd", {}, !Array.isArray(groups) ? errorBox(groups, "Could not list the groups") : memberOf.length
              ? memberOf.map((g, i) => [i ? ", " : "", link(`/admin/groups/${idOf(g)}`, g.everyone ? `${g.name} (everyone)` : g.name)])
              : h("span.muted", { text: "none" })),
          ),
        ),
        base,
      ),
      user.admin
        ? h("p.notice", { text: "Admins have every permission on every resource; what is given below counts if the admin flag is taken away." })
        : null,
      holderPermissions({ type: "User", id }, user, load),
    );
  }

  load();
  return root;
}
