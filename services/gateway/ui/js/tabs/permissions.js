// The Permissions tab of a resource (admins only): who — users and groups — has which level on this
// resource, and changing it. The API has no "permissions on a resource" read, so this asks
// ListUserTargetPermissions of each user and group (one request each, in parallel) and keeps this one's.

import { idOf, read, write } from "../api.js";
import { h, replace, uid } from "../dom.js";
import { adminTable, asPermission, permissionEditor, permissionText } from "../admin.js";
import { busy, errorBox, link, loadingBlock, toast } from "../ui.js";

function isSet(permission) {
  const p = asPermission(permission);
  return p.level !== "None" || p.specific.length > 0;
}

/**
 * Renders the tab. `resource` is the Get<Kind> answer, `kind` its entry of kinds.js. Needs an admin (the
 * reads and writes it makes are admin-only); for anyone else it says so.
 */
export async function render(ctx, resource, kind) {
  const target = { type: kind.type, id: idOf(resource) };
  const errors = h("div", { "aria-live": "polite" });
  const body = h("div", {}, loadingBlock(4));
  const root = h("section.resource-permissions", { dataset: { target: `${target.type}:${target.id}` } }, errors, body);
  if (!ctx.user || !ctx.user.admin) {
    replace(body, h("p.notice", { text: "Only admins see and change who may use this resource." }));
    return root;
  }

  /** One editor row: level, specifics and Save, for a holder ({type, id}) named `name`. */
  function editorCell(holder, name, current) {
    const editor = permissionEditor(current, { compact: true });
    editor.select.setAttribute("aria-label", `Level of ${name}`);
    const save = h("button.small", { type: "submit", text: "Save" });
    save.setAttribute("aria-label", `Save the permission of ${name}`);
    return h(
      "form.row-editor",
      {
        onsubmit: async (event) => {
          event.preventDefault();
          await busy(save, async () => {
            await write("UpdatePermissionOnTarget", {
              user_target: holder,
              resource_target: target,
              permission: editor.value(),
            });
            toast(`${name} now has ${permissionText(editor.value())} on ${resource.name}`);
            await load();
          }, errors);
        },
      },
      editor.node,
      save,
    );
  }

  async function load() {
    let users;
    let groups;
    try {
      [users, groups] = await Promise.all([read("ListUsers", {}), read("ListUserGroups", {})]);
    } catch (err) {
      replace(body, errorBox(err, "Could not list users and groups"));
      return;
    }
    const holders = [
      ...users.map((u) => ({ type: "User", id: idOf(u), name: u.username, doc: u, admin: u.admin })),
      ...groups.map((g) => ({ type: "UserGroup", id: idOf(g), name: g.name, doc: g, admin: false })),
    ];
    let explicit;
    try {
      explicit = await Promise.all(
        holders.map(async (holder) => {
          if (holder.admin) return null;
          const list = await read("ListUserTargetPermissions", { user_target: { type: holder.type, id: holder.id } });
          return list.find((p) => p.resource_target.type === target.type && p.resource_target.id === target.id) || null;
        }),
      );
    } catch (err) {
      replace(body, errorBox(err, "Could not list the permissions"));
      return;
    }
    const rows = holders
      .map((holder, i) => ({ ...holder, explicit: explicit[i], typeWide: (holder.doc.all || {})[target.type] }))
      .filter((row) => row.admin || isSet(row.explicit) || isSet(row.typeWide));
    const unlisted = holders.filter((holder) => !rows.some((r) => r.type === holder.type && r.id === holder.id));

    const whoId = uid("who");
    const who = h(
      "select",
      { id: whoId, required: true },
      h("optgroup", { label: "Users" }, unlisted.filter((x) => x.type === "User").map((x) => h("option", { value: `User:${x.id}`, text: x.name }))),
      h("optgroup", { label: "Groups" }, unlisted.filter((x) => x.type === "UserGroup").map((x) => h("option", { value: `UserGroup:${x.id}`, text: x.name }))),
    );
    const addEditor = permissionEditor({ level: "Read", specific: [] }, { compact: true });
    const give = h("button.primary", { type: "submit", text: "Give permission", disabled: !unlisted.length });
    const addForm = h(
      "form.inline-form.permission-form",
      {
        onsubmit: async (event) => {
          event.preventDefault();
          if (!who.value) return;
          const [type, id] = who.value.split(":");
          const name = who.selectedOptions[0].textContent;
          await busy(give, async () => {
            await write("UpdatePermissionOnTarget", {
              user_target: { type, id },
              resource_target: target,
              permission: addEditor.value(),
            });
            toast(`${name} now has ${permissionText(addEditor.value())} on ${resource.name}`);
            await load();
          }, errors);
        },
      },
      h("div.field", {}, h("label", { for: whoId, text: "User or group" }), who),
      addEditor.node,
      give,
    );

    const base = asPermission(resource.base_permission);
    replace(
      body,
      isSet(base)
        ? h("p.notice", { text: `Every user has at least ${permissionText(base)} here (the resource's base permission).` })
        : null,
      adminTable(
        [
          {
            label: "Who",
            cell: (row) =>
              h("span", {},
                link(row.type === "User" ? `/admin/users/${row.id}` : `/admin/groups/${row.id}`, row.name),
                row.type === "UserGroup" ? h("span.muted", { text: row.doc.everyone ? " (group, everyone)" : " (group)" }) : null),
          },
          {
            label: "Has",
            cell: (row) =>
              row.admin
                ? "Everything (admin)"
                : [
                    permissionText(row.explicit),
                    isSet(row.typeWide) ? h("div.muted", { text: `${permissionText(row.typeWide)} on every ${kind.singular}` }) : null,
                  ],
          },
          {
            label: "Change",
            cell: (row) =>
              row.admin
                ? h("span.muted", { text: "—" })
                : editorCell({ type: row.type, id: row.id }, row.name, row.explicit),
          },
        ],
        rows,
        { empty: "Nobody has a permission of their own here." },
      ),
      h("h3", { text: "Give a permission" }),
      unlisted.length ? addForm : h("p.muted", { text: "Every user and group is listed above." }),
    );
  }

  load();
  return root;
}
