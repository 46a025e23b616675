// What a user or a user group may do: its level on every resource of a type (`all`), its grants on single
// resources (ListUserTargetPermissions), and forms to change both. Shared by the user and group pages.

import { read, write } from "./api.js";
import { h, replace, uid } from "./dom.js";
import { KINDS, kindByType } from "./kinds.js";
import { adminTable, asPermission, permissionEditor, permissionText } from "./admin.js";
import { resourceName } from "./names.js";
import { busy, errorBox, link, loadingBlock, toast } from "./ui.js";

/** A <select> of the resource kinds, labelled. */
function kindField(label) {
  const id = uid("kind");
  const select = h(
    "select",
    { id },
    KINDS.map((k) => h("option", { value: k.type, text: k.singular })),
  );
  return { select, field: h("div.field", {}, h("label", { for: id, text: label }), select) };
}

/**
 * The permissions section of a user's or group's page. `holder` is `{type: "User"|"UserGroup", id}`,
 * `doc` the User or UserGroup (its `all` map), `reload()` reads the doc again after a type-wide change.
 */
export function holderPermissions(holder, doc, reload) {
  const errors = h("div", { "aria-live": "polite" });
  const typeWide = h("div");
  const grants = h("div", {}, loadingBlock(3));

  // Type-wide levels, from the doc's `all`.
  const all = doc.all || {};
  const typeRows = KINDS.filter((k) => asPermission(all[k.type]).level !== "None" || asPermission(all[k.type]).specific.length);
  replace(
    typeWide,
    adminTable(
      [
        { label: "Type", cell: (k) => k.label },
        { label: "Permission on every one", cell: (k) => permissionText(all[k.type]) },
      ],
      typeRows,
      { empty: "No type-wide permissions." },
    ),
  );
  const typeKind = kindField("Resource type");
  const typeEditor = permissionEditor(all[KINDS[0].type], { compact: true });
  const typeSave = h("button.primary", { type: "submit", text: "Set for the type" });
  typeKind.select.addEventListener("change", () => {
    typeEditor.set(all[typeKind.select.value]);
  });
  const typeForm = h(
    "form.inline-form.permission-form",
    {
      onsubmit: async (event) => {
        event.preventDefault();
        await busy(typeSave, async () => {
          await write("UpdatePermissionOnResourceType", {
            user_target: holder,
            resource_type: typeKind.select.value,
            permission: typeEditor.value(),
          });
          toast(`Set ${permissionText(typeEditor.value())} on every ${typeKind.select.value}`);
          await reload();
        }, errors);
      },
    },
    typeKind.field,
    typeEditor.node,
    typeSave,
  );

  // Grants on single resources.
  async function loadGrants() {
    try {
      const permissions = (await read("ListUserTargetPermissions", { user_target: holder })).filter(
        (p) => p.level !== "None" || (p.specific || []).length,
      );
      // Names by "Type:id"; one List request per kind (names.js), an unknown id shows as it is.
      const names = {};
      await Promise.all(
        permissions.map(async ({ resource_target: { type, id } }) => {
          names[`${type}:${id}`] = (await resourceName(type, id)) || id;
        }),
      );
      replace(
        grants,
        adminTable(
          [
            {
              label: "Resource",
              cell: (p) => {
                const { type, id } = p.resource_target;
                const kind = kindByType(type);
                const name = names[`${type}:${id}`];
                return kind ? link(`/${kind.path}/${encodeURIComponent(id)}`, name) : name;
              },
            },
            { label: "Type", cell: (p) => (kindByType(p.resource_target.type) || { singular: p.resource_target.type }).singular },
            { label: "Permission", cell: (p) => permissionText(p) },
            {
              label: "",
              class: "right",
              cell: (p) => {
                const remove = h("button.small", { type: "button", text: "Remove" });
                remove.setAttribute("aria-label", `Remove the permission on ${names[`${p.resource_target.type}:${p.resource_target.id}`]}`);
                remove.addEventListener("click", () =>
                  busy(remove, async () => {
                    await write("UpdatePermissionOnTarget", {
                      user_target: holder,
                      resource_target: p.resource_target,
                      permission: { level: "None", specific: [] },
                    });
                    toast("Permission removed");
                    await loadGrants();
                  }, errors),
                );
                return remove;
              },
            },
          ],
          permissions,
          { empty: "No permissions on single resources." },
        ),
      );
    } catch (err) {
      replace(grants, errorBox(err, "Could not list the permissions"));
    }
  }

  const grantKind = kindField("Resource type");
  const resourceId = uid("resource");
  const resource = h("select", { id: resourceId, required: true }, h("option", { value: "", text: "Loading…" }));
  const grantEditor = permissionEditor({ level: "Read", specific: [] }, { compact: true });
  const grantSave = h("button.primary", { type: "submit", text: "Give permission" });
  async function loadResources() {
    const kind = kindByType(grantKind.select.value);
    replace(resource, h("option", { value: "", text: "Loading…" }));
    resource.disabled = true;
    try {
      const items = await read(kind.list, {});
      replace(
        resource,
        items.length
          ? items.map((item) => h("option", { value: item.id, text: item.name }))
          : h("option", { value: "", text: `No ${kind.label.toLowerCase()} yet` }),
      );
      resource.disabled = !items.length;
    } catch (err) {
      replace(resource, h("option", { value: "", text: "Could not list them" }));
      replace(errors, errorBox(err, `Could not list ${kind.label.toLowerCase()}`));
    }
  }
  grantKind.select.addEventListener("change", loadResources);
  const grantForm = h(
    "form.inline-form.permission-form",
    {
      onsubmit: async (event) => {
        event.preventDefault();
        if (!resource.value) return;
        const target = { type: grantKind.select.value, id: resource.value };
        await busy(grantSave, async () => {
          await write("UpdatePermissionOnTarget", {
            user_target: holder,
            resource_target: target,
            permission: grantEditor.value(),
          });
          toast(`Gave ${permissionText(grantEditor.value())} on ${resource.selectedOptions[0].textContent}`);
          await loadGrants();
        }, errors);
      },
    },
    grantKind.field,
    h("div.field", {}, h("label", { for: resourceId, text: "Resource" }), resource),
    grantEditor.node,
    grantSave,
  );

  loadGrants();
  loadResources();
  return h(
    "section.permissions",
    { "aria-labelledby": "perm-single" },
    errors,
    h("h2#perm-single", { id: "perm-single", text: "Permissions on single resources" }),
    grants,
    h("h3", { text: "Give a permission on a resource" }),
    grantForm,
    h("h2", { text: "Permissions on every resource of a type" }),
    typeWide,
    typeForm,
  );
}
