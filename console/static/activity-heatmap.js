// The resident's last days as a day × hour heatmap, newest day at the bottom, directly above the
// same hours of the day line. Each cell's tooltip gives the day, the hour and its count.

import { el } from "./dom.js";
import { HOUR_WIDTH, LEFT, WIDTH, legendGradient, shadeOf, xOfHour } from "./activity-scale.js";
import { dayLabel, hourRange, plural } from "./local-time.js";
import { svg, tooltip } from "./svg.js";

const TOP = 17;
const ROW = 14;
const GAP = 1.5;

function hourAxis() {
  const labels = [];
  for (let h = 0; h < 24; h += 3) {
    labels.push(svg("text", {
      x: xOfHour(h), y: TOP - 5, class: "chart-axis", "text-anchor": "middle", text: String(h).padStart(2, "0"),
    }));
  }
  return svg("g", { "aria-hidden": "true" }, labels);
}

function cell(day, hour, top, { max, isChartDay, lastHour, alertNote }) {
  const count = day.hours[hour] ?? 0;
  const pending = isChartDay && hour > lastHour;
  const when = `${dayLabel(day.date)}, ${hourRange(hour)}`;
  const text = pending ? `${when}: after the alert, not shown` : `${when}: ${plural(count, "event")}${alertNote || ""}`;
  const shade = pending ? null : shadeOf(count, max);
  return svg(
    "rect",
    {
      x: xOfHour(hour) + GAP / 2, y: top + GAP / 2, width: HOUR_WIDTH - GAP, height: ROW - GAP, rx: 2,
      class: pending ? "hm-cell hm-pending" : shade ? "hm-cell" : "hm-cell hm-zero",
      fill: shade,
      dataset: { date: day.date, hour: String(hour), count: String(count) },
    },
    tooltip(text),
  );
}

function scaleKey(days, max) {
  if (!days.some((d) => d.hours.some((n) => n > 0))) return null;
  if (max === 1) {
    const swatch = el("span", { class: "lg-cell", style: `background: ${shadeOf(1, 1)}` });
    return el("span", { class: "lg-item" }, swatch, "1 event / hour");
  }
  const ramp = el("span", { class: "lg-ramp", style: `background: ${legendGradient()}` });
  return el("span", { class: "lg-item" }, "1", ramp, `${max} events / hour`);
}

// view: lastHour (the chart day's last hour with data), alert ({date, hour, minute}|null),
// alertText (the alert cell's extra tooltip) and priority (for the alert cell's outline colour).
export function activityHeatmap(data, view) {
  const days = data.days;
  const chartDay = days.length - 1;
  const shownHours = (d, i) => (i === chartDay ? d.hours.slice(0, view.lastHour + 1) : d.hours);
  const max = Math.max(1, ...days.flatMap(shownHours));
  const height = TOP + days.length * ROW + 1;
  const rows = [];
  let alertBox = null;

  days.forEach((day, i) => {
    const top = TOP + i * ROW;
    const isChartDay = i === chartDay;
    rows.push(svg("text", {
      x: LEFT - 8, y: top + ROW / 2 + 4, "text-anchor": "end",
      class: isChartDay ? "hm-day hm-day-current" : "hm-day", text: dayLabel(day.date),
    }));
    for (let hour = 0; hour < 24; hour += 1) {
      const isAlertCell = view.alert && view.alert.date === day.date && view.alert.hour === hour;
      const alertNote = isAlertCell ? ` · ${view.alertText}` : "";
      rows.push(cell(day, hour, top, { max, isChartDay, lastHour: view.lastHour, alertNote }));
      if (isAlertCell) {
        alertBox = svg("rect", {
          x: xOfHour(hour) + 0.25, y: top + 0.25, width: HOUR_WIDTH - 0.5, height: ROW - 0.5, rx: 2.5,
          class: `hm-alert p${view.priority}`,
        });
      }
    }
  });

  const current = svg("rect", {
    x: LEFT - 1, y: TOP + chartDay * ROW - 0.5, width: 24 * HOUR_WIDTH + 2, height: ROW + 1, rx: 3,
    class: "hm-current",
  });

  const chart = svg(
    "svg",
    {
      viewBox: `0 0 ${WIDTH} ${height}`, class: "chart heatmap", role: "img",
      "aria-label": `Activity events per hour for ${days.length} days; busiest hour ${max} events`,
    },
    hourAxis(), rows, current, alertBox,
  );

  const legend = el(
    "div",
    { class: "chart-legend", "aria-hidden": "true" },
    el("span", { class: "lg-item" }, el("span", { class: "lg-cell lg-zero" }), "None"),
    scaleKey(days, max),
    view.lastHour < 23
      ? el("span", { class: "lg-item" }, el("span", { class: "lg-cell lg-pending" }), "After the alert")
      : null,
  );
  return el("figure", { class: "chart-figure" },
    el("figcaption", { class: "chart-caption", text: `Last ${days.length - 1} days, by hour` }), chart, legend);
}
