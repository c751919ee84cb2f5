// The resident's recent alerts (30 days) and their home's recent events (24 h) on the alert detail, and
// the record's access log for supervisors, fetched only on an explicit click (the look is itself logged).

import { badge, el } from "./dom.js";
import { api } from "./api.js";
import { formatTs, humanize, kindLabel } from "./format.js";
import { outcomeLabel } from "./outcomes.js";
import { withOperator } from "./operator.js";

function timeNode(iso) {
  return el("time", { datetime: iso, title: iso, text: formatTs(iso) });
}

// Sensor values in words: "opened", "18.5 °C", "2400 W"; the raw number where there is no better word.
export function eventValue(type, value) {
  if (value === null || value === undefined) return "";
  const on = Number(value) > 0;
  switch (type) {
    case "temperature":
      return `${Number(value).toFixed(1)} °C`;
    case "door":
      return on ? "opened" : "closed";
    case "bed":
    case "chair":
      return on ? "in" : "out";
    case "fridge":
      return on ? "opened" : "closed";
    case "power":
      return `${Math.round(Number(value))} W`;
    case "motion":
    case "toilet":
      return on ? "detected" : "";
    default:
      return String(value);
  }
}

function alertsTable(alerts) {
  if (!alerts.length) return el("p", { class: "muted", text: "No alerts in the last 30 days." });
  return el(
    "ul",
    { class: "rc-recent-alerts" },
    alerts.map((a) =>
      el(
        "li",
        { "data-recent-alert": a.id, class: a.current ? "is-current" : null },
        badge(a.priority), " ", timeNode(a.raised_at), " ", el("strong", { text: kindLabel(a.kind) }),
        " · ", a.current ? el("span", { class: "muted", text: "this alert" })
          : a.handling === "resolved" ? (a.outcome ? outcomeLabel(a.outcome) : "Resolved") : humanize(a.handling),
      )),
  );
}

function eventsTable(events) {
  if (!events.length) return el("p", { class: "muted", text: "No sensor events in the last 24 hours." });
  return el(
    "div",
    { class: "rc-table-wrap" },
    el(
      "table",
      { class: "rc-table", "data-recent-events": "" },
      el("thead", {}, el("tr", {}, ["Time", "Room", "Device", "Event", "Value"].map((h) =>
        el("th", { scope: "col", text: h })))),
      el("tbody", {}, events.map((e) =>
        el("tr", { "data-event-type": e.type },
          el("td", {}, timeNode(e.ts)),
          el("td", { text: e.room ? humanize(e.room) : "—" }),
          el("td", { class: "mono", title: e.device_kind || null, text: e.device_id }),
          el("td", { text: kindLabel(e.type) }),
          el("td", { text: eventValue(e.type, e.value) })))),
    ),
  );
}

export function historyParts(card) {
  return [
    el("h3", { text: "Recent alerts · 30 days" }),
    alertsTable(card.recent_alerts || []),
    el("h3", { class: "rc-events-head", text: "Recent events · 24 hours" }),
    eventsTable(card.recent_events || []),
  ];
}

function accessTable(entries) {
  return el(
    "div",
    { class: "rc-table-wrap" },
    el(
      "table",
      { class: "rc-table", "data-access-log": "" },
      el("thead", {}, el("tr", {}, ["When", "Who", "What", "Alert"].map((h) => el("th", { scope: "col", text: h })))),
      el("tbody", {}, entries.map((e) =>
        el("tr", {},
          el("td", {}, timeNode(e.at)),
          el("td", { title: e.actor, text: String(e.actor).replace(/^operator:/, "") }),
          el("td", { text: humanize(e.action) }),
          el("td", { class: "mono", text: e.alert_id ? `#${e.alert_id}` : "—" })))),
    ),
  );
}

// Supervisors see who has looked at the record; the button makes that look deliberate, and logged.
export function accessLogPart(residentId, alertId) {
  const out = el("div", { class: "rc-access-log-body" });
  const button = el("button", {
    type: "button",
    class: "btn btn-small",
    "data-action": "show-access-log",
    text: "Show who has viewed this record",
  });
  button.addEventListener("click", () => withOperator(async (operator) => {
    button.disabled = true;
    try {
      const query = new URLSearchParams({ operator, alert_id: String(alertId), limit: "50" });
      const answer = await api(`/api/residents/${encodeURIComponent(residentId)}/access-log?${query}`);
      out.replaceChildren(accessTable(answer.entries || []));
    } catch (err) {
      out.replaceChildren(el("p", { class: "form-error", text: `Could not load the access log: ${err.message}` }));
    } finally {
      button.disabled = false;
      button.textContent = "Refresh access log";
    }
  }));
  return el("div", { class: "rc-access-log" }, el("span", { class: "rc-label", text: "Access log" }), button, out);
}
