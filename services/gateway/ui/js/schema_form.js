// A form generated from a JSON Schema of /openapi.json (a resource's config): one control per field, the
// field's description as help, its default as placeholder; and the diff of what the user changed.
//
// Controls by schema: enum → select; boolean → checkbox; integer/number → number input; string → input (or a
// textarea for multi-line values); string list → textarea, one per line; enum list → checkboxes; object →
// nested fieldset; Komodo's tagged unions `{type, params}` → a type select and the params' fieldset; anything
// else (lists of objects, maps) → a JSON textarea, checked when the value is read.

import { read } from "./api.js";
import { h, replace, uid } from "./dom.js";
import { kindByType } from "./kinds.js";
import { resourceName } from "./names.js";

/** Config fields that name another resource (by name or id; the server stores the id), by field name. */
const REFERENCES = { server_id: "Server", builder_id: "Builder", build_id: "Build", linked_repo: "Repo" };

/**
 * Offers the names of the resources a reference field may name (a datalist the user may pick from or type
 * past), and says which resource a stored id is. The list is the user's own List request, so it holds only
 * what they may see; the server checks the reference again when the config is saved.
 */
function referenceHelp(type, input) {
  const kind = kindByType(type);
  const options = h("datalist", { id: `${input.id}-options` });
  const named = h("span.ref-name", { "aria-live": "polite" });
  input.setAttribute("list", options.id);
  read(kind.list, {})
    .then((items) => replace(options, items.map((item) => h("option", { value: item.name }))))
    .catch(() => {});
  const show = async () => {
    const value = input.value.trim();
    if (!/^[0-9a-f]{24}$/.test(value)) {
      named.textContent = "";
      return;
    }
    const name = await resourceName(type, value);
    named.textContent = name ? `${kind.singular} ${name}` : "";
  };
  input.addEventListener("change", show);
  show();
  return [options, named];
}

/** A field whose input cannot be read as its type; `path` names it ("image.params.image"). */
export class FieldError extends Error {
  constructor(path, message) {
    super(`${path}: ${message}`);
    this.path = path;
  }
}

/** The schema of a kind's config: `<Kind>Config`, or the `config` property of the resource's schema. */
export function configSchema(openapi, kind) {
  const schemas = (openapi.components && openapi.components.schemas) || {};
  if (schemas[kind.config]) return schemas[kind.config];
  const resource = schemas[kind.type];
  if (resource && resource.properties && resource.properties.config) return resource.properties.config;
  throw new Error(`/openapi.json has no schema for ${kind.config}`);
}

/** `schema` with its $ref followed (the outer description and default win), and `{anyOf: [X, null]}` as X. */
export function resolve(schema, schemas) {
  let current = schema || {};
  for (let depth = 0; current.$ref && depth < 20; depth += 1) {
    const target = schemas[current.$ref.split("/").pop()] || {};
    const { $ref, ...outer } = current;
    current = { ...target, ...outer };
  }
  const union = current.anyOf || current.oneOf;
  if (union && !current.discriminator) {
    const real = union.filter((s) => s.type !== "null");
    if (real.length === 1 && real.length < union.length) {
      const { anyOf, oneOf, ...outer } = current;
      return { ...resolve(real[0], schemas), ...outer, nullable: true };
    }
  }
  return current;
}

/** Keys sorted, so two equal values print the same. */
function canonical(value) {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical(value[k])]));
  }
  return value;
}

/** Whether two JSON values are equal. */
export function same(a, b) {
  return JSON.stringify(canonical(a ?? null)) === JSON.stringify(canonical(b ?? null));
}

function isTagged(value) {
  return Boolean(value && typeof value === "object" && !Array.isArray(value) && "type" in value && "params" in value);
}

/**
 * What changed between the stored config `before` and the form's `after`: `patch` is the partial config to
 * send (top-level fields, which the server replaces whole; in a tagged config of the same type, the changed
 * params), `changes` one {path, before, after} per changed field for the confirmation.
 */
