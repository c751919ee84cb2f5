// The live alert feed over the websocket /ws/alerts: a snapshot, then versioned changes and pings.
// A lost link is retried with backoff, and at once when the network or the tab comes back; a
// snapshot after reconnecting brings the page back in step.

import { onAlert } from "./alert-updates.js";
import { soundAlarmNow } from "./alarm.js";
import { setConnStatus } from "./connection-status.js";
import { scheduleDetailRefresh } from "./detail-panel.js";
import { render } from "./render.js";
import { conn, noteServerTime, state, store } from "./state.js";
import { loadResolved } from "./tabs.js";

const RECONNECT_MIN_MS = 500;
const SIGN_IN_FIRST = 4401; // the hub closes the feed with this code when the session is missing or over

let onSignedOut = () => {};

export function setFeedSignedOutHandler(handler) {
  onSignedOut = handler;
}
const RECONNECT_MAX_MS = 5000;

function wsUrl() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/ws/alerts`;
}

export function connect() {
  clearTimeout(conn.timer);
  conn.timer = null;
  setConnStatus(conn.everSynced ? "reconnecting" : "connecting");
  let socket;
  try {
    socket = new WebSocket(wsUrl());
  } catch {
    scheduleReconnect();
    return;
  }
  conn.socket = socket;
  conn.synced = false;
  conn.lastPingAt = 0;
  conn.pingGap = 0;
  socket.addEventListener("open", () => {
    if (conn.socket === socket) setConnStatus("syncing");
  });
  socket.addEventListener("message", (ev) => {
    if (conn.socket === socket) onMessage(ev.data);
  });
  socket.addEventListener("close", (ev) => {
    if (conn.socket !== socket) return;
    if (ev.code === SIGN_IN_FIRST) {
      disconnect();
      onSignedOut();
      return;
    }
    dropConnection();
  });
}

function dropConnection() {
  const socket = conn.socket;
  conn.socket = null;
  conn.synced = false;
  if (socket) {
    try {
      socket.close();
    } catch {
      // already closed
    }
  }
  setConnStatus("offline");
  scheduleReconnect();
}

// Signed out: the feed closes and stays closed until `connect()` after signing in again.
export function disconnect() {
  clearTimeout(conn.timer);
  conn.timer = null;
  const socket = conn.socket;
  conn.socket = null;
  conn.synced = false;
  conn.attempt = 0;
  if (socket) {
    try {
      socket.close();
    } catch {
      // already closed
    }
  }
  setConnStatus("offline");
}

function scheduleReconnect() {
  if (conn.timer) return;
  const base = Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * 2 ** conn.attempt);
  const delay = Math.min(RECONNECT_MAX_MS, Math.round(base * (1 + Math.random() * 0.2)));
  conn.attempt += 1;
  conn.timer = setTimeout(() => {
    conn.timer = null;
    connect();
  }, delay);
}

function reconnectNow() {
  if (conn.socket || !conn.timer || !state.user) return;
  clearTimeout(conn.timer);
  conn.timer = null;
  conn.attempt = 0;
  connect();
}

function onMessage(raw) {
  let msg;
  try {
    msg = JSON.parse(raw);
  } catch {
    return;
  }
  const now = Date.now();
  conn.lastMessageAt = now;
  if (!msg || typeof msg !== "object") return;
  switch (msg.type) {
    case "snapshot":
      onSnapshot(msg);
      break;
    case "alert":
      if (msg.server_time) noteServerTime(msg.server_time);
      onAlert(msg.alert, "live");
      break;
    case "ping":
      if (conn.lastPingAt) conn.pingGap = now - conn.lastPingAt;
      conn.lastPingAt = now;
      if (msg.server_time) noteServerTime(msg.server_time);
      break;
    default:
      break;
  }
}

function onSnapshot(msg) {
  noteServerTime(msg.server_time);
  const first = !conn.everSynced;
  const { added } = store.replace(Array.isArray(msg.alerts) ? msg.alerts : []);
  conn.synced = true;
  conn.everSynced = true;
  conn.attempt = 0;
  state.lastUpdateAt = Date.now();
  setConnStatus("live");
  if (!first && added.some((a) => a.priority === 1 && a.handling === "new")) soundAlarmNow();
  if (state.tab === "resolved" || state.resolved.loaded) loadResolved();
  if (state.selectedId !== null) scheduleDetailRefresh(0);
  render({ arrivals: !first });
}

export function watchdog(now) {
  // Only when the server sends pings: no message for several ping intervals means a dead link.
  if (!conn.socket || !conn.synced || !conn.pingGap) return;
  const limit = Math.max(20_000, conn.pingGap * 3);
  if (now - conn.lastMessageAt > limit) dropConnection();
}

export function bindNetworkEvents() {
  window.addEventListener("online", reconnectNow);
  window.addEventListener("offline", () => {
    if (conn.socket) dropConnection();
  });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") reconnectNow();
  });
}
