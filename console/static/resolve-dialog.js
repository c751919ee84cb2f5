// Resolving an alert: opening the dialog for it, checking and sending the outcome, and returning
// focus to where the operator was (or to the row that took the resolved one's place).

import { $, badge, el } from "./dom.js";
import { api } from "./api.js";
import { setPending } from "./alert-row.js";
import { onAlert, refreshAlert } from "./alert-updates.js";
import { FALLBACK_OUTCOMES, kindLabel } from "./format.js";
import { withOperator } from "./operator.js";
import { ensureOutcomes, outcomeLabel } from "./outcomes.js";
import { rowOf } from "./queue.js";
import { fillOutcomes, setConfirmBusy, showResolveError, updateNoteRequirement } from "./resolve-form.js";
import { drawnRows } from "./row-groups.js";
import { findAlert, state } from "./state.js";
import { toast } from "./toast.js";

export function openResolve(id) {
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
    dlg.dataset.rowIndex = fromRow ? String(Array.prototype.indexOf.call(drawnRows(), fromRow)) : "-1";
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

export function bindResolveDialog() {
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
    const rows = drawnRows();
    const index = Number(resolveDialog.dataset.rowIndex);
    if (rows.length && Number.isFinite(index) && index >= 0) {
      rows[Math.min(index, rows.length - 1)].focus({ preventScroll: true });
    } else if (id !== null && state.selectedId === id) {
      $("#detail-panel").focus({ preventScroll: true });
    }
  });
}