export function changedFields(before, after) {
  const changes = [];
  if (isTagged(before) && isTagged(after)) {
    if (before.type !== after.type) {
      return { patch: after, changes: [{ path: "type", before: before.type, after: after.type }] };
    }
    const params = {};
    for (const key of Object.keys(after.params || {})) {
      if (!same(before.params[key], after.params[key])) {
        params[key] = after.params[key];
        changes.push({ path: `params.${key}`, before: before.params[key], after: after.params[key] });
      }
    }
    return { patch: changes.length ? { type: after.type, params } : {}, changes };
  }
  const patch = {};
  for (const key of Object.keys(after || {})) {
    if (!same((before || {})[key], after[key])) {
      patch[key] = after[key];
      changes.push({ path: key, before: (before || {})[key], after: after[key] });
    }
  }
  return { patch, changes };
}

const MULTILINE = /\blines?\b|contents|script|user data|template|mappings|arguments/i;

// The field's own title: a $ref'd type's title ("RestartMode") names the type, not the field.
function label(name, schema) {
  if (schema.title && schema.title !== "Config") return schema.title;
  return String(name).replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase());
}

function shortJson(value) {
  if (value === undefined) return "";
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
}

function help(schema, id) {
  const parts = [];
  if (schema.description) parts.push(schema.description);
  const simple = ["string", "number", "boolean"].includes(typeof schema.default);
  if (simple && schema.default !== "") parts.push(`Default: ${shortJson(schema.default)}`);
  if (!parts.length) return null;
  return h("span.help", { id, text: parts.join(" ") });
}

function typeDefault(schema) {
  if (schema.default !== undefined) return JSON.parse(JSON.stringify(schema.default));
  if (schema.nullable) return null;
  if (schema.enum) return schema.enum[0];
  switch (schema.type) {
    case "boolean":
      return false;
    case "integer":
    case "number":
      return 0;
    case "string":
      return "";
    case "array":
      return [];
    case "object":
      return {};
    default:
      return null;
  }
}

function taggedBranches(schema, schemas) {
  const union = schema.oneOf || schema.anyOf;
  if (!union) return null;
  const branches = [];
  for (const branch of union) {
    const s = resolve(branch, schemas);
    const props = s.properties || {};
    const tag = props.type && (props.type.const ?? (props.type.enum && props.type.enum[0]) ?? props.type.default);
    if (!tag || !props.params) return null;
    branches.push({ tag, params: props.params });
  }
  return branches;
}

