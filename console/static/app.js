// Operator console: live alert queue, actions, detail panel and alarm sound.

import { AlertStore, compareQueue } from "./store.js";
import { AlarmSound } from "./sound.js";
import {
  FALLBACK_OUTCOMES,
  describeDetail,
  formatAge,
  formatClock,
  formatDate,
  formatTs,
  fullTs,
  humanize,
  kindLabel,
  parseTs,
  priorityInfo,
} from "./format.js";

const OPERATOR_KEY = "telecare.operator";
const SOUND_KEY = "telecare.sound"; // per browser tab session: sound is back on after a reload
const ALARM_REPEAT_MS = 4000;
const RECONNECT_MIN_MS = 500;
const RECONNECT_MAX_MS = 5000;
const TSA_ANSWER_MS = 60_000;
const TSA_LATE_MS = 180_000;

const $ = (sel, root = document) => root.querySelector(sel);
const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

// ---------------------------------------------------------------------------
// State

const store = new AlertStore();

const state = {
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
  operator: readStorage(localStorage, OPERATOR_KEY),
  soundOn: readStorage(sessionStorage, SOUND_KEY) !== "off",
  lastAlarmAt: 0,
  lastOfflineChimeAt: 0,
  pending: new Set(), // "id:action" requests in flight
  pendingOperatorAction: null,
  resolveId: null,
  lastUpdateAt: null,
};

