// The `komodo` client of Varanus action scripts: the shape of Komodo's `komodo_client` (KomodoClient with
// read, write, execute, execute_and_poll, poll_update_until_complete, core_version), over the gateway's HTTP
// API. Written beside each run's script, so a run needs no network but the gateway's.

// deno-lint-ignore-file no-explicit-any

export type InitOptions =
  | { type: "jwt"; params: { jwt: string } }
  | { type: "api-key"; params: { key: string; secret: string } };

/** Komodo's types are not shipped here; scripts may still name them in annotations (Deno strips types). */
export const Types: Record<string, any> = {};

export class CancelToken {
  cancelled = false;
  cancel(): void {
    this.cancelled = true;
  }
}

const POLL_MS = 250;

/** Initialize a new client for the Komodo API (Varanus gateway). */
export function KomodoClient(url: string, options: InitOptions) {
  const base = url.replace(/\/+$/, "");
  const credentials: Record<string, string> =
    options.type === "jwt"
      ? { authorization: options.params.jwt }
      : { "x-api-key": options.params.key, "x-api-secret": options.params.secret };

  const request = async (path: string, type: string, params: any): Promise<any> => {
    const response = await fetch(base + path, {
      method: "POST",
      body: JSON.stringify({ type, params: params ?? {} }),
      headers: { ...credentials, "content-type": "application/json" },
    });
    const text = await response.text();
    let result: any;
    try {
      result = text ? JSON.parse(text) : undefined;
    } catch {
      result = { error: text };
    }
    if (response.status === 200) return result;
    // Komodo's client rejects with the status and the error body.
    throw { status: response.status, result, error: result?.error };
  };

  const read = (type: string, params?: any) => request("/read", type, params);
  const write = (type: string, params?: any) => request("/write", type, params);
  const execute = (type: string, params?: any) => request("/execute", type, params);
  const auth = (type: string, params?: any) => request("/auth", type, params);
  const user = (type: string, params?: any) => request("/user", type, params);

  const poll_update_until_complete = async (update_id: string): Promise<any> => {
    while (true) {
      const update = await read("GetUpdate", { id: update_id });
      if (update.status === "Complete") return update;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  };

  const idOf = (update: any): string => update?._id?.$oid ?? update?.id ?? "";

  const execute_and_poll = async (type: string, params?: any): Promise<any> => {
    const answer = await execute(type, params);
    if (Array.isArray(answer)) {
      return await Promise.all(
        answer.map((item: any) =>
          item.status === "Err" ? item : poll_update_until_complete(idOf(item.data)),
        ),
      );
    }
    return await poll_update_until_complete(idOf(answer));
  };

  const core_version = async (): Promise<string> => (await read("GetVersion", {})).version;

  return { auth, user, read, write, execute, execute_and_poll, poll_update_until_complete, core_version };
}
