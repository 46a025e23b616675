// Names of resources by id, for pages that show targets (Updates, alerts): one List<Kind>s per type, asked
// per type when an id of it is not known yet (a resource created since), never twice for an id it did not name.

import { read } from "./api.js";
import { kindByType } from "./kinds.js";

/**
 * A book of resource names: `await book.learn(targets)` reads the names of the types those targets have
 * (skipping types whose ids are all known), then `book.names` maps id → name.
 */
export function nameBook() {
  const names = {};
  // Ids a read of their type did not name (deleted resources): not asked again.
  const missing = new Set();
  async function loadType(type) {
    const kind = kindByType(type);
    if (!kind) return;
    try {
      const list = await read(kind.list, {});
      for (const item of list || []) {
        const id = item.id || (item._id && item._id.$oid);
        if (id) names[id] = item.name;
      }
    } catch {
      // Names are a nicety: without them the ids show.
    }
  }
  return {
    names,
    async learn(targets) {
      const wanted = (targets || []).filter((t) => t && t.id && !names[t.id] && !missing.has(t.id) && kindByType(t.type));
      const types = new Set(wanted.map((t) => t.type));
      await Promise.all([...types].map(loadType));
      for (const target of wanted) if (!names[target.id]) missing.add(target.id);
      return names;
    },
  };
}
