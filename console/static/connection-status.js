// How the live feed's state shows: the status in the header, the banner over the queue, and the
// greyed queue while alerts may be out of date.

import { $ } from "./dom.js";
import { formatAge } from "./format.js";
import { conn } from "./state.js";

export function setConnStatus(status) {
  const wasLive = conn.status === "live";
  conn.status = status;
  if (status === "live") conn.lostAt = null;
  else if (wasLive || conn.lostAt === null) conn.lostAt = Date.now();

  const node = $("#connection-status");
  node.dataset.state = status;
  const labels = {
    connecting: "Connecting",
    syncing: "Syncing",
    reconnecting: "Reconnecting",
    offline: "Offline",
    live: "Live",
  };
  $(".conn-label", node).textContent = labels[status] || status;
  node.title = status === "live" ? "Live alert feed connected" : "Live alert feed not connected";

  const banner = $("#connection-banner");
  banner.hidden = status === "live";
  if (status !== "live") {
    banner.classList.toggle("is-initial", !conn.everSynced && status !== "offline");
    updateBannerText();
  }
  document.body.classList.toggle("is-stale", status !== "live" && conn.everSynced);
}

export function updateBannerText() {
  const text = $("#connection-banner-text");
  let msg;
  if (!conn.everSynced && conn.status !== "offline" && conn.attempt === 0) {
    msg = "Connecting to the live alert feed…";
  } else {
    msg = "Live connection lost — reconnecting… alerts shown may be out of date";
    if (conn.lostAt) {
      const ms = Date.now() - conn.lostAt;
      if (ms >= 5000) msg += ` (for ${formatAge(ms)})`;
    }
  }
  if (text.textContent !== msg) text.textContent = msg;
}
