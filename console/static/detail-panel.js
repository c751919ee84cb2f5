// Opening and closing the detail panel, and fetching the selected alert with its audit trail.

import { $ } from "./dom.js";
import { api, stripAudit } from "./api.js";
import { render } from "./render.js";
import { noteResolved } from "./resolved-today.js";
import { state, store } from "./state.js";

export function openDetail(id, { focusPanel = false } = {}) {
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

export function closeDetail() {
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

export function scheduleDetailRefresh(delay = 150) {
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