const conn = {
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

const sound = new AlarmSound(() => updateSoundUi());

function readStorage(storage, key) {
  try {
    return storage.getItem(key) || "";
  } catch {
    return "";
  }
}

function writeStorage(storage, key, value) {
  try {
    storage.setItem(key, value);
  } catch {
    // Storage may be disabled; the value still applies to this page.
  }
}

function serverNow() {
  return Date.now() + state.serverOffset;
}

function noteServerTime(iso) {
  const t = parseTs(iso);
  if (Number.isFinite(t)) state.serverOffset = t - Date.now();
}

// ---------------------------------------------------------------------------
// DOM helpers

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function badge(priority, extra = "") {
  const info = priorityInfo(priority);
  return el("span", {
    class: `badge p${priority} ${extra}`.trim(),
    title: `Priority ${priority} — ${info.name}`,
    text: info.short,
  });
}

// ---------------------------------------------------------------------------
// API

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function api(path, { method = "GET", body } = {}) {
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

// ---------------------------------------------------------------------------
// Toasts

function toast(message, kind = "error", timeout) {
  const host = $("#toasts");
  const ms = timeout ?? (kind === "error" ? 10_000 : 3500);
  const item = el(
    "div",
    { class: `toast toast-${kind}`, role: kind === "error" ? "alert" : "status" },
    el("span", { class: "toast-icon", "aria-hidden": "true", text: kind === "error" ? "!" : "✓" }),
    el("div", { class: "toast-msg", text: message }),
  );
  const close = el("button", { type: "button", class: "toast-close", "aria-label": "Dismiss message", text: "×" });
  item.append(close);
  let timer = null;
  const remove = () => {
    clearTimeout(timer);
    item.classList.add("leaving");
    setTimeout(() => item.remove(), 180);
  };
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(remove, ms);
  };
  close.addEventListener("click", remove);
  item.addEventListener("mouseenter", () => clearTimeout(timer));
  item.addEventListener("mouseleave", arm);
  host.append(item);
  while (host.children.length > 5) host.firstElementChild.remove();
  arm();
  return item;
}

// ---------------------------------------------------------------------------
// Queue rendering

function resolvedToday(list) {
  const now = new Date(serverNow());
  const midnight = new Date(now.getFullYear(), now.getMonth(), now.getDate()).getTime();
  return list
    .filter((a) => a.handling === "resolved" && (parseTs(a.resolved_at) || 0) >= midnight)
    .sort((a, b) => (parseTs(b.resolved_at) || 0) - (parseTs(a.resolved_at) || 0) || compareQueue(a, b));
}

function visibleAlerts() {
  if (state.tab === "acknowledged") return store.sorted((a) => a.handling === "acknowledged");
  if (state.tab === "resolved") return resolvedToday(state.resolved.list);
  return store.sorted();
}

function outcomeLabel(code) {
  return state.outcomeLabels.get(code) || humanize(code);
}

function statusChips(a) {
  const chips = [];
  if (a.handling === "resolved") {
    chips.push(
      el(
        "span",
        { class: "chip-group", title: a.resolved_at ? `Resolved at ${formatTs(a.resolved_at)}` : null },
        el("span", { class: "chip chip-resolved", text: "Resolved" }),
        a.resolved_by ? " " : null,
        a.resolved_by ? el("span", { class: "chip-by", text: `by ${a.resolved_by}` }) : null,
      ),
    );
    if (a.outcome) chips.push(el("span", { class: "chip chip-outcome", text: outcomeLabel(a.outcome) }));
    return chips;
  }
  if (a.escalation_level > 0) {
    chips.push(
      el("span", {
        class: `chip ${a.handling === "new" ? "chip-escalated" : "chip-escalated-past"}`,
        title: a.escalated_at ? `Escalated at ${formatTs(a.escalated_at)}` : null,
        text: `Escalated level ${a.escalation_level}`,
      }),
    );
  }
  if (a.handling === "new") {
    chips.push(el("span", { class: "chip chip-new", text: "New" }));
  } else if (a.handling === "acknowledged") {
    chips.push(
      el(
        "span",
        {
          class: "chip-group",
          title: a.acknowledged_at ? `Acknowledged at ${formatTs(a.acknowledged_at)}` : null,
        },
        el("span", { class: "chip chip-ack", text: "Acknowledged" }),
        a.acknowledged_by ? " " : null,
        a.acknowledged_by ? el("span", { class: "chip-by", text: `by ${a.acknowledged_by}` }) : null,
      ),
    );
  }
  if (a.condition === "cleared") {
    chips.push(
      el("span", {
        class: "chip chip-cleared",
        title: a.cleared_at ? `Cleared at ${formatTs(a.cleared_at)}` : null,
        text: "Cleared",
      }),
    );
  }
  return chips;
}

function actionButtons(a, attr = "data-action") {
  if (a.handling === "resolved") return [];
  const who = `${kindLabel(a.kind)}, ${a.resident_name || a.home_id}`;
  const buttons = [];
  if (a.handling === "new") {
    buttons.push(
      el("button", {
        type: "button",
        class: `btn btn-ack${a.priority === 1 ? " btn-ack-p1" : ""}`,
        [attr]: "acknowledge",
        "data-id": a.id,
        "aria-label": `Acknowledge alert ${a.id}: ${who}`,
        text: "Acknowledge",
      }),
    );
  }
  buttons.push(
    el("button", {
      type: "button",
      class: "btn btn-resolve",
      [attr]: "resolve",
      "data-id": a.id,
      "aria-label": `Resolve alert ${a.id}: ${who}`,
      text: "Resolve",
    }),
  );
  return buttons;
}

function rowClasses(a) {
  const cls = [`prio-${a.priority}`, `h-${a.handling}`];
  if (a.priority === 1 && a.handling === "new") cls.push("flash");
  if (a.escalation_level > 0 && a.handling === "new") cls.push("escalated");
  if (a.condition === "cleared") cls.push("is-cleared");
  if (a.id === state.selectedId) cls.push("selected");
  return cls.join(" ");
}

function buildRow(a) {
  const info = priorityInfo(a.priority);
  const tr = el("tr", {
    class: rowClasses(a),
    tabindex: "0",
    "data-alert-id": a.id,
    "data-kind": a.kind,
    "data-handling": a.handling,
    "data-priority": a.priority,
    "data-condition": a.condition,
  });

  tr.append(
    el("td", { class: "col-prio" }, badge(a.priority), el("span", { class: "visually-hidden", text: ` ${info.name}` })),
    el(
      "td",
      { class: "col-kind" },
      el("div", { class: "primary kind", text: kindLabel(a.kind) }),
      a.explanation ? el("div", { class: "secondary explain", title: a.explanation, text: a.explanation }) : null,
    ),
    el(
      "td",
      { class: "col-resident" },
      el("div", { class: "primary", text: a.resident_name || "Unknown resident" }),
      a.resident_id ? el("div", { class: "secondary mono", text: a.resident_id }) : null,
    ),
    el(
      "td",
      { class: "col-home" },
      el("div", { class: "primary addr", title: a.address || null, text: a.address || "—" }),
      el("div", { class: "secondary mono", text: a.home_id || "" }),
    ),
    el(
      "td",
      { class: "col-device" },
      el("div", { class: "primary mono", text: a.device_id || "—" }),
      a.room ? el("div", { class: "secondary", text: humanize(a.room) }) : null,
    ),
    el(
      "td",
      { class: "col-repeat num" },
      a.repeat_count > 1
        ? el("span", { class: "repeat", title: `Triggered ${a.repeat_count} times`, text: `×${a.repeat_count}` })
        : null,
    ),
    el("td", { class: "col-age num" }, ageNode(a)),
    el("td", { class: "col-status" }, el("div", { class: "chips" }, statusChips(a))),
    el("td", { class: "col-actions" }, el("div", { class: "actions" }, actionButtons(a))),
  );
  applyPending(tr);
  return tr;
}

function ageNode(a) {
  if (a.handling === "resolved") {
    const dur = (parseTs(a.resolved_at) || NaN) - (parseTs(a.raised_at) || NaN);
    return el("span", {
      class: "age age-static",
      title: `Raised ${formatTs(a.raised_at)}, resolved ${formatTs(a.resolved_at)} (time to resolve)`,
      text: formatAge(dur),
    });
  }
  const node = el("span", {
    class: "age",
    "data-since": a.raised_at || "",
    "data-watch": a.priority === 1 && a.handling === "new" ? "1" : null,
    title: `Raised ${formatTs(a.raised_at)}`,
  });
  updateAge(node, serverNow());
  return node;
}

function updateAge(node, now) {
  const since = parseTs(node.dataset.since);
  const ms = now - since;
  const text = formatAge(ms);
  if (node.textContent !== text) node.textContent = text;
  if (node.dataset.watch) {
    node.classList.toggle("age-warn", ms >= TSA_ANSWER_MS && ms < TSA_LATE_MS);
    node.classList.toggle("age-late", ms >= TSA_LATE_MS);
  }
}

function rowSignature(a) {
  return `${a.version}|${a.updated_at}|${a.handling}|${state.tab}`;
}

function applyPending(tr) {
  const id = tr.dataset.alertId;
  for (const btn of $$("button[data-action]", tr)) {
    const busy = state.pending.has(`${id}:${btn.dataset.action}`);
    btn.disabled = busy;
    btn.classList.toggle("busy", busy);
    if (busy) btn.setAttribute("aria-busy", "true");
    else btn.removeAttribute("aria-busy");
  }
}

function captureFocus() {
  const active = document.activeElement;
  const tbody = $("#alert-rows");
  if (!active || !tbody.contains(active)) return null;
  const tr = active.closest("tr");
  const index = [...tbody.children].indexOf(tr);
  return { node: active, id: tr?.dataset.alertId, action: active.dataset.action || null, index };
}

function restoreFocus(saved) {
  if (!saved || document.activeElement === saved.node) return;
  if (document.contains(saved.node) && saved.node.tabIndex >= 0 && !saved.node.disabled) {
    saved.node.focus({ preventScroll: true });
    return;
  }
  const tbody = $("#alert-rows");
  const row = tbody.querySelector(`tr[data-alert-id="${CSS.escape(String(saved.id))}"]`);
  if (row) {
    const target = (saved.action && row.querySelector(`[data-action="${saved.action}"]`)) || row;
    target.focus({ preventScroll: true });
    return;
  }
  const rows = tbody.children;
  if (rows.length) rows[Math.min(saved.index, rows.length - 1)].focus({ preventScroll: true });
  else $("#queue").focus({ preventScroll: true });
}

function renderQueue({ arrivals = false } = {}) {
  const tbody = $("#alert-rows");
  const list = visibleAlerts();
  const saved = captureFocus();
  const existing = new Map();
  for (const tr of tbody.children) existing.set(tr.dataset.alertId, tr);

  const rows = list.map((a) => {
    const key = String(a.id);
    const sig = rowSignature(a);
    let tr = existing.get(key);
    if (tr && tr.dataset.sig === sig) {
      existing.delete(key);
      tr.className = rowClasses(a);
      applyPending(tr);
      return tr;
    }
    const fresh = buildRow(a);
    fresh.dataset.sig = sig;
    if (!tr && arrivals && state.tab !== "resolved" && a.handling === "new") fresh.classList.add("arrived");
    if (tr) existing.delete(key);
    return fresh;
  });

  for (const tr of existing.values()) tr.remove();
  rows.forEach((tr, i) => {
    const current = tbody.children[i];
    if (current !== tr) tbody.insertBefore(tr, current || null);
  });
  while (tbody.children.length > rows.length) tbody.lastElementChild.remove();
  restoreFocus(saved);

  // Empty / loading state
  const empty = $("#queue-empty");
  let emptyText = "";
  if (state.tab === "resolved") {
    if (state.resolved.error) emptyText = `Could not load resolved alerts: ${state.resolved.error}`;
    else if (!state.resolved.loaded) emptyText = "Loading resolved alerts…";
    else emptyText = "No alerts resolved today";
  } else if (!conn.everSynced) {
    emptyText = "Waiting for the live alert feed…";
  } else {
    emptyText = state.tab === "acknowledged" ? "No acknowledged alerts awaiting resolution" : "No open alerts";
  }
  empty.hidden = list.length > 0;
  empty.classList.toggle("is-waiting", !conn.everSynced && state.tab !== "resolved");
  $("#queue-empty-text").textContent = emptyText;
  $("#alert-table").classList.toggle("is-empty", list.length === 0);
}

function renderSummary() {
  const stats = store.stats();
  for (const p of [1, 2, 3, 4]) {
    const node = $(`[data-count="${p}"]`);
    node.textContent = String(stats.byPriority[p]);
    $(`#count-${p}`).classList.toggle("is-zero", stats.byPriority[p] === 0);
  }
  const p1 = $("#count-1");
  p1.classList.toggle("alarming", stats.unackedP1 > 0);
  p1.title = `Open P1 emergency alerts: ${stats.byPriority[1]} (${stats.unackedP1} not acknowledged)`;

  $("#tab-count-open").textContent = String(stats.total);
  $("#tab-count-acknowledged").textContent = String(stats.acknowledged);
  $("#tab-count-resolved").textContent = state.resolved.loaded ? String(resolvedToday(state.resolved.list).length) : "–";
  $("#tab-open").classList.toggle("has-alarm", stats.unackedP1 > 0 && state.tab !== "open");

  const newCount = store.sorted((a) => a.handling === "new").length;
  const parts = [];
  if (state.tab === "resolved") {
    parts.push("Resolved since midnight, most recent first");
  } else {
    parts.push(newCount === 1 ? "1 awaiting acknowledgement" : `${newCount} awaiting acknowledgement`);
    if (stats.escalated) parts.push(`${stats.escalated} escalated`);
  }
  $("#queue-summary").textContent = parts.join(" · ");

  // Window title and icon stay visible in a background tab.
  const base = "Telecare Hub · Response console";
  document.title =
    stats.unackedP1 > 0
      ? `(${stats.unackedP1}) EMERGENCY · ${base}`
      : stats.total > 0
        ? `(${stats.total}) ${base}`
        : base;
  const icon = stats.unackedP1 > 0 ? "/static/favicon-alert.svg" : "/static/favicon.svg";
  const link = $("#favicon");
  if (link.getAttribute("href") !== icon) link.setAttribute("href", icon);
  updateSoundUi(stats);
}

function render(options) {
  renderQueue(options);
  renderSummary();
  renderDetail();
}

// ---------------------------------------------------------------------------
// Tabs

const TAB_TEXT = {
  open: { caption: "Open alerts, most urgent first", age: "Age" },
  acknowledged: { caption: "Acknowledged alerts awaiting resolution", age: "Age" },
  resolved: { caption: "Alerts resolved today, most recent first", age: "Took" },
};

function setTab(tab, { focus = false } = {}) {
  if (!TAB_TEXT[tab]) return;
  state.tab = tab;
  for (const btn of $$('[role="tab"]')) {
    const on = btn.dataset.tab === tab;
    btn.setAttribute("aria-selected", String(on));
    btn.tabIndex = on ? 0 : -1;
    if (on && focus) btn.focus();
  }
  $("#queue").setAttribute("aria-labelledby", `tab-${tab}`);
  $("#queue-caption").textContent = TAB_TEXT[tab].caption;
  $("#age-heading").textContent = TAB_TEXT[tab].age;
  if (tab === "resolved") loadResolved();
  render();
}

async function loadResolved() {
  const r = state.resolved;
  const seq = ++r.seq;
  r.loading = true;
  try {
    const data = await api("/api/alerts?state=resolved");
    if (seq !== r.seq) return;
    if (data && data.server_time) noteServerTime(data.server_time);
    r.list = Array.isArray(data?.alerts) ? data.alerts : [];
    r.loaded = true;
    r.error = null;
  } catch (err) {
    if (seq !== r.seq) return;
    r.error = err.message;
    toast(`Could not load resolved alerts: ${err.message}`);
  } finally {
    if (seq === r.seq) r.loading = false;
  }
  render();
}

function noteResolved(alert) {
  const r = state.resolved;
  if (!r.loaded) return;
  const i = r.list.findIndex((a) => a.id === alert.id);
  if (i === -1) r.list.push(alert);
  else if (!(alert.version <= r.list[i].version)) r.list[i] = alert;
}

// ---------------------------------------------------------------------------
// Live feed (websocket)

function wsUrl() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/ws/alerts`;
}

function connect() {
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
  socket.addEventListener("close", () => {
    if (conn.socket === socket) dropConnection();
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
  if (conn.socket || !conn.timer) return;
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

function onAlert(alert, source) {
  const result = store.apply(alert);
  if (!result) return;
  state.lastUpdateAt = Date.now();
  const a = result.alert;
  if (result.removed) {
    noteResolved(a);
    if (state.resolveId === a.id && source === "live") {
      showResolveError(
        `This alert has just been resolved${a.resolved_by ? ` by ${a.resolved_by}` : ""}${a.outcome ? ` (${outcomeLabel(a.outcome)})` : ""}.`,
      );
    }
  } else if (result.added && a.handling === "new") {
    if (a.priority === 1) soundAlarmNow();
    else if (a.priority === 2 && state.soundOn) sound.chime();
  } else if (
    result.previous &&
    a.handling === "new" &&
    a.priority === 1 &&
    (a.escalation_level || 0) > (result.previous.escalation_level || 0)
  ) {
    soundAlarmNow();
  }
  if (a.id === state.selectedId) scheduleDetailRefresh();
  render({ arrivals: source === "live" });
}

function setConnStatus(status) {
  const wasLive = conn.status === "live";
  conn.status = status;
  if (status === "live") conn.lostAt = null;
  else if (wasLive || conn.lostAt === null) conn.lostAt = Date.now();

  const node = $("#connection-status");
  node.dataset.state = status;
  const labels = {
    connecting: "Connecting",
    syncing: "Syncing",
    reconnecting: "Reconnecting",
    offline: "Offline",
    live: "Live",
  };
  $(".conn-label", node).textContent = labels[status] || status;
  node.title = status === "live" ? "Live alert feed connected" : "Live alert feed not connected";

  const banner = $("#connection-banner");
  banner.hidden = status === "live";
  if (status !== "live") {
    banner.classList.toggle("is-initial", !conn.everSynced && status !== "offline");
    updateBannerText();
  }
  document.body.classList.toggle("is-stale", status !== "live" && conn.everSynced);
}

function updateBannerText() {
  const text = $("#connection-banner-text");
  let msg;
  if (!conn.everSynced && conn.status !== "offline" && conn.attempt === 0) {
    msg = "Connecting to the live alert feed…";
  } else {
    msg = "Live connection lost — reconnecting… alerts shown may be out of date";
    if (conn.lostAt) {
      const ms = Date.now() - conn.lostAt;
      if (ms >= 5000) msg += ` (for ${formatAge(ms)})`;
    }
  }
  if (text.textContent !== msg) text.textContent = msg;
}

function watchdog(now) {
  // Only when the server sends pings: no message for several ping intervals means a dead link.
  if (!conn.socket || !conn.synced || !conn.pingGap) return;
  const limit = Math.max(20_000, conn.pingGap * 3);
  if (now - conn.lastMessageAt > limit) dropConnection();
}

// ---------------------------------------------------------------------------
// Sound

function soundAlarmNow() {
  if (!state.soundOn || !sound.ready) return;
  const now = Date.now();
  if (now - state.lastAlarmAt < 1600) return; // a burst is already playing
  if (sound.alarm()) state.lastAlarmAt = now;
}

function alarmTick(now) {
  const stats = store.stats();
  if (stats.unackedP1 > 0 && state.soundOn && sound.ready && now - state.lastAlarmAt >= ALARM_REPEAT_MS) {
    if (sound.alarm()) state.lastAlarmAt = now;
  }
  // A lost feed is itself a risk of a missed alarm: remind once a minute after 15 s.
  if (conn.everSynced && conn.status !== "live" && conn.lostAt && now - conn.lostAt > 15_000) {
    if (state.soundOn && sound.ready && now - state.lastOfflineChimeAt > 60_000) {
      if (sound.chime()) state.lastOfflineChimeAt = now;
    }
  }
}

function updateSoundUi(stats = store.stats()) {
  const toggle = $("#sound-toggle");
  toggle.setAttribute("aria-pressed", String(state.soundOn));
  toggle.classList.toggle("is-off", !state.soundOn);
  $(".sound-label", toggle).textContent = state.soundOn ? "Sound on" : "Sound off";
  toggle.title = state.soundOn
    ? "Alarm sound is on — click to mute"
    : "Alarm sound is off — click to turn it on";
  $("#sound-prompt").hidden = sound.ready;
  $("#mute-warning").hidden = state.soundOn || stats.unackedP1 === 0;
}

function setSound(on) {
  state.soundOn = on;
  writeStorage(sessionStorage, SOUND_KEY, on ? "on" : "off");
  updateSoundUi();
  if (on) {
    state.lastAlarmAt = 0;
    if (store.stats().unackedP1 > 0) soundAlarmNow();
    else sound.test();
  }
}

function onFirstGesture() {
  if (!sound.ready) sound.unlock();
}

// ---------------------------------------------------------------------------
// Operator name

function normaliseName(value) {
  return String(value || "").replace(/\s+/g, " ").trim().slice(0, 60);
}

function setOperator(name) {
  state.operator = name;
  writeStorage(localStorage, OPERATOR_KEY, name);
  const input = $("#operator-name");
  if (input.value !== name) input.value = name;
  updateOperatorUi();
}

function updateOperatorUi() {
  const form = $("#operator-form");
  const input = $("#operator-name");
  const saved = !!state.operator && normaliseName(input.value) === state.operator;
  form.classList.toggle("is-missing", !state.operator);
  form.classList.toggle("is-saved", saved);
  form.classList.toggle("is-dirty", !saved && normaliseName(input.value) !== "");
  $("#operator-save").textContent = saved ? "Saved" : "Save";
}

function withOperator(action) {
  if (state.operator) {
    action(state.operator);
    return;
  }
  state.pendingOperatorAction = action;
  const dlg = $("#operator-dialog");
  $("#operator-dialog-name").value = normaliseName($("#operator-name").value);
  $("#operator-dialog-error").hidden = true;
  dlg.returnFocus = document.activeElement;
  dlg.showModal();
  $("#operator-dialog-name").focus();
}

// ---------------------------------------------------------------------------
// Actions

function findAlert(id) {
  return (
    store.get(id) ||
    state.resolved.list.find((a) => a.id === id) ||
    (state.detail && state.detail.id === id ? state.detail : null)
  );
}

function describeAlert(a) {
  if (!a) return "";
  return `${kindLabel(a.kind)} — ${a.resident_name || a.home_id || "unknown resident"}`;
}

function setPending(id, action, busy) {
  const key = `${id}:${action}`;
  if (busy) state.pending.add(key);
  else state.pending.delete(key);
  for (const tr of $$(`#alert-rows tr[data-alert-id="${CSS.escape(String(id))}"]`)) applyPending(tr);
  for (const btn of $$(`#detail-panel [data-panel-action="${action}"]`)) btn.disabled = busy;
}

