// JSON client for the hub's REST API; failures become ApiError with the server's own reason.

import { describeDetail } from "./format.js";

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export async function api(path, { method = "GET", body } = {}) {
  const init = { method, headers: { Accept: "application/json" }, cache: "no-store" };
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
    throw new ApiError(res.status, detail);
  }
  return data;
}

// GET /api/alerts/{id} answers with the alert plus its audit trail; the store holds alerts only.
export function stripAudit(data) {
  const { audit, ...alert } = data;
  return alert;
}
