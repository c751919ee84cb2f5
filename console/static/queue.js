// The alert table: which alerts the current tab shows, in order, with keyboard focus kept in place
// while rows are added, moved and removed underneath it.
//
// A live change redraws only its own row and moves it to its place: with thousands of alerts in the queue,
// a change costs the same as with ten. Everything else (a snapshot, another tab, the selection) goes
// through every row, rebuilding only those whose alert changed. An empty table is filled screen first:
// the top of the queue shows at once and the rest is added in short tasks, so the page never stops
// answering for the length of a long queue.

import { $ } from "./dom.js";
import { applyPending, buildRow, rowClasses, rowSignature } from "./alert-row.js";
import { resolvedToday } from "./resolved-today.js";
import {
  appendRows, clearRows, drawnRows, isDrawn, lastRow, placeRow, removeRow, rowAfter, rowBefore,
} from "./row-groups.js";
import { conn, state, store } from "./state.js";

const rows = new Map(); // alert id (as in data-alert-id) -> its row, drawn or about to be
let drawnTab = null; // the tab the rows were last drawn for
const FIRST_ROWS = 60; // drawn at once: more than any screen shows
const FILL_CHUNK = 200; // rows added per task after them: each task short enough not to hold up a click
let filling = null; // {list, next, arrivals} while the rows after the first screenful are being added

const isAcknowledged = (a) => a.handling === "acknowledged";

function tabFilter() {
  return state.tab === "acknowledged" ? isAcknowledged : null;
}

function visibleAlerts() {
  if (state.tab === "resolved") return resolvedToday(state.resolved.list);
  return store.sorted(tabFilter());
}

function captureFocus() {
  const active = document.activeElement;
  const tbody = $("#alert-rows");
  if (!active || !tbody.contains(active)) return null;
  const tr = active.closest("tr");
  // Its neighbours now: if the row goes, focus moves to the row that takes its place.
  return { node: active, id: tr?.dataset.alertId, action: active.dataset.action || null,
           next: tr ? rowAfter(tr) : null, previous: tr ? rowBefore(tr) : null };
}

function restoreFocus(saved) {
  if (!saved || document.activeElement === saved.node) return;
  if (document.contains(saved.node) && saved.node.tabIndex >= 0 && !saved.node.disabled) {
    saved.node.focus({ preventScroll: true });
    return;
  }
  const row = rows.get(saved.id);
  if (row && isDrawn(row)) {
    const target = (saved.action && row.querySelector(`[data-action="${saved.action}"]`)) || row;
    target.focus({ preventScroll: true });
    return;
  }
  const near = [saved.next, saved.previous, lastRow()].find((tr) => tr && isDrawn(tr));
  if (near) near.focus({ preventScroll: true });
  else $("#queue").focus({ preventScroll: true });
}

// The row for alert `a`, reused when its alert has not changed since it was drawn.
function rowFor(a, arrivals) {
  const key = String(a.id);
  const sig = rowSignature(a);
  const tr = rows.get(key);
  if (tr && tr.dataset.sig === sig) {
    const classes = rowClasses(a);
    if (tr.className !== classes) tr.className = classes;
    if (state.pending.size) applyPending(tr);
    return tr;
  }
  const fresh = buildRow(a);
  fresh.dataset.sig = sig;
  if (!tr && arrivals && state.tab !== "resolved" && a.handling === "new") fresh.classList.add("arrived");
  if (tr && isDrawn(tr)) tr.replaceWith(fresh);
  rows.set(key, fresh);
  return fresh;
}

function fillMore() {
  if (!filling) return;
  const { list, next, arrivals } = filling;
  const end = Math.min(list.length, next + FILL_CHUNK);
  appendRows(list.slice(next, end).map((a) => rowFor(a, arrivals)));
  filling.next = end;
  if (end < list.length) setTimeout(fillMore, 0);
  else filling = null;
}

// Any other drawing first completes the rows still to be added, so that every alert has its row.
function finishFill() {
  if (!filling) return;
  const { list, next, arrivals } = filling;
  filling = null;
  appendRows(list.slice(next).map((a) => rowFor(a, arrivals)));
}

function drawAll(list, arrivals) {
  filling = null;
  if (drawnTab !== state.tab || !rows.size) {
    // Rows differ from tab to tab (rowSignature): start from an empty table, filled screen first.
    clearRows();
    rows.clear();
    drawnTab = state.tab;
    const first = Math.min(list.length, FIRST_ROWS);
    appendRows(list.slice(0, first).map((a) => rowFor(a, arrivals)));
    if (first < list.length) {
      filling = { list, next: first, arrivals };
      // After the next frame: the first screenful is painted before anything else is built (a hidden page
      // draws no frames, so it just carries on).
      if (document.hidden) setTimeout(fillMore, 0);
      else requestAnimationFrame(() => setTimeout(fillMore, 0));
    }
    return;
  }
  const keep = new Set();
  const ordered = list.map((a) => {
    keep.add(String(a.id));
    return rowFor(a, arrivals);
  });
  for (const [key, tr] of rows) {
    if (!keep.has(key)) {
      removeRow(tr);
      rows.delete(key);
    }
  }
  // New rows go in before the row that follows them (working back from the end, that one is in place).
  for (let i = ordered.length - 1; i >= 0; i -= 1) {
    if (!isDrawn(ordered[i])) placeRow(ordered[i], ordered[i + 1] || null);
  }
  const drawn = drawnRows();
  if (drawn.length !== ordered.length || ordered.some((tr, i) => drawn[i] !== tr)) {
    // The order changed (a snapshot after a lost link): lay the rows out again.
    clearRows();
    appendRows(ordered);
  }
}

// Redraws the rows of the alerts in `changed` (ids), each moved to its place; the others are not touched.
function drawChanged(changed, arrivals) {
  const filter = tabFilter();
  for (const id of changed) {
    const key = String(id);
    const a = store.get(id);
    if (!a || (filter && !filter(a))) {
      const tr = rows.get(key);
      if (tr) removeRow(tr);
      rows.delete(key);
      continue;
    }
    const tr = rowFor(a, arrivals);
    const after = store.following(a.id, filter);
    const next = after ? rows.get(String(after.id)) || null : null;
    if (!isDrawn(tr) || rowAfter(tr) !== next) placeRow(tr, next);
  }
}

export function renderQueue({ arrivals = false, changed = null } = {}) {
  const saved = captureFocus();
  const incremental = changed && drawnTab === state.tab && state.tab !== "resolved" && rows.size;
  if (incremental) {
    finishFill();
    drawChanged(changed, arrivals);
  } else {
    drawAll(visibleAlerts(), arrivals);
  }
  restoreFocus(saved);

  const shown = rows.size;
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
  empty.hidden = shown > 0;
  empty.classList.toggle("is-waiting", !conn.everSynced && state.tab !== "resolved");
  $("#queue-empty-text").textContent = emptyText;
  $("#alert-table").classList.toggle("is-empty", shown === 0);
}

export function rowOf(node) {
  return node && node.closest ? node.closest("#alert-rows tr[data-alert-id]") : null;
}

export function alertIdOf(node) {
  const raw = node?.dataset?.alertId ?? node?.dataset?.id;
  if (raw === undefined) return null;
  const n = Number(raw);
  return Number.isFinite(n) && String(n) === raw ? n : raw;
}