async function refreshAlert(id) {
  try {
    const data = await api(`/api/alerts/${encodeURIComponent(id)}`);
    if (data) onAlert(stripAudit(data), "refresh");
  } catch {
    // the live feed will catch up
  }
}

function stripAudit(data) {
  const { audit, ...alert } = data;
  return alert;
}

function acknowledge(id) {
  withOperator(async (operator) => {
    const key = `${id}:acknowledge`;
    if (state.pending.has(key)) return;
    const a = findAlert(id);
    setPending(id, "acknowledge", true);
    try {
      const updated = await api(`/api/alerts/${encodeURIComponent(id)}/acknowledge`, {
        method: "POST",
        body: { operator },
      });
      if (updated) onAlert(updated, "action");
      toast(`Acknowledged #${id} · ${describeAlert(updated || a)}`, "ok");
    } catch (err) {
      toast(`Could not acknowledge alert #${id}: ${err.message}${err.status ? ` (${err.status})` : ""}`);
      if (err.status) refreshAlert(id);
    } finally {
      setPending(id, "acknowledge", false);
    }
  });
}

async function ensureOutcomes() {
  if (state.outcomes) return state.outcomes;
  try {
    const data = await api("/api/outcomes");
    const list = Array.isArray(data?.outcomes) ? data.outcomes.filter((o) => o && o.code) : [];
    if (list.length) {
      state.outcomes = list;
      for (const o of list) state.outcomeLabels.set(o.code, o.label || humanize(o.code));
      return list;
    }
  } catch {
    // fall through to the built-in list
  }
  return FALLBACK_OUTCOMES;
}

