// Users (admins only): the list, a new local user, enable/disable and delete.

import { idOf, read, write } from "../api.js";
import { h, replace } from "../dom.js";
import { adminTable, adminOnly } from "../admin.js";
import { busy, confirmDialog, errorBox, link, loadingBlock, pageHeader, stateBadge, toast } from "../ui.js";

/** What kind of log-in a user has ("Local", "Service", …). */
export function loginKind(user) {
  return (user.config && user.config.type) || "Local";
}

/** The role words of a user: super admin, admin, or user. */
export function roleText(user) {
  if (user.super_admin) return "Super admin";
  return user.admin ? "Admin" : "User";
}

/** A button that enables or disables `user` (UpdateUserBasePermissions), then calls `done()`. */
export function enableButton(user, errors, done) {
  const button = h("button.small", { type: "button", text: user.enabled ? "Disable" : "Enable" });
  button.setAttribute("aria-label", `${user.enabled ? "Disable" : "Enable"} ${user.username}`);
  if (user.super_admin) {
    button.disabled = true;
    button.title = "The super admin cannot be disabled";
  }
  button.addEventListener("click", () =>
    busy(button, async () => {
      await write("UpdateUserBasePermissions", { user_id: idOf(user), enabled: !user.enabled });
      toast(`${user.enabled ? "Disabled" : "Enabled"} ${user.username}`);
      await done();
    }, errors),
  );
  return button;
}

/** A button that deletes `user` after the admin types the username. */
export function deleteUserButton(user, errors, done) {
  const button = h("button.danger.small", { type: "button", text: "Delete" });
  button.setAttribute("aria-label", `Delete ${user.username}`);
  if (user.super_admin) {
    button.disabled = true;
    button.title = "The super admin cannot be deleted";
  }
  button.addEventListener("click", async () => {
    const sure = await confirmDialog({
      title: `Delete the user ${user.username}?`,
      message: "Their API keys stop working and their permissions are removed. This cannot be undone.",
      confirm: "Delete",
      danger: true,
      typed: user.username,
    });
    if (!sure) return;
    await busy(button, async () => {
      await write("DeleteUser", { user: idOf(user) });
      toast(`Deleted ${user.username}`);
      await done();
    }, errors);
  });
  return button;
}

/** The users page. */
export async function render(ctx) {
  const refused = adminOnly(ctx, "Users");
  if (refused) return refused;
  const list = h("section", {}, loadingBlock(4));
  const errors = h("div", { "aria-live": "polite" });
  const username = h("input#new-username", { id: "new-username", required: true, autocomplete: "off" });
  const password = h("input#new-password", {
    id: "new-password",
    type: "password",
    required: true,
    autocomplete: "new-password",
  });
  const create = h("button.primary", { type: "submit", text: "Create user" });

  async function load() {
    try {
      const users = await read("ListUsers", {});
      replace(
        list,
        adminTable(
          [
            { label: "Username", cell: (u) => link(`/admin/users/${idOf(u)}`, u.username) },
            { label: "Log-in", cell: (u) => loginKind(u) },
            { label: "Role", cell: (u) => roleText(u) },
            { label: "State", cell: (u) => stateBadge(u.enabled ? "Enabled" : "Disabled") },
            {
              label: "",
              class: "right",
              cell: (u) =>
                h("span.row-actions", {}, enableButton(u, errors, load), deleteUserButton(u, errors, load)),
            },
          ],
          users,
          { empty: "No users." },
        ),
      );
    } catch (err) {
      replace(list, errorBox(err, "Could not list the users"));
    }
  }

  const form = h(
    "form.inline-form",
    {
      onsubmit: async (event) => {
        event.preventDefault();
        await busy(create, async () => {
          const user = await write("CreateLocalUser", { username: username.value, password: password.value });
          toast(`Created ${user.username}`);
          username.value = "";
          password.value = "";
          await load();
        }, errors);
      },
    },
    h("div.field", {}, h("label", { for: "new-username" }, "Username"), username),
    h("div.field", {}, h("label", { for: "new-password" }, "Password"), password),
    create,
  );

  load();
  return h(
    "div.admin-page",
    {},
    pageHeader("Users", link("/admin/groups", "User groups", { class: "button" })),
    h("h2.sr-only", { text: "New local user" }),
    form,
    errors,
    list,
  );
}
