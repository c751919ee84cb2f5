// The once-a-second tick, aligned to the server's clock: header clock, alert ages, how long the feed
// has been lost, the dead-link watchdog, the repeating alarm and the footer status.

import { $, $$ } from "./dom.js";
import { updateAge } from "./alert-row.js";
import { alarmTick } from "./alarm.js";
import { updateBannerText } from "./connection-status.js";
import { formatClock, formatDate } from "./format.js";
import { watchdog } from "./live-feed.js";
import { render } from "./render.js";
import { conn, serverNow, state } from "./state.js";

// Groups of rows the browser is not drawing (row-groups.js: off screen) get their ages when they come into
// view rather than every second: with thousands of rows, those updates were most of the page's steady work.
// Browsers without the event update every row, as before.
const skippedGroups = new WeakSet();

function updateGroupAges(group, now) {
  for (const node of group.querySelectorAll(".age[data-since]")) updateAge(node, now);
}

document.addEventListener(
  "contentvisibilityautostatechange",
  (ev) => {
    if (ev.skipped) {
      skippedGroups.add(ev.target);
      return;
    }
    skippedGroups.delete(ev.target);
    if (ev.target.querySelectorAll) updateGroupAges(ev.target, serverNow());
  },
  { capture: true },
);

function updateAges(now) {
  for (const group of $("#alert-rows").children) {
    if (!skippedGroups.has(group)) updateGroupAges(group, now);
  }
  for (const node of $$("#detail-panel .age[data-since]")) updateAge(node, now);
}

export function tick() {
  const now = serverNow();
  const date = new Date(now);
  $("#clock").textContent = formatClock(date);
  $("#clock").setAttribute("datetime", date.toISOString());
  $("#clock-date").textContent = formatDate(date);
  updateAges(now);
  if (conn.status !== "live") updateBannerText();
  watchdog(Date.now());
  alarmTick(Date.now());

  const footer = $("#footer-status");
  const parts = [];
  if (state.lastUpdateAt) parts.push(`Last update ${formatClock(new Date(state.lastUpdateAt + state.serverOffset))}`);
  if (Math.abs(state.serverOffset) >= 2000) parts.push(`local clock off by ${(state.serverOffset / 1000).toFixed(1)} s (corrected)`);
  footer.textContent = parts.join(" · ");

  // Resolved-today list rolls over at midnight.
  if (state.tab === "resolved" && date.getHours() === 0 && date.getMinutes() === 0 && date.getSeconds() === 0) {
    render();
  }
  setTimeout(tick, 1000 - (serverNow() % 1000) + 5);
}