function fillOutcomes(list) {
  const select = $("#resolve-outcome");
  const current = select.value;
  select.replaceChildren(
    el("option", { value: "", text: "Choose an outcome…" }),
    ...list.map((o) => el("option", { value: o.code, text: o.label || humanize(o.code) })),
  );
  if (list.some((o) => o.code === current)) select.value = current;
}

function openResolve(id) {
  withOperator(async () => {
    const a = findAlert(id);
    if (a && a.handling === "resolved") {
      toast(`Alert #${id} is already resolved.`);
      return;
    }
    const dlg = $("#resolve-dialog");
    state.resolveId = id;
    dlg.dataset.alertId = String(id);
    dlg.returnFocus = document.activeElement;
    const fromRow = rowOf(document.activeElement);
    dlg.dataset.rowIndex = fromRow ? String([...$("#alert-rows").children].indexOf(fromRow)) : "-1";
    $("#resolve-title").textContent = `Resolve alert #${id}`;
    const summary = $("#resolve-summary");
    summary.replaceChildren();
    if (a) {
      summary.append(
        badge(a.priority),
        " ",
        el("strong", { text: kindLabel(a.kind) }),
        ` · ${a.resident_name || "Unknown resident"} · ${a.address || a.home_id || ""}`,
      );
    }
    $("#resolve-form").reset();
    $("#resolve-error").hidden = true;
    setConfirmBusy(false);
    updateNoteRequirement();
    fillOutcomes(state.outcomes || FALLBACK_OUTCOMES);
    if (!dlg.open) dlg.showModal();
    $("#resolve-outcome").focus();
    const list = await ensureOutcomes();
    if (state.resolveId === id) fillOutcomes(list);
  });
}

