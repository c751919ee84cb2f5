// The resident card on the alert detail: fetched once per alert opened, with the operator's name, because
// the hub logs every read of a care record with who read it and for which alert. The drawn sections are
// kept and handed back on every redraw of the panel (like the activity chart), so a redraw neither
// refetches nor re-logs, and a revealed key safe code or an open access log stays as it is.

import { el } from "./dom.js";
import { api } from "./api.js";
import { familyWidget } from "./family-status.js";
import { keySafeWidget } from "./key-safe.js";
import { withOperator } from "./operator.js";
import { accessLogPart, historyParts } from "./resident-history.js";
import { carePart, languagePart, respondersPart, risksPart, wherePart, whoPart } from "./resident-parts.js";
import { state } from "./state.js";

let shown = null; // { alertId, card, family, history, keySafe, request, alert } for the alert in the panel

function subhead(text) {
  return el("h4", { class: "rc-subhead", text });
}

// Before the record is loaded: only what the alert itself says.
function basics(alert) {
  return el(
    "dl",
    { class: "kv" },
    el("dt", { text: "Name" }), el("dd", { class: "strong", text: alert.resident_name || "Unknown resident" }),
    el("dt", { text: "Address" }), el("dd", { text: alert.address || "—" }),
    el("dt", { text: "Home" }), el("dd", { class: "mono", text: alert.home_id }),
  );
}

function setCard(entry, status, ...parts) {
  entry.card.dataset.state = status;
  entry.card.replaceChildren(el("h3", { text: "Resident" }), ...parts.flat().filter(Boolean));
}

function askForOperator(entry) {
  setCard(entry, "needs-operator", basics(entry.alert),
    el("p", { class: "rc-why-name", text: "Every look at a care record is recorded with who looked and why." }),
    el("button", {
      type: "button", class: "btn", "data-action": "show-record", text: "Show care record",
      onclick: () => withOperator(() => load(entry)),
    }));
}

function drawCard(entry, data) {
  const alert = entry.alert;
  entry.keySafe = keySafeWidget(alert.id, data.home);
  entry.keySafe.update(alert);
  if (!data.linked) {
    setCard(entry, "unlinked",
      el("p", { class: "rc-missing", "data-card-missing": "", text: data.message }),
      wherePart(data.home), entry.keySafe.node);
  } else {
    const r = data.resident;
    const care = carePart(r);
    setCard(entry, "ready",
      whoPart(r), languagePart(r), risksPart(data.risks, data.conditions),
      subhead("Where"), wherePart(data.home), entry.keySafe.node,
      subhead("Responders · call in this order"), respondersPart(data.responders),
      care ? [subhead("Care"), care] : null,
      accessLogPart(r.resident_id, alert.id));
  }
  entry.history.replaceChildren(...historyParts(data));
  entry.history.hidden = false;
}

async function load(entry) {
  if (!state.operator) {
    askForOperator(entry);
    return;
  }
  const request = ++entry.request;
  const version = entry.alert.version;
  setCard(entry, "loading", basics(entry.alert), el("p", { class: "muted", text: "Loading care record…" }));
  const query = new URLSearchParams({ operator: state.operator });
  try {
    const data = await api(`/api/alerts/${encodeURIComponent(entry.alertId)}/resident?${query}`);
    if (shown !== entry || entry.request !== request) return;
    drawCard(entry, data);
    entry.family.show(data.family, version);
    entry.family.update(entry.alert);
  } catch (err) {
    if (shown !== entry || entry.request !== request) return;
    setCard(entry, "error", basics(entry.alert),
      el("p", { class: "form-error" }, `Could not load the care record: ${err.message}. `,
        el("button", { type: "button", class: "btn btn-small", text: "Retry", onclick: () => load(entry) })));
  }
}

// Sections for the alert in the panel: { card, family, history }. The card is fetched when the panel
// moves to another alert; the family status follows the alert's changes by itself.
export function residentSections(alert) {
  if (!shown || shown.alertId !== alert.id) {
    shown = {
      alertId: alert.id,
      alert,
      request: 0,
      keySafe: null,
      card: el("section", { class: "detail-section resident-card", "data-card": "resident" }),
      history: el("section", { class: "detail-section rc-history", "data-card": "recent", hidden: true }),
      family: familyWidget(alert.id),
    };
    load(shown);
  }
  shown.alert = alert;
  if (shown.keySafe) shown.keySafe.update(alert);
  shown.family.update(alert);
  return { card: shown.card, family: shown.family.section, history: shown.history };
}
