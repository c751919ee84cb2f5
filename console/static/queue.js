// The alert table: which alerts the current tab shows, in order, with keyboard focus kept in place
// while rows are added, moved and removed underneath it.

import { $ } from "./dom.js";
import { applyPending, buildRow, rowClasses, rowSignature } from "./alert-row.js";
import { resolvedToday } from "./resolved-today.js";
import { conn, state, store } from "./state.js";

function visibleAlerts() {
  if (state.tab === "acknowledged") return store.sorted((a) => a.handling === "acknowledged");
  if (state.tab === "resolved") return resolvedToday(state.resolved.list);
  return store.sorted();
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

export function renderQueue({ arrivals = false } = {}) {
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

export function rowOf(node) {
  return node && node.closest ? node.closest("#alert-rows tr[data-alert-id]") : null;
}

export function alertIdOf(node) {
  const raw = node?.dataset?.alertId ?? node?.dataset?.id;
  if (raw === undefined) return null;
  const n = Number(raw);
  return Number.isFinite(n) && String(n) === raw ? n : raw;
}