function updateNoteRequirement() {
  const needNote = $("#resolve-outcome").value === "other";
  $("#resolve-note").required = needNote;
  $("#resolve-note-hint").textContent = needNote ? "(required for “Other”)" : "(optional)";
}

function showResolveError(message) {
  const node = $("#resolve-error");
  node.textContent = message;
  node.hidden = false;
}

function setConfirmBusy(busy) {
  const btn = $('#resolve-dialog [data-action="confirm-resolve"]');
  btn.disabled = busy;
  btn.classList.toggle("busy", busy);
  btn.textContent = busy ? "Resolving…" : "Resolve alert";
}

async function submitResolve() {
  const id = state.resolveId;
  if (id === null || id === undefined) return;
  const select = $("#resolve-outcome");
  const noteBox = $("#resolve-note");
  const outcome = select.value;
  const note = noteBox.value.trim();
  if (!outcome) {
    showResolveError("Choose an outcome before resolving.");
    select.setAttribute("aria-invalid", "true");
    select.focus();
    return;
  }
  select.removeAttribute("aria-invalid");
  if (outcome === "other" && !note) {
    showResolveError("Add a note describing the outcome.");
    noteBox.setAttribute("aria-invalid", "true");
    noteBox.focus();
    return;
  }
  noteBox.removeAttribute("aria-invalid");
  if (!state.operator) {
    $("#resolve-dialog").close();
    openResolve(id);
    return;
  }
  $("#resolve-error").hidden = true;
  setConfirmBusy(true);
  setPending(id, "resolve", true);
  try {
    const updated = await api(`/api/alerts/${encodeURIComponent(id)}/resolve`, {
      method: "POST",
      body: { operator: state.operator, outcome, note },
    });
    if (updated) onAlert(updated, "action");
    closeResolve();
    toast(`Resolved #${id} · ${outcomeLabel(outcome)}`, "ok");
  } catch (err) {
    const msg = `Could not resolve alert #${id}: ${err.message}${err.status ? ` (${err.status})` : ""}`;
    showResolveError(msg);
    toast(msg);
    if (err.status) refreshAlert(id);
  } finally {
    setPending(id, "resolve", false);
    setConfirmBusy(false);
  }
}

function closeResolve() {
  const dlg = $("#resolve-dialog");
  if (dlg.open) dlg.close();
}

