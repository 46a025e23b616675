// The caller's permission on one resource (GetPermission), so tabs show read-only views to users below the
// level a change needs, instead of buttons that fail.

import { read } from "../api.js";

const RANK = { None: 0, Read: 1, Execute: 2, Write: 3 };

/** The user's level on the resource ("None", "Read", "Execute" or "Write"); admins have Write everywhere. */
export async function permissionLevel(user, type, id) {
  if (user && user.admin) return "Write";
  try {
    const answer = await read("GetPermission", { target: { type, id } });
    return (answer && answer.level) || "None";
  } catch {
    // Unknown is treated as the least: the page stays read-only, and the server decides anyway.
    return "None";
  }
}

/** Whether `level` is at least `wanted`. */
export function atLeast(level, wanted) {
  return (RANK[level] ?? 0) >= (RANK[wanted] ?? 0);
}
