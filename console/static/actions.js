// Acting on an alert from a row, the detail panel or the keyboard: acknowledge at once, or open
// the resolve dialog.

import { api } from "./api.js";
import { setPending } from "./alert-row.js";
import { onAlert, refreshAlert } from "./alert-updates.js";
import { kindLabel } from "./format.js";
import { withOperator } from "./operator.js";
import { openResolve } from "./resolve-dialog.js";
import { findAlert, state } from "./state.js";
import { toast } from "./toast.js";

function describeAlert(a) {
  if (!a) return "";
  return `${kindLabel(a.kind)} — ${a.resident_name || a.home_id || "unknown resident"}`;
}

export function acknowledge(id) {
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

export function runAction(action, id) {
  if (id === null || id === undefined) return;
  if (action === "acknowledge") acknowledge(id);
  else if (action === "resolve") openResolve(id);
}