/** A field: {node, read() → JSON value (throws FieldError), wide: whether it takes a whole row}. */
function field(name, rawSchema, value, schemas, path) {
  const schema = resolve(rawSchema, schemas);
  const current = value === undefined ? typeDefault(schema) : value;
  const id = uid("cfg");
  const helpId = `${id}-help`;
  const text = label(name, rawSchema || {});
  const note = help(schema, helpId);
  const describedBy = note ? helpId : null;

  const branches = taggedBranches(schema, schemas);
  if (branches) return taggedField(text, schema, branches, current, schemas, path);

  if (schema.enum) {
    const options = schema.enum.slice();
    if (current !== null && current !== undefined && !options.includes(current)) options.push(current);
    const select = h(
      "select",
      { id, name: path, "aria-describedby": describedBy },
      schema.nullable ? h("option", { value: "", text: "—" }) : null,
      options.map((o) => h("option", { value: String(o), text: String(o), selected: o === current })),
    );
    if (current === null) select.value = "";
    return {
      node: h("div.field", { dataset: { field: path } }, h("label", { for: id, text }), select, note),
      read: () => (select.value === "" && schema.nullable ? null : options.find((o) => String(o) === select.value)),
    };
  }

  if (schema.type === "boolean") {
    const box = h("input", { id, name: path, type: "checkbox", checked: Boolean(current), "aria-describedby": describedBy });
    return {
      node: h(
        "div.field.check",
        { dataset: { field: path } },
        h("label", { for: id }, box, " ", text),
        note,
      ),
      read: () => box.checked,
    };
  }

  if (schema.type === "integer" || schema.type === "number") {
    const input = h("input", {
      id,
      name: path,
      type: "number",
      step: schema.type === "integer" ? "1" : "any",
      min: schema.minimum,
      max: schema.maximum,
      value: current === null || current === undefined ? "" : String(current),
      placeholder: schema.default !== undefined && schema.default !== null ? String(schema.default) : null,
      "aria-describedby": describedBy,
    });
    return {
      node: h("div.field", { dataset: { field: path } }, h("label", { for: id, text }), input, note),
      read: () => {
        if (input.value.trim() === "") {
          if (schema.nullable) return null;
          throw new FieldError(path, "a number is needed");
        }
        const number = Number(input.value);
        if (!Number.isFinite(number)) throw new FieldError(path, `${input.value} is not a number`);
        if (schema.type === "integer" && !Number.isInteger(number)) {
          throw new FieldError(path, `${input.value} is not a whole number`);
        }
        return number;
      },
    };
  }

  if (schema.type === "string") {
    const multiline = MULTILINE.test(`${schema.description || ""}`) || String(current || "").includes("\n");
    const props = {
      id,
      name: path,
      value: current === null || current === undefined ? "" : String(current),
      placeholder: typeof schema.default === "string" && schema.default ? schema.default : null,
      "aria-describedby": describedBy,
      spellcheck: "false",
      autocomplete: "off",
    };
    const rows = Math.min(14, Math.max(2, props.value.split("\n").length + 1));
    const input = multiline ? h("textarea.code", { ...props, rows }) : h("input", { ...props, type: "text" });
    const reference = !multiline && REFERENCES[name] ? referenceHelp(REFERENCES[name], input) : null;
    return {
      node: h(
        `div.field${multiline ? ".wide" : ""}`,
        { dataset: { field: path } },
        h("label", { for: id, text }),
        input,
        reference,
        note,
      ),
      read: () => (schema.nullable && input.value === "" ? null : input.value),
      wide: multiline,
    };
  }

  if (schema.type === "array") {
    const items = resolve(schema.items || {}, schemas);
    if (items.enum) return enumListField(text, schema, items, current || [], path, id, helpId);
    if (items.type === "string") {
      const area = h("textarea.code", {
        id,
        name: path,
        rows: Math.min(10, Math.max(2, (current || []).length + 1)),
        value: (current || []).join("\n"),
        "aria-describedby": helpId,
        spellcheck: "false",
      });
      const lines = h("span.help", { id: helpId, text: [schema.description, "One per line."].filter(Boolean).join(" ") });
      return {
        node: h("div.field.wide", { dataset: { field: path } }, h("label", { for: id, text }), area, lines),
        read: () =>
          area.value
            .split("\n")
            .map((line) => line.trim())
            .filter(Boolean),
        wide: true,
      };
    }
  }

  if (schema.type === "object" && schema.properties && !schema.additionalProperties) {
    const inner = objectFields(schema, current || {}, schemas, path);
    return {
      node: h(
        "fieldset.nested",
        { dataset: { field: path } },
        h("legend", { text }),
        schema.description ? h("p.help", { text: schema.description }) : null,
        inner.node,
      ),
      read: inner.read,
      wide: true,
    };
  }

  return jsonField(text, schema, current, path, id, helpId);
}

function enumListField(text, schema, items, current, path, id, helpId) {
  const boxes = items.enum.map((option) => {
    const box = h("input", { type: "checkbox", value: String(option), checked: current.includes(option) });
    return { option, box, node: h("label.choice", {}, box, " ", String(option)) };
  });
  return {
    node: h(
      "fieldset.nested.choices",
      { dataset: { field: path }, "aria-describedby": schema.description ? helpId : null },
      h("legend", { id, text }),
      schema.description ? h("p.help", { id: helpId, text: schema.description }) : null,
      h("div.choice-list", {}, boxes.map((b) => b.node)),
    ),
    read: () => boxes.filter((b) => b.box.checked).map((b) => b.option),
    wide: true,
  };
}

