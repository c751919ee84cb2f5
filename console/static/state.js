// What the page holds: the alert store, view and dialog state, and the live connection's state.

import { AlertStore } from "./store.js";
import { FALLBACK_OUTCOMES, parseTs } from "./format.js";

export const SOUND_KEY = "telecare.sound"; // per browser tab session: sound is back on after a reload

export const store = new AlertStore();

export const state = {
  tab: "open",
  selectedId: null,
  detail: null, // last GET /api/alerts/{id} answer for selectedId
  detailError: null,
  detailSeq: 0,
  detailTimer: null,
  resolved: { list: [], loaded: false, loading: false, error: null, seq: 0 },
  outcomes: null,
  outcomeLabels: new Map(FALLBACK_OUTCOMES.map((o) => [o.code, o.label])),
  serverOffset: 0,
  user: null, // the signed-in user from GET /api/me or POST /api/login
  csrfToken: null,
  operator: "", // the signed-in user's display name
  soundOn: readStorage(sessionStorage, SOUND_KEY) !== "off",
  lastAlarmAt: 0,
  lastOfflineChimeAt: 0,
  pending: new Set(), // "id:action" requests in flight
  resolveId: null,
  lastUpdateAt: null,
};

export const conn = {
  socket: null,
  synced: false,
  everSynced: false,
  attempt: 0,
  timer: null,
  status: "connecting",
  lostAt: null,
  lastMessageAt: 0,
  lastPingAt: 0,
  pingGap: 0,
};

function readStorage(storage, key) {
  try {
    return storage.getItem(key) || "";
  } catch {
    return "";
  }
}

export function writeStorage(storage, key, value) {
  try {
    storage.setItem(key, value);
  } catch {
    // Storage may be disabled; the value still applies to this page.
  }
}

export function serverNow() {
  return Date.now() + state.serverOffset;
}

export function noteServerTime(iso) {
  const t = parseTs(iso);
  if (Number.isFinite(t)) state.serverOffset = t - Date.now();
}

// An alert may be open (store), resolved today (resolved list) or only known from the detail panel.
export function findAlert(id) {
  return (
    store.get(id) ||
    state.resolved.list.find((a) => a.id === id) ||
    (state.detail && state.detail.id === id ? state.detail : null)
  );
}
