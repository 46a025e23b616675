// API keys of the logged-in user: list, create (the secret shown once), delete.

import { manage, read } from "../api.js";
import { h, replace } from "../dom.js";
import { busy, confirmDialog, errorBox, formatTime, loadingBlock, pageHeader, table, toast } from "../ui.js";

/** The API keys page. */
export async function render(ctx) {
  const list = h("section", {}, loadingBlock(3));
  const created = h("div", { "aria-live": "polite" });
  const errors = h("div");
  const name = h("input#key-name", { id: "key-name", required: true, placeholder: "e.g. ci-deploys" });
  const days = h("input#key-days", { id: "key-days", type: "number", min: 0, value: 0 });
  const create = h("button.primary", { type: "submit", text: "Create key" });

  async function load() {
    try {
      const keys = await read("ListApiKeys", {});
      replace(
        list,
        table(
          [
            { label: "Name", cell: (k) => k.name },
            { label: "Key", cell: (k) => h("code", { text: k.key }) },
            { label: "Created", cell: (k) => formatTime(k.created_at) },
            { label: "Expires", cell: (k) => (k.expires ? formatTime(k.expires) : "never") },
            {
              label: "",
              class: "right",
              cell: (k) => {
                const button = h("button.danger.small", { type: "button", text: "Delete" });
                button.addEventListener("click", async () => {
                  const sure = await confirmDialog({
                    title: `Delete the API key ${k.name}?`,
                    message: "Every client using it is refused from then on.",
                    confirm: "Delete",
                    danger: true,
                  });
                  if (!sure) return;
                  await busy(button, async () => {
                    await manage("DeleteApiKey", { key: k.key });
                    toast(`Deleted the API key ${k.name}`);
                    await load();
                  }, errors);
                });
                return button;
              },
            },
          ],
          keys,
          { empty: "You have no API keys." },
        ),
      );
    } catch (err) {
      replace(list, errorBox(err, "Could not list your API keys"));
    }
  }

  const form = h(
    "form.inline-form",
    {
      onsubmit: async (event) => {
        event.preventDefault();
        const expires = Number(days.value) > 0 ? Date.now() + Number(days.value) * 86400000 : 0;
        await busy(create, async () => {
          const answer = await manage("CreateApiKey", { name: name.value, expires });
          replace(
            created,
            h(
              "div.secret-once",
              { role: "status" },
              h("p", {}, h("strong", { text: "Copy the secret now: " }), "it is not shown again."),
              h("dl", {}, h("dt", { text: "Key" }), h("dd", {}, h("code", { text: answer.key })),
                h("dt", { text: "Secret" }), h("dd", {}, h("code.secret", { text: answer.secret }))),
            ),
          );
          name.value = "";
          await load();
        }, errors);
      },
    },
    h("div.field", {}, h("label", { for: "key-name" }, "Name"), name),
    h("div.field", {}, h("label", { for: "key-days" }, "Expires after (days, 0 = never)"), days),
    create,
  );

  load();
  return h(
    "div",
    {},
    pageHeader("API keys"),
    h("p.muted", { text: "Keys let scripts and the CLI call the API as you (X-Api-Key and X-Api-Secret headers)." }),
    form,
    errors,
    created,
    list,
  );
}
