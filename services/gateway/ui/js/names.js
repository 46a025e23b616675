// Names of resources by id, for pages that show targets (Updates, alerts): one List<Kind>s per type, asked
// once per page and again only when an unknown id of that type turns up.

import { read } from "./api.js";
import { kindByType } from "./kinds.js";

/**
 * A book of resource names: `await book.learn(targets)` reads the names of the types those targets have
 * (skipping types whose ids are all known), then `book.names` maps id → name.
 */
export function nameBook() {
  const names = {};
  const asked = new Map();
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
      const types = new Set();
      for (const target of targets) {
        if (!target || !target.id || names[target.id]) continue;
        const last = asked.get(target.type) || 0;
        // An unknown id of a type read a moment ago is not read again at once (a deleted resource).
        if (Date.now() - last > 5000) types.add(target.type);
      }
      await Promise.all(
        [...types].map((type) => {
          asked.set(type, Date.now());
          return loadType(type);
        }),
      );
      return names;
    },
  };
}
