// JSON client for the hub's REST API; failures become ApiError with the server's own reason. Every
// state-changing request carries the session's CSRF token; a 401 means the session is gone.

import { describeDetail } from "./format.js";
import { state } from "./state.js";

class ApiError extends Error {
  constructor(status, message, data = null) {
    super(message);
    this.status = status;
    this.data = data;
  }
}

let onSignedOut = () => {};

export function setSignedOutHandler(handler) {
  onSignedOut = handler;
}

export async function api(path, { method = "GET", body, quiet401 = false } = {}) {
  const init = { method, headers: { Accept: "application/json" }, cache: "no-store", credentials: "same-origin" };
  if (method !== "GET" && state.csrfToken) init.headers["X-CSRF-Token"] = state.csrfToken;
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch {
    throw new ApiError(0, "the hub could not be reached (network error)");
  }
  let data = null;
  const text = await res.text();
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!res.ok) {
    const detail = describeDetail(data && data.detail) || res.statusText || "request failed";
    if (res.status === 401 && !quiet401 && path !== "/api/login") onSignedOut();
    throw new ApiError(res.status, detail, data);
  }
  return data;
}

// GET /api/alerts/{id} answers with the alert plus its audit trail; the store holds alerts only.
export function stripAudit(data) {
  const { audit, ...alert } = data;
  return alert;
}
