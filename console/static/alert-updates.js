// Applies one changed alert, from the live feed, an action's answer or a refetch, and sounds
// or chimes for arrivals and escalations that need the operator.

import { api, stripAudit } from "./api.js";
import { sound, soundAlarmNow } from "./alarm.js";
import { scheduleDetailRefresh } from "./detail-panel.js";
import { outcomeLabel } from "./outcomes.js";
import { render } from "./render.js";
import { showResolveError } from "./resolve-form.js";
import { noteResolved } from "./resolved-today.js";
import { state, store } from "./state.js";

export function onAlert(alert, source) {
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
  render({ arrivals: source === "live", changed: [a.id] });
}

export async function refreshAlert(id) {
  try {
    const data = await api(`/api/alerts/${encodeURIComponent(id)}`);
    if (data) onAlert(stripAudit(data), "refresh");
  } catch {
    // the live feed will catch up
  }
}
