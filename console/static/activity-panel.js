// The detail panel's activity section: fetches the resident's hourly activity around the alert and
// draws the heatmap and the day line. The drawn section is kept and handed back on every redraw of
// the panel, so the charts are not fetched again each time any alert changes.

import { el } from "./dom.js";
import { api } from "./api.js";
import { activityDayLine } from "./activity-day-line.js";
import { activityHeatmap } from "./activity-heatmap.js";
import { kindLabel } from "./format.js";
import { RESIDENT_TZ, clockLabel, dayLabel, hourLabel, localMoment, plural } from "./local-time.js";
import { serverNow } from "./state.js";

const HISTORY_DAYS = 14;

let shown = null; // { alertId, key, alert, until, chart, section, request } for the alert in the panel

function quantile(values, q) {
  const sorted = [...values].sort((a, b) => a - b);
  const position = q * (sorted.length - 1);
  const low = Math.floor(position);
  const high = Math.min(low + 1, sorted.length - 1);
  return sorted[low] + (sorted[high] - sorted[low]) * (position - low);
}

// One sentence an operator can read without studying the charts: the day's total so far against
// the totals of the previous days up to the same hour.
function summary(data, cutoff, dayName) {
  if (cutoff === 0 || data.days.length < 2) return null;
  const upTo = (hours) => hours.slice(0, cutoff).reduce((a, b) => a + b, 0);
  const own = upTo(data.today.hours);
  const history = data.days.slice(0, -1).map((d) => upTo(d.hours));
  const [low, mid, high] = [0.1, 0.5, 0.9].map((q) => Math.round(quantile(history, q)));
  const when = cutoff >= 24 ? "All day" : `Up to ${hourLabel(cutoff)}`;
  const whose = dayName === "Today" ? "today" : `on ${dayName}`;
  return el(
    "p",
    { class: "activity-summary" },
    `${when}: `, el("strong", { text: plural(own, "event") }), ` ${whose}; usually ${mid} `,
    el("span", { class: "muted", text: `(most days ${low}–${high})` }),
  );
}

function draw(data, alert, until) {
  const tz = data.timezone || RESIDENT_TZ;
  const chartDay = data.today.date;
  const end = localMoment(until, tz);
  const endsOnChartDay = end && end.date === chartDay;
  const alertAt = localMoment(alert.first_event_ts || alert.raised_at, tz);
  const today = localMoment(new Date(serverNow()).toISOString(), tz);
  const dayName = today && today.date === chartDay ? "Today" : dayLabel(chartDay);
  const alertClock = alertAt ? clockLabel(alertAt) : "";
  const alertDate = alertAt && alertAt.date !== chartDay ? `${dayLabel(alertAt.date)} ` : "";
  const view = {
    lastHour: endsOnChartDay ? end.hour : 23,
    dayName,
    alert: alertAt,
    priority: alert.priority,
    alertText: `Alert: ${kindLabel(alert.kind)}, first event ${alertDate}${alertClock}`,
    markerLabel: `${kindLabel(alert.kind)} ${alertClock}`,
  };
  const anything = data.days.some((d) => d.hours.some((n) => n > 0));
  return [
    anything
      ? summary(data, endsOnChartDay ? end.hour : 24, dayName)
      : el("p", {
          class: "activity-summary muted",
          text: `No activity sensor events in the last ${data.days.length - 1} days.`,
        }),
    activityHeatmap(data, view),
    activityDayLine(data, view),
  ];
}

function isActivity(data) {
  const hours = (x) => x && Array.isArray(x.hours) && x.hours.length === 24;
  const band = (k) => Array.isArray(data.usual[k]) && data.usual[k].length === 24;
  return Boolean(data && Array.isArray(data.days) && data.days.length > 0 && data.days.every(hours)
    && hours(data.today) && data.usual && ["median", "low", "high"].every(band));
}

async function load(entry, request) {
  const { alert, until, chart } = entry;
  // A repeat of the same alert refetches with the old chart still in view, so nothing jumps.
  if (chart.dataset.state !== "ready") {
    chart.replaceChildren(el("p", { class: "muted chart-status", text: "Loading activity…" }));
  }
  chart.dataset.state = "loading";
  const query = new URLSearchParams({ days: String(HISTORY_DAYS) });
  if (until) query.set("until", until);
  const current = () => shown === entry && entry.request === request;
  try {
    const data = await api(`/api/homes/${encodeURIComponent(alert.home_id)}/activity?${query}`);
    if (!current()) return;
    if (!isActivity(data)) throw new Error("the hub's answer was not an activity chart");
    chart.replaceChildren(...draw(data, alert, until).filter(Boolean));
    chart.dataset.state = "ready";
  } catch (err) {
    if (!current()) return;
    chart.dataset.state = "error";
    chart.replaceChildren(
      el("p", { class: "form-error chart-status" }, `Could not load activity: ${err.message}. `,
        el("button", { type: "button", class: "btn btn-small", text: "Retry", onclick: () => load(entry, request) })),
    );
  }
}

// The chart ends on the day of the alert's latest event, so a resolved alert still shows its own day.
// It is fetched again when the panel moves to another alert, or when this one repeats or changes.
export function activitySection(alert) {
  const until = alert.last_event_ts || alert.raised_at || null;
  const key = [alert.home_id, until, alert.first_event_ts, alert.kind, alert.priority].join("|");
  if (!shown || shown.alertId !== alert.id) {
    const chart = el("div", { class: "activity-chart", dataset: { chart: "activity" } });
    const section = el("section", { class: "detail-section" }, el("h3", { text: "Activity" }), chart);
    shown = { alertId: alert.id, chart, section, request: 0 };
  }
  if (shown.key !== key) {
    Object.assign(shown, { key, alert, until, request: shown.request + 1 });
    load(shown, shown.request);
  }
  return shown.section;
}
