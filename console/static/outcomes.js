// Resolution outcomes: the server's list when it answers, the built-in list when it does not.

import { api } from "./api.js";
import { FALLBACK_OUTCOMES, humanize } from "./format.js";
import { state } from "./state.js";

export function outcomeLabel(code) {
  return state.outcomeLabels.get(code) || humanize(code);
}

export async function ensureOutcomes() {
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