// ---------------------------------------------------------------------------
// Detail panel

function openDetail(id, { focusPanel = false } = {}) {
  const changed = state.selectedId !== id;
  state.selectedId = id;
  if (changed) {
    state.detail = null;
    state.detailError = null;
  }
  const panel = $("#detail-panel");
  panel.hidden = false;
  $("#layout").classList.add("with-detail");
  render();
  if (focusPanel) panel.focus({ preventScroll: true });
  scheduleDetailRefresh(0);
}

function closeDetail() {
  const id = state.selectedId;
  state.selectedId = null;
  state.detail = null;
  clearTimeout(state.detailTimer);
  $("#detail-panel").hidden = true;
  $("#layout").classList.remove("with-detail");
  render();
  if (id !== null) {
    const row = $(`#alert-rows tr[data-alert-id="${CSS.escape(String(id))}"]`);
    if (row) row.focus({ preventScroll: true });
  }
}

function scheduleDetailRefresh(delay = 150) {
  clearTimeout(state.detailTimer);
  state.detailTimer = setTimeout(fetchDetail, delay);
}

async function fetchDetail() {
  const id = state.selectedId;
  if (id === null) return;
  const seq = ++state.detailSeq;
  try {
    const data = await api(`/api/alerts/${encodeURIComponent(id)}`);
    if (seq !== state.detailSeq || state.selectedId !== id) return;
    state.detail = data;
    state.detailError = null;
    if (data) {
      // The detail answer may be newer than what the feed has delivered so far.
      const alert = stripAudit(data);
      store.apply(alert);
      if (alert.handling === "resolved") noteResolved(alert);
    }
  } catch (err) {
    if (seq !== state.detailSeq || state.selectedId !== id) return;
    state.detailError = err.message;
  }
  render();
}

function freshestSelected() {
  const id = state.selectedId;
  const candidates = [store.get(id), state.resolved.list.find((a) => a.id === id)];
  if (state.detail && state.detail.id === id) candidates.push(state.detail);
  let best = null;
  for (const c of candidates) {
    if (!c) continue;
    if (!best || (typeof c.version === "number" && c.version > best.version)) best = c;
  }
  return best;
}

function dl(pairs) {
  const list = el("dl", { class: "kv" });
  for (const [label, value, cls] of pairs) {
    if (value === null || value === undefined || value === "") continue;
    list.append(el("dt", { text: label }), el("dd", { class: cls || null }, value));
  }
  return list;
}

function tsValue(iso) {
  if (!iso) return null;
  return el("time", { datetime: fullTs(iso), title: fullTs(iso), text: formatTs(iso) });
}

function withBy(iso, by) {
  if (!iso && !by) return null;
  const frag = document.createDocumentFragment();
  if (iso) frag.append(tsValue(iso));
  if (by) frag.append(iso ? " by " : "by ", el("strong", { text: by }));
  return frag;
}

function renderAudit(audit) {
  if (!Array.isArray(audit) || audit.length === 0) {
    return el("p", { class: "muted", text: "No audit entries." });
  }
  const rows = [...audit].sort((a, b) => (parseTs(a.at) || 0) - (parseTs(b.at) || 0));
  const list = el("ol", { class: "audit" });
  for (const entry of rows) {
    const transitions = [];
    if (entry.from_handling !== entry.to_handling && (entry.from_handling || entry.to_handling)) {
      transitions.push(`${entry.from_handling || "∅"} → ${entry.to_handling || "∅"}`);
    }
    if (entry.from_condition !== entry.to_condition && (entry.from_condition || entry.to_condition)) {
      transitions.push(`${entry.from_condition || "∅"} → ${entry.to_condition || "∅"}`);
    }
    const details = [];
    if (entry.detail && typeof entry.detail === "object") {
      for (const [k, v] of Object.entries(entry.detail)) {
        if (v === null || v === undefined || v === "") continue;
        details.push(
          el("span", { class: "audit-kv" }, el("span", { class: "k", text: humanize(k) }), " ",
            el("span", { class: "v", text: typeof v === "object" ? JSON.stringify(v) : String(v) })),
        );
      }
    }
    list.append(
      el(
        "li",
        { class: `audit-item audit-${String(entry.action || "").replace(/[^a-z0-9_-]/gi, "")}` },
        el(
          "div",
          { class: "audit-head" },
          tsValue(entry.at) || el("span", { text: "—" }),
          el("strong", { class: "audit-action", text: humanize(entry.action) || "Change" }),
          el("span", { class: "audit-actor", text: entry.actor || "" }),
        ),
        transitions.length || entry.rule
          ? el(
              "div",
              { class: "audit-meta" },
              transitions.map((t) => el("span", { class: "audit-transition", text: t })),
              entry.rule ? el("span", { class: "audit-rule mono", title: "Rule", text: entry.rule }) : null,
            )
          : null,
        details.length ? el("div", { class: "audit-detail" }, details) : null,
      ),
    );
  }
  return list;
}

