// Countdowns to a server time (a family's answer due, a revealed key safe code hiding again). Each node
// carries its deadline; one shared timer updates every node on the page once a second.

import { $$, el } from "./dom.js";
import { formatAge, parseTs } from "./format.js";
import { serverNow } from "./state.js";

let timer = null;

function update(node, now) {
  const left = parseTs(node.dataset.countdown) - now;
  const text = left > 0 ? formatAge(left) : "00:00";
  if (node.textContent !== text) node.textContent = text;
  const over = !(left > 0);
  if (over !== node.classList.contains("countdown-over")) {
    node.classList.toggle("countdown-over", over);
    if (over && typeof node.onExpire === "function") node.onExpire();
  }
}

function tickAll() {
  const nodes = $$("[data-countdown]");
  const now = serverNow();
  for (const node of nodes) update(node, now);
  if (!nodes.length) {
    clearInterval(timer);
    timer = null;
  }
}

// A <time> counting down to `iso`; `onExpire` runs once when it reaches zero while on the page.
export function countdownNode(iso, { onExpire, label } = {}) {
  const node = el("time", { class: "countdown", datetime: iso, "data-countdown": iso, "aria-label": label || null });
  node.onExpire = onExpire || null;
  // Already past when drawn: shown as over, without calling onExpire (which could redraw it again).
  if (!(parseTs(iso) > serverNow())) node.classList.add("countdown-over");
  update(node, serverNow());
  if (!timer) timer = setInterval(tickAll, 1000);
  return node;
}