function jsonField(text, schema, current, path, id, helpId) {
  const area = h("textarea.code", {
    id,
    name: path,
    rows: Math.min(14, Math.max(3, JSON.stringify(current ?? null, null, 2).split("\n").length)),
    value: JSON.stringify(current ?? null, null, 2),
    "aria-describedby": helpId,
    spellcheck: "false",
  });
  const note = h("span.help", { id: helpId, text: [schema.description, "As JSON."].filter(Boolean).join(" ") });
  return {
    node: h("div.field.wide", { dataset: { field: path } }, h("label", { for: id, text }), area, note),
    read: () => {
      try {
        return JSON.parse(area.value);
      } catch (err) {
        throw new FieldError(path, `not valid JSON (${err.message})`);
      }
    },
    wide: true,
  };
}

function taggedField(text, schema, branches, current, schemas, path) {
  const id = uid("cfg");
  const value = current && typeof current === "object" ? current : {};
  const select = h(
    "select",
    { id, name: `${path}.type` },
    branches.map((b) => h("option", { value: b.tag, text: b.tag, selected: b.tag === value.type })),
  );
  const slot = h("div");
  let params = null;
  const draw = (tag, values) => {
    const branch = branches.find((b) => b.tag === tag) || branches[0];
    const paramSchema = resolve(branch.params, schemas);
    params = objectFields(paramSchema, values || {}, schemas, `${path}.params`);
    replace(slot, params.node);
  };
  draw(value.type || branches[0].tag, value.params);
  // A new type starts from its own defaults; going back to the stored type brings its values back.
  select.addEventListener("change", () => draw(select.value, select.value === value.type ? value.params : {}));
  return {
    node: h(
      "fieldset.nested",
      { dataset: { field: path } },
      h("legend", { text }),
      schema.description ? h("p.help", { text: schema.description }) : null,
      h("div.form-grid", {}, h("div.field", {}, h("label", { for: id, text: "Type" }), select)),
      slot,
    ),
    read: () => ({ type: select.value, params: params.read() }),
    wide: true,
  };
}

function objectFields(schema, value, schemas, prefix) {
  const fields = Object.entries(schema.properties || {}).map(([name, sub]) => [
    name,
    field(name, sub, value[name], schemas, prefix ? `${prefix}.${name}` : name),
  ]);
  return {
    node: h(
      "div.form-grid",
      {},
      fields.map(([, f]) => {
        if (f.wide) f.node.classList.add("wide");
        return f.node;
      }),
    ),
    read: () => Object.fromEntries(fields.map(([name, f]) => [name, f.read()])),
  };
}

/**
 * The form of `schema` (resolved against `schemas`, the components of /openapi.json) filled with `value`.
 * Returns {node, read()}: read gives the form's value as JSON, or throws a FieldError naming the field.
 * With `disabled`, every control is disabled (a reader's view).
 */
export function schemaForm(schema, value, schemas, { disabled = false } = {}) {
  const resolved = resolve(schema, schemas);
  const top = taggedBranches(resolved, schemas)
    ? field("config", resolved, value, schemas, "config")
    : objectFields(resolved, value || {}, schemas, "");
  const node = h("fieldset.schema-form", { disabled }, h("legend.sr-only", { text: "Configuration" }), top.node);
  return { node, read: top.read };
}

/** A value as the diff shows it (strings as they are, the rest as JSON). */
export function showValue(value) {
  if (value === undefined) return "(none)";
  if (typeof value === "string") return value === "" ? '""' : value;
  return JSON.stringify(value, null, 2);
}
