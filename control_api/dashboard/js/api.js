// Calls to the control API (same origin): JSON in, JSON out, errors carry the API's `detail`.

/** An API answer that was not 2xx; `detail` is the API's sentence for a person. */
export class ApiError extends Error {
  constructor(status, detail, body) {
    super(detail);
    this.status = status;
    this.detail = detail;
    this.body = body;
  }
}

/** A readable sentence for a failed call, whatever failed (network, server, bad JSON). */
export function describeError(error) {
  if (error instanceof ApiError) return error.detail;
  if (error instanceof TypeError) return "The server could not be reached: check your connection and try again.";
  return String(error && error.message ? error.message : error);
}

/**
 * fetch() a path of the API. `body` may be FormData (multipart) or a plain object (JSON).
 * `bearer` adds `Authorization: Bearer ...` (the recruiter key: never put in a URL).
 * Returns the parsed JSON, or a Blob when `as: "blob"`.
 */
export async function api(path, { method = "GET", body, bearer, as = "json", signal } = {}) {
  const headers = {};
  let payload = body;
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  if (body !== undefined && !(body instanceof FormData)) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  const response = await fetch(path, { method, headers, body: payload, signal, cache: "no-store" });
  if (!response.ok) {
    let data = null;
    try {
      data = await response.json();
    } catch {
      data = null;
    }
    const detail = data && typeof data.detail === "string"
      ? data.detail
      : `The server answered ${response.status} ${response.statusText || ""}`.trim();
    throw new ApiError(response.status, detail, data);
  }
  if (as === "blob") return response.blob();
  if (response.status === 204) return null;
  return response.json();
}

/** The link token of /join/<token> or /proctor/<token>. */
export function linkTokenFromPath() {
  const parts = window.location.pathname.split("/").filter(Boolean);
  return decodeURIComponent(parts[parts.length - 1] || "");
}