function renderDetail() {
  const panel = $("#detail-panel");
  if (state.selectedId === null || panel.hidden) return;
  const a = freshestSelected();
  const body = $("#detail-body");
  const keepScroll = body.scrollTop;
  const focused = body.contains(document.activeElement) ? document.activeElement.dataset.panelAction : null;
  body.replaceChildren();

  if (!a) {
    $("#detail-title").textContent = `Alert #${state.selectedId}`;
    $("#detail-badge").hidden = true;
    body.append(
      el("p", { class: "muted", text: state.detailError ? `Could not load alert: ${state.detailError}` : "Loading…" }),
    );
    return;
  }

  const info = priorityInfo(a.priority);
  const badgeNode = $("#detail-badge");
  badgeNode.hidden = false;
  badgeNode.className = `badge p${a.priority}`;
  badgeNode.textContent = info.short;
  badgeNode.title = `Priority ${a.priority} — ${info.name}`;
  $("#detail-title").textContent = `${kindLabel(a.kind)} · #${a.id}`;
  panel.dataset.alertId = String(a.id);
  panel.dataset.handling = a.handling;

  const age =
    a.handling === "resolved"
      ? `took ${formatAge((parseTs(a.resolved_at) || NaN) - (parseTs(a.raised_at) || NaN))}`
      : null;
  const statusLine = el("div", { class: "detail-status" }, el("div", { class: "chips" }, statusChips(a)));
  if (a.handling !== "resolved") {
    statusLine.append(el("span", { class: "detail-age" }, "Age ", ageNode(a)));
  } else {
    statusLine.append(el("span", { class: "detail-age", text: age }));
  }
  body.append(statusLine);

  const actions = actionButtons(a, "data-panel-action");
  if (actions.length) {
    for (const b of actions) b.classList.add("btn-wide");
    body.append(el("div", { class: "detail-actions" }, actions));
    for (const btn of actions) {
      if (state.pending.has(`${a.id}:${btn.dataset.panelAction}`)) btn.disabled = true;
    }
  }

  if (a.explanation) {
    body.append(
      el("section", { class: "detail-section" },
        el("h3", { text: "Why this alert" }),
        el("p", { class: "explanation", text: a.explanation })),
    );
  }

  body.append(
    el("section", { class: "detail-section" },
      el("h3", { text: "Resident" }),
      dl([
        ["Name", a.resident_name, "strong"],
        ["Resident id", a.resident_id, "mono"],
        ["Address", a.address],
        ["Home", a.home_id, "mono"],
      ])),
    el("section", { class: "detail-section" },
      el("h3", { text: "Alert" }),
      dl([
        ["Kind", `${kindLabel(a.kind)} (${a.kind})`],
        ["Priority", `${info.short} · ${info.name}`],
        ["Device", a.device_id, "mono"],
        ["Room", a.room ? humanize(a.room) : null],
        ["Condition", humanize(a.condition)],
        ["Handling", humanize(a.handling)],
        ["Repeats", a.repeat_count > 1 ? `×${a.repeat_count}` : null],
        ["Escalation", a.escalation_level > 0 ? `Level ${a.escalation_level}` : null],
        ["Raised", tsValue(a.raised_at)],
        ["First event", tsValue(a.first_event_ts)],
        ["Last event", tsValue(a.last_event_ts)],
        ["Escalated", tsValue(a.escalated_at)],
        ["Acknowledged", withBy(a.acknowledged_at, a.acknowledged_by)],
        ["Cleared", tsValue(a.cleared_at)],
        ["Resolved", withBy(a.resolved_at, a.resolved_by)],
        ["Outcome", a.outcome ? outcomeLabel(a.outcome) : null],
        ["Note", a.resolution_note, "note"],
        ["Updated", tsValue(a.updated_at)],
        ["Version", a.version !== undefined ? String(a.version) : null, "mono muted"],
      ])),
  );

  const auditSection = el("section", { class: "detail-section" }, el("h3", { text: "Audit trail" }));
  if (state.detail && state.detail.id === a.id) auditSection.append(renderAudit(state.detail.audit));
  else if (state.detailError) auditSection.append(el("p", { class: "form-error", text: `Could not load audit trail: ${state.detailError}` }));
  else auditSection.append(el("p", { class: "muted", text: "Loading…" }));
  body.append(auditSection);

  body.scrollTop = keepScroll;
  if (focused) {
    const again = body.querySelector(`[data-panel-action="${focused}"]`);
    if (again) again.focus({ preventScroll: true });
    else panel.focus({ preventScroll: true });
  }
}

// ---------------------------------------------------------------------------
// Clock and timers

function tick() {
  const now = serverNow();
  const date = new Date(now);
  $("#clock").textContent = formatClock(date);
  $("#clock").setAttribute("datetime", date.toISOString());
  $("#clock-date").textContent = formatDate(date);
  for (const node of $$(".age[data-since]")) updateAge(node, now);
  if (conn.status !== "live") updateBannerText();
  watchdog(Date.now());
  alarmTick(Date.now());

  const footer = $("#footer-status");
  const parts = [];
  if (state.lastUpdateAt) parts.push(`Last update ${formatClock(new Date(state.lastUpdateAt + state.serverOffset))}`);
  if (Math.abs(state.serverOffset) >= 2000) parts.push(`local clock off by ${(state.serverOffset / 1000).toFixed(1)} s (corrected)`);
  footer.textContent = parts.join(" · ");

  // Resolved-today list rolls over at midnight.
  if (state.tab === "resolved" && date.getHours() === 0 && date.getMinutes() === 0 && date.getSeconds() === 0) {
    render();
  }
  setTimeout(tick, 1000 - (serverNow() % 1000) + 5);
}

// ---------------------------------------------------------------------------
// Events

function rowOf(node) {
  return node && node.closest ? node.closest("#alert-rows tr[data-alert-id]") : null;
}

function alertIdOf(node) {
  const raw = node?.dataset?.alertId ?? node?.dataset?.id;
  if (raw === undefined) return null;
  const n = Number(raw);
  return Number.isFinite(n) && String(n) === raw ? n : raw;
}

