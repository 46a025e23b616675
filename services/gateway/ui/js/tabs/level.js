// The caller's level on one resource, as the resource page judges it (GetPermission; admins have Write;
// capped at Execute when the core disables writing from the UI), so tabs show read-only views to users
// below the level a change needs instead of buttons that fail.

import { read } from "../api.js";
import { getCoreInfo } from "../pages/resources.js";

const RANK = { None: 0, Read: 1, Execute: 2, Write: 3 };

/**
 * Resolves to `{level, readOnlyUi}`: the user's level on the resource ("None", "Read", "Execute" or
 * "Write"), and whether it was capped because the core says the UI is read-only (`ui_write_disabled`).
 */
export async function permissionLevel(user, type, id) {
  let level = "Write";
  if (!(user && user.admin)) {
    try {
      const answer = await read("GetPermission", { target: { type, id } });
      level = (answer && answer.level) || "None";
    } catch {
      // Unknown is treated as the least: the tab stays read-only, and the server decides anyway.
      level = "None";
    }
  }
  let readOnlyUi = false;
  try {
    const info = await getCoreInfo();
    if (info.ui_write_disabled && atLeast(level, "Write")) {
      level = "Execute";
      readOnlyUi = true;
    }
  } catch {
    // Without core info the server still refuses what it must.
  }
  return { level, readOnlyUi };
}

/** Whether `level` is at least `wanted`. */
export function atLeast(level, wanted) {
  return (RANK[level] ?? 0) >= (RANK[wanted] ?? 0);
}
