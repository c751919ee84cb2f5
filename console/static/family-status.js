// What the resident's relatives have been told about the alert and what they answered (read-only), the
// countdown to their answer, "back in queue" when none came, and warnings for channels the hub disabled
// after a permanent delivery failure. Fetched again when the alert changes; every fetch is logged.

import { el } from "./dom.js";
import { api } from "./api.js";
import { countdownNode } from "./countdown.js";
import { formatTs, humanize } from "./format.js";
import { state } from "./state.js";

const STATUS_TEXT = {
  pending: "Queued",
  held: "Held (quiet hours)",
  sending: "Sending",
  sent: "Sent",
  failed: "Failed",
  uncertain: "Delivery uncertain",
  skipped: "Not sent",
};

function timeNode(iso) {
  return iso ? el("time", { datetime: iso, text: formatTs(iso) }) : null;
}

function answerLine(r) {
  return el(
    "li",
    { class: `family-answer answer-${r.answer}`, "data-family-response": r.answer },
    el("strong", { text: r.name }), ": ", el("span", { class: "family-answer-label", text: r.answer_label }),
    " · ", timeNode(r.at),
    r.note ? el("q", { class: "family-note", text: r.note }) : null,
  );
}

function notificationLine(n) {
  const when = n.status === "sent" ? n.sent_at : n.status === "held" ? n.hold_until : n.created_at;
  return el(
    "li",
    { "data-family-notification": n.status },
    el("strong", { text: n.name }), ` · ${n.channel_name || "no channel"} · `,
    el("span", { class: `family-status status-${n.status}`, text: STATUS_TEXT[n.status] || humanize(n.status) }),
    when ? " " : null, n.status === "held" ? "until " : null, timeNode(when),
    n.last_error ? el("span", { class: "muted", text: ` (${n.last_error})` }) : null,
  );
}

export function familyWidget(alertId) {
  const body = el("div", { class: "family-body" });
  const section = el("section", { class: "detail-section family", "data-card": "family" },
    el("h3", { text: "Family" }), body);
  let data = null;
  let alert = null;
  let seenVersion = null;
  let timer = null;
  let request = 0;

  function draw() {
    const requeuedAt = (alert && alert.requeued_at) || (data && data.requeued_at);
    const due = (alert && alert.family_answer_due) || (data && data.family_answer_due);
    const resolved = alert && alert.handling === "resolved";
    const responses = data ? data.responses : [];
    const parts = [];
    if (requeuedAt && !resolved) {
      parts.push(el("p", { class: "family-requeued", "data-family": "requeued" },
        el("strong", { text: "Back in queue: no family answer" }), " · since ", timeNode(requeuedAt)));
    } else if (due && !resolved && responses.length === 0) {
      parts.push(el("p", { class: "family-due", "data-family": "due" },
        "Waiting for a family answer · due in ", countdownNode(due, { label: "Time left for a family answer" })));
    }
    for (const c of data ? data.disabled_channels : []) {
      parts.push(el("p", { class: "family-warning", "data-family": "channel-disabled" }, c.warning));
    }
    if (responses.length) {
      parts.push(el("h4", { text: "Answers" }), el("ul", { class: "family-list" }, responses.map(answerLine)));
    }
    if (data && data.notifications.length) {
      parts.push(el("h4", { text: "Told" }), el("ul", { class: "family-list" }, data.notifications.map(notificationLine)));
    }
    body.replaceChildren(...parts);
    section.hidden = parts.length === 0;
  }

  async function refetch() {
    if (!state.operator) return;
    const mine = ++request;
    try {
      const answer = await api(
        `/api/alerts/${encodeURIComponent(alertId)}/family?${new URLSearchParams({ operator: state.operator })}`);
      if (mine !== request) return;
      data = answer;
      draw();
    } catch {
      // Keep what is shown; the next change of the alert tries again.
    }
  }

  return {
    section,
    // The card's first answer carries the family status; later changes of the alert fetch it again.
    show(initial, version) {
      data = initial;
      seenVersion = version;
      draw();
    },
    update(a) {
      alert = a;
      // Only alerts the family is involved in are fetched again: each fetch is a logged read.
      const involved = data && (data.notifications.length || data.responses.length || a.family_answer_due
        || a.requeued_at);
      if (involved && seenVersion !== null && a.version !== seenVersion) {
        seenVersion = a.version;
        clearTimeout(timer);
        timer = setTimeout(refetch, 300);
      }
      draw();
    },
  };
}
