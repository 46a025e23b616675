// The public API as the UI calls it: /auth, /read, /write, /execute and GET /user, with the JWT of the log-in.

const JWT_KEY = "varanus.jwt";

/** An error answer of the API: the HTTP status and the server's own message. */
export class ApiError extends Error {
  constructor(status, message, trace = []) {
    super(message);
    this.status = status;
    this.trace = trace;
  }
}

const loggedOutListeners = new Set();

/** The log-in held by this browser (a JWT in localStorage, as Komodo's UI keeps it). */
export const session = {
  jwt: () => localStorage.getItem(JWT_KEY),
  set(jwt) {
    localStorage.setItem(JWT_KEY, jwt);
  },
  clear() {
    localStorage.removeItem(JWT_KEY);
  },
  /** Calls `listener` when the server says the credentials are no longer valid. */
  onLoggedOut(listener) {
    loggedOutListeners.add(listener);
    return () => loggedOutListeners.delete(listener);
  },
  expired(message) {
    session.clear();
    for (const listener of loggedOutListeners) listener(message);
  },
};

async function answer(response, authenticated) {
  const text = await response.text();
  let body = null;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
  if (response.ok) return body;
  const message =
    (body && typeof body === "object" && body.error) ||
    (typeof body === "string" && body) ||
    `${response.status} ${response.statusText}`;
  const error = new ApiError(response.status, message, body && body.trace ? body.trace : []);
  if (response.status === 401 && authenticated) session.expired(message);
  throw error;
}

async function call(method, path, body, authenticated = true) {
  const headers = { "content-type": "application/json" };
  const jwt = session.jwt();
  if (authenticated && jwt) headers.authorization = jwt;
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: method === "GET" ? undefined : JSON.stringify(body ?? {}),
    });
  } catch (err) {
    throw new ApiError(0, `cannot reach the server (${err.message})`);
  }
  return answer(response, authenticated);
}

/** `POST /read/<name>` with `params`; resolves to the response, rejects with an ApiError. */
export const read = (name, params) => call("POST", `/read/${name}`, params);
/** `POST /write/<name>`. */
export const write = (name, params) => call("POST", `/write/${name}`, params);
/** `POST /execute/<name>`. */
export const execute = (name, params) => call("POST", `/execute/${name}`, params);
/** `POST /auth/login/<name>` without credentials. */
export const login = (name, params) => call("POST", `/auth/login/${name}`, params, false);
/** `POST /auth/manage/<name>` as the logged-in user. */
export const manage = (name, params) => call("POST", `/auth/manage/${name}`, params);
/** `GET /user`: the logged-in user. */
export const currentUser = () => call("GET", "/user");

let openapi = null;
/** The OpenAPI document (`GET /openapi.json`), fetched once: the JSON Schemas of every config. */
export async function openApi() {
  if (!openapi) {
    openapi = fetch("/openapi.json").then((r) => {
      if (!r.ok) throw new ApiError(r.status, `cannot load /openapi.json (${r.status})`);
      return r.json();
    });
    openapi.catch(() => {
      openapi = null;
    });
  }
  return openapi;
}

/** The id of a document as the API gives it (`{"$oid": "…"}` or a plain string). */
export function idOf(doc) {
  const id = doc && (doc._id ?? doc.id);
  return id && typeof id === "object" ? id.$oid : id;
}
