// Adding a note to the alert from the detail panel. The form is kept across redraws of the panel, so
// text being typed survives alerts arriving; the note lands on the alert's audit trail.

import { el } from "./dom.js";
import { api, stripAudit } from "./api.js";
import { onAlert } from "./alert-updates.js";
import { withOperator } from "./operator.js";
import { state } from "./state.js";
import { toast } from "./toast.js";

let shown = null; // { alertId, section } for the alert in the panel

function build(alertId) {
  const id = `note-text-${alertId}`;
  const text = el("textarea", {
    id, name: "note-text", rows: "3", maxlength: "4000", "data-note-input": "",
    placeholder: "Who you spoke to, what was agreed, what happens next",
  });
  const error = el("p", { class: "form-error", role: "alert", hidden: true });
  const button = el("button", { type: "submit", class: "btn btn-primary", "data-action": "add-note", text: "Add note" });
  const form = el("form", { class: "note-form", novalidate: true },
    el("label", { for: id, text: "Add a note to this alert" }), text, error,
    el("div", { class: "note-actions" }, button));

  async function send(operator) {
    const note = text.value.trim();
    if (!note) {
      error.textContent = "Write the note first.";
      error.hidden = false;
      text.focus();
      return;
    }
    button.disabled = true;
    error.hidden = true;
    try {
      const data = await api(`/api/alerts/${encodeURIComponent(alertId)}/notes`, {
        method: "POST",
        body: { operator, text: note },
      });
      text.value = "";
      if (data && state.selectedId === alertId) state.detail = data;
      if (data) onAlert(stripAudit(data), "action");
      toast(`Note added to #${alertId}`, "ok", 2500);
    } catch (err) {
      error.textContent = `Could not add the note: ${err.message}`;
      error.hidden = false;
    } finally {
      button.disabled = false;
    }
  }

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    withOperator(send);
  });
  text.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
      ev.preventDefault();
      withOperator(send);
    }
  });
  return el("section", { class: "detail-section notes", "data-card": "notes" }, el("h3", { text: "Notes" }), form);
}

// Notes go on unresolved alerts only (the hub refuses them after resolution).
export function notesSection(alert) {
  if (alert.handling === "resolved") return null;
  if (!shown || shown.alertId !== alert.id) shown = { alertId: alert.id, section: build(alert.id) };
  return shown.section;
}
