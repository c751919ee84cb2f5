// The home's key safe code on the resident card. Hidden until the alert is acknowledged and the operator
// asks for it; then shown large (not selectable, no copy button) for the time the hub allows, and hidden
// again. The hub refuses before acknowledgement and records every reveal in the access log and on the
// alert's audit trail.

import { el } from "./dom.js";
import { api } from "./api.js";
import { countdownNode } from "./countdown.js";
import { withOperator } from "./operator.js";
import { serverNow } from "./state.js";

const HINTS = {
  new: "Acknowledge the alert first: the code is shown only to the operator handling it.",
  acknowledged: "Shown for 60 seconds. Every reveal is recorded on the alert.",
  resolved: "The alert is resolved.",
};

export function keySafeWidget(alertId, home) {
  const node = el("div", { class: "keysafe", "data-keysafe": "hidden" });
  if (!home || !home.key_safe_recorded) {
    node.dataset.keysafe = "none";
    node.append(el("span", { class: "keysafe-label", text: "Key safe" }),
      el("span", { class: "muted", text: "No key safe code on record" }));
    return { node, update() {} };
  }

  let handling = null;
  let busy = false;
  const hint = el("p", { class: "keysafe-hint", id: `keysafe-hint-${alertId}` });
  const error = el("p", { class: "form-error keysafe-error", role: "alert", hidden: true });
  const button = el("button", {
    type: "button",
    class: "btn btn-keysafe",
    "data-action": "reveal-key-safe",
    "aria-describedby": hint.id,
    text: "Reveal key safe code",
    onclick: () => withOperator(reveal),
  });
  const shown = el("div", { class: "keysafe-shown", hidden: true, oncopy: (ev) => ev.preventDefault() });
  node.append(
    el("div", { class: "keysafe-row" }, el("span", { class: "keysafe-label", text: "Key safe" }), button),
    hint, error, shown,
  );

  function setButton() {
    button.disabled = busy || handling !== "acknowledged";
    hint.textContent = HINTS[handling] || "";
  }

  function hide() {
    shown.replaceChildren();
    shown.hidden = true;
    node.dataset.keysafe = "hidden";
    button.hidden = false;
    setButton();
  }

  function show(answer) {
    const until = new Date(serverNow() + (answer.visible_for_s || 60) * 1000).toISOString();
    shown.replaceChildren(
      el("output", { class: "keysafe-code", "data-keysafe-code": "", "aria-label": "Key safe code", text: answer.code }),
      el("p", { class: "keysafe-timer" }, "Hidden again in ", countdownNode(until, { onExpire: hide })),
      el("button", { type: "button", class: "btn btn-small", "data-action": "hide-key-safe", text: "Hide now",
        onclick: hide }),
    );
    shown.hidden = false;
    button.hidden = true;
    node.dataset.keysafe = "shown";
  }

  async function reveal(operator) {
    if (busy) return;
    busy = true;
    error.hidden = true;
    setButton();
    try {
      const answer = await api(`/api/alerts/${encodeURIComponent(alertId)}/key-safe/reveal`, {
        method: "POST",
        body: { operator },
      });
      if (answer && answer.code) show(answer);
    } catch (err) {
      error.textContent = `Key safe code not shown: ${err.message}`;
      error.hidden = false;
    } finally {
      busy = false;
      setButton();
    }
  }

  return {
    node,
    update(alert) {
      if (alert.handling === handling) return;
      handling = alert.handling;
      if (handling === "resolved" && node.dataset.keysafe === "shown") hide();
      setButton();
    },
  };
}
