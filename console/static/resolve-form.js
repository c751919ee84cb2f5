// The resolve form's fields and messages: outcome choices, when a note is required, errors and
// the busy confirm button. The dialog's flow is in resolve-dialog.js.

import { $, el } from "./dom.js";
import { humanize } from "./format.js";

export function fillOutcomes(list) {
  const select = $("#resolve-outcome");
  const current = select.value;
  select.replaceChildren(
    el("option", { value: "", text: "Choose an outcome…" }),
    ...list.map((o) => el("option", { value: o.code, text: o.label || humanize(o.code) })),
  );
  if (list.some((o) => o.code === current)) select.value = current;
}

export function updateNoteRequirement() {
  const needNote = $("#resolve-outcome").value === "other";
  $("#resolve-note").required = needNote;
  $("#resolve-note-hint").textContent = needNote ? "(required for “Other”)" : "(optional)";
}

export function showResolveError(message) {
  const node = $("#resolve-error");
  node.textContent = message;
  node.hidden = false;
}

export function setConfirmBusy(busy) {
  const btn = $('#resolve-dialog [data-action="confirm-resolve"]');
  btn.disabled = busy;
  btn.classList.toggle("busy", busy);
  btn.textContent = busy ? "Resolving…" : "Resolve alert";
}
