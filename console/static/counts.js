// Open-alert counts wherever they show: header badges, tab counts, the summary line under the tabs,
// and the window title and icon.

import { $ } from "./dom.js";
import { updateSoundUi } from "./alarm.js";
import { resolvedToday } from "./resolved-today.js";
import { state, store } from "./state.js";

export function renderCounts() {
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

  const newCount = stats.new;
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
