// Talking to the emulator: the control API (same origin; the sign-in cookie rides along when an
// admin token is set) and, for Telnyx-shaped reads, the public API with the viewed API key.
// Public-API reads carry x-emulator-dashboard so the requests view can leave them out.

export class ApiError extends Error {
  constructor(status, body) {
    const detail = body && body.errors && body.errors[0] ? (body.errors[0].detail || body.errors[0].title) : JSON.stringify(body);
    super(`${status}: ${detail}`);
    this.status = status;
    this.body = body;
  }
}

async function call(method, url, { body, headers = {}, raw = false } = {}) {
  const init = { method, headers: { ...headers }, credentials: "same-origin" };
  if (body !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = typeof body === "string" ? body : JSON.stringify(body);
  }
  const res = await fetch(url, init);
  if (res.status === 401 && url.startsWith("/_emulator")) {
    location.href = "/_emulator/ui/login";
    throw new ApiError(401, { errors: [{ detail: "sign in first" }] });
  }
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = text; }
  if (!res.ok) throw new ApiError(res.status, data);
  return raw ? { data, res, text } : data;
}

export const get = (url) => call("GET", url);
export const post = (url, body) => call("POST", url, { body: body === undefined ? {} : body });
export const put = (url, body) => call("PUT", url, { body });
export const del = (url) => call("DELETE", url);
export const getRaw = (url) => call("GET", url, { raw: true });

/** A public-API GET (``/v2/...``) as the given API key. */
export function v2(path, apiKey) {
  return call("GET", `/v2${path}`, { headers: { authorization: `Bearer ${apiKey}`, "x-emulator-dashboard": "1" } });
}

export function qs(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : "";
}
