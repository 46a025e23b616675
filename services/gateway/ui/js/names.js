// Names of resources by id, for pages that only have ids (Updates and alerts carry a target's id).

import { read, idOf } from "./api.js";
import { kindByType } from "./kinds.js";

const lists = new Map();

/**
 * Resolves to the name of the resource `type`/`id`, or undefined when the user cannot see it. Reads the
 * kind's list once per page load (and again after `forgetNames`) rather than once per id.
 */
export async function resourceName(type, id) {
  const kind = kindByType(type);
  if (!kind || !id) return undefined;
  const held = lists.get(type);
  if (!held || (held.missed.has(id) && Date.now() - held.at > 5000)) {
    // First use, or an id the last read did not have (made since): read the list again, at most every 5 s.
    const loading = read(kind.list, {}).then((items) => new Map(items.map((item) => [idOf(item), item.name])));
    loading.catch(() => lists.delete(type));
    lists.set(type, { loading, at: Date.now(), missed: new Set() });
  }
  const entry = lists.get(type);
  try {
    const names = await entry.loading;
    if (!names.has(id)) entry.missed.add(id);
    return names.get(id);
  } catch {
    return undefined;
  }
}

/** Forgets the names read so far (after a rename, a create or a delete). */
export function forgetNames(type) {
  if (type) lists.delete(type);
  else lists.clear();
}