function bindEvents() {
  // First user gesture unlocks audio.
  for (const type of ["pointerdown", "keydown", "touchstart"]) {
    document.addEventListener(type, onFirstGesture, { capture: true, passive: true });
  }

  $("#sound-enable").addEventListener("click", async () => {
    sound.unlock();
    try {
      await sound.ctx?.resume();
    } catch {
      // handled by updateSoundUi
    }
    updateSoundUi();
    if (sound.ready) {
      if (!state.soundOn) setSound(true);
      else if (store.stats().unackedP1 > 0) soundAlarmNow();
      else sound.test();
    } else {
      toast("The browser did not allow audio. Check that this tab is not muted and an output device is present.");
    }
  });
  $("#sound-toggle").addEventListener("click", () => setSound(!state.soundOn));
  $("#mute-warning-on").addEventListener("click", () => setSound(true));

  // Operator name
  const input = $("#operator-name");
  input.value = state.operator;
  input.addEventListener("input", updateOperatorUi);
  $("#operator-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const name = normaliseName(input.value);
    if (!name) {
      toast("Enter your name to record who handles each alert.");
      input.focus();
      return;
    }
    const changed = name !== state.operator;
    setOperator(name);
    input.blur();
    if (changed) toast(`Signed in as ${name}`, "ok", 2500);
  });

  const opDialog = $("#operator-dialog");
  $("#operator-dialog-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const name = normaliseName($("#operator-dialog-name").value);
    if (!name) {
      const err = $("#operator-dialog-error");
      err.textContent = "Enter your name.";
      err.hidden = false;
      $("#operator-dialog-name").focus();
      return;
    }
    setOperator(name);
    const action = state.pendingOperatorAction;
    state.pendingOperatorAction = null;
    opDialog.close();
    if (action) action(name);
  });
  $("#operator-dialog-cancel").addEventListener("click", () => opDialog.close());
  opDialog.addEventListener("close", () => {
    state.pendingOperatorAction = null;
    const back = opDialog.returnFocus;
    if (back && document.contains(back) && !$("#resolve-dialog").open) back.focus({ preventScroll: true });
  });

  // Resolve dialog
  const resolveDialog = $("#resolve-dialog");
  $("#resolve-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    submitResolve();
  });
  $("#resolve-cancel").addEventListener("click", closeResolve);
  $("#resolve-outcome").addEventListener("change", () => {
    $("#resolve-outcome").removeAttribute("aria-invalid");
    $("#resolve-error").hidden = true;
    updateNoteRequirement();
  });
  $("#resolve-note").addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
      ev.preventDefault();
      submitResolve();
    }
  });
  resolveDialog.addEventListener("close", () => {
    const id = state.resolveId;
    state.resolveId = null;
    const back = resolveDialog.returnFocus;
    if (back && document.contains(back)) {
      back.focus({ preventScroll: true });
      return;
    }
    // The row went away (resolved): continue with the row now in its place.
    const rows = $("#alert-rows").children;
    const index = Number(resolveDialog.dataset.rowIndex);
    if (rows.length && Number.isFinite(index) && index >= 0) {
      rows[Math.min(index, rows.length - 1)].focus({ preventScroll: true });
    } else if (id !== null && state.selectedId === id) {
      $("#detail-panel").focus({ preventScroll: true });
    }
  });

  // Queue: row click opens details; buttons act.
  const tbody = $("#alert-rows");
  tbody.addEventListener("click", (ev) => {
    const btn = ev.target.closest("button[data-action]");
    if (btn) {
      ev.stopPropagation();
      runAction(btn.dataset.action, alertIdOf(btn));
      return;
    }
    const tr = rowOf(ev.target);
    if (tr) openDetail(alertIdOf(tr));
  });

  $("#detail-close").addEventListener("click", closeDetail);
  $("#detail-panel").addEventListener("click", (ev) => {
    const btn = ev.target.closest("button[data-panel-action]");
    if (btn) runAction(btn.dataset.panelAction, alertIdOf(btn));
  });

  // Tabs
  const tablist = $('[role="tablist"]');
  tablist.addEventListener("click", (ev) => {
    const tab = ev.target.closest('[role="tab"]');
    if (tab) setTab(tab.dataset.tab);
  });
  tablist.addEventListener("keydown", (ev) => {
    const tabs = $$('[role="tab"]', tablist);
    const i = tabs.indexOf(document.activeElement);
    if (i === -1) return;
    let next = null;
    if (ev.key === "ArrowRight") next = tabs[(i + 1) % tabs.length];
    else if (ev.key === "ArrowLeft") next = tabs[(i - 1 + tabs.length) % tabs.length];
    else if (ev.key === "Home") next = tabs[0];
    else if (ev.key === "End") next = tabs[tabs.length - 1];
    if (next) {
      ev.preventDefault();
      setTab(next.dataset.tab, { focus: true });
    }
  });

  document.addEventListener("keydown", onKeydown);

  window.addEventListener("online", reconnectNow);
  window.addEventListener("offline", () => {
    if (conn.socket) dropConnection();
  });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") reconnectNow();
  });
}

function runAction(action, id) {
  if (id === null || id === undefined) return;
  if (action === "acknowledge") acknowledge(id);
  else if (action === "resolve") openResolve(id);
}

function isTyping(target) {
  if (!target || !target.closest) return false;
  return !!target.closest("input, textarea, select, [contenteditable=''], [contenteditable='true']");
}

function onKeydown(ev) {
  if (ev.defaultPrevented || ev.ctrlKey || ev.metaKey || ev.altKey) return;
  if ($("#resolve-dialog").open || $("#operator-dialog").open) return;
  if (isTyping(ev.target)) return;

  const row = rowOf(ev.target);
  const key = ev.key;

  if (key === "Escape" && state.selectedId !== null) {
    ev.preventDefault();
    closeDetail();
    return;
  }
  if (key === "ArrowDown" || key === "ArrowUp") {
    const rows = [...$("#alert-rows").children];
    if (!rows.length) return;
    if (!row && ev.target !== document.body && !$("#queue").contains(ev.target)) return;
    ev.preventDefault();
    let i = row ? rows.indexOf(row) : -1;
    i = key === "ArrowDown" ? Math.min(rows.length - 1, i + 1) : Math.max(0, i - 1);
    rows[i].focus();
    rows[i].scrollIntoView({ block: "nearest" });
    if (state.selectedId !== null) openDetail(alertIdOf(rows[i]));
    return;
  }
  if ((key === "Enter" || key === " ") && row && ev.target === row) {
    ev.preventDefault();
    openDetail(alertIdOf(row));
    return;
  }
  const lower = key.toLowerCase();
  if (lower === "a" || lower === "r") {
    const target = row ? alertIdOf(row) : state.selectedId;
    if (target === null || target === undefined) return;
    const a = findAlert(target);
    if (!a || a.handling === "resolved") return;
    ev.preventDefault();
    if (lower === "a") {
      if (a.handling === "new") acknowledge(target);
    } else {
      openResolve(target);
    }
  }
}

// ---------------------------------------------------------------------------
// Start

function start() {
  bindEvents();
  updateOperatorUi();
  updateSoundUi();
  setConnStatus("connecting");
  render();
  tick();
  connect();
  ensureOutcomes();
}

start();
