// The "Resolved today" list: loaded on demand, then kept up to date by the changes the page sees.

import { compareQueue } from "./store.js";
import { parseTs } from "./format.js";
import { serverNow, state } from "./state.js";

export function resolvedToday(list) {
  const now = new Date(serverNow());
  const midnight = new Date(now.getFullYear(), now.getMonth(), now.getDate()).getTime();
  return list
    .filter((a) => a.handling === "resolved" && (parseTs(a.resolved_at) || 0) >= midnight)
    .sort((a, b) => (parseTs(b.resolved_at) || 0) - (parseTs(a.resolved_at) || 0) || compareQueue(a, b));
}

export function noteResolved(alert) {
  const r = state.resolved;
  if (!r.loaded) return;
  const i = r.list.findIndex((a) => a.id === alert.id);
  if (i === -1) r.list.push(alert);
  else if (!(alert.version <= r.list[i].version)) r.list[i] = alert;
}
