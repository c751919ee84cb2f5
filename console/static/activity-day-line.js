// The alert's day against the resident's usual pattern: the usual range (10th–90th percentile of the
// previous days) as a band, the usual median dashed, the day's own counts as a solid line up to the
// alert, and a marker at the moment the alert's first event happened.

import { el } from "./dom.js";
import { HOUR_WIDTH, LEFT, WIDTH, niceCeil, xOfHour } from "./activity-scale.js";
import { hourRange, plural } from "./local-time.js";
import { linePath, svg, tooltip } from "./svg.js";

const HEIGHT = 156;
const TOP = 24; // room for the alert marker's label above the plot
const BOTTOM = 18;
const PLOT = HEIGHT - TOP - BOTTOM;
const PLOT_RIGHT = xOfHour(24);

const centre = (h) => xOfHour(h + 0.5);
const amount = (v) => (Number.isInteger(v) ? String(v) : v.toFixed(1));

function axes(yMax, y) {
  const parts = [];
  for (const v of [0, yMax / 2, yMax]) {
    if (!Number.isInteger(v)) continue;
    parts.push(
      svg("line", {
        x1: LEFT, x2: PLOT_RIGHT, y1: y(v), y2: y(v), class: v === 0 ? "chart-baseline" : "chart-grid",
      }),
      svg("text", { x: LEFT - 6, y: y(v) + 4, "text-anchor": "end", class: "chart-axis", text: String(v) }),
    );
  }
  parts.push(svg("text", {
    x: LEFT - 6, y: TOP - 12, "text-anchor": "end", class: "chart-axis chart-unit", text: "events/h",
  }));
  for (let h = 0; h < 24; h += 3) {
    parts.push(
      svg("line", { x1: xOfHour(h), x2: xOfHour(h), y1: TOP + PLOT, y2: TOP + PLOT + 3, class: "chart-baseline" }),
      svg("text", {
        x: xOfHour(h), y: HEIGHT - 4, "text-anchor": "middle", class: "chart-axis", text: String(h).padStart(2, "0"),
      }),
    );
  }
  return svg("g", { "aria-hidden": "true" }, parts);
}

// One invisible column per hour, so hovering anywhere over an hour tells its numbers.
function hoverColumns(usual, day, lastHour, dayName) {
  const columns = [];
  for (let h = 0; h < 24; h += 1) {
    const own = h <= lastHour ? plural(day[h] ?? 0, "event") : "after the alert, not shown";
    const range = `${amount(usual.low[h])}–${amount(usual.high[h])}`;
    const text = `${hourRange(h)} · ${dayName}: ${own} · usual ${range}, median ${amount(usual.median[h])}`;
    columns.push(
      svg("rect", { x: xOfHour(h), y: TOP, width: HOUR_WIDTH, height: PLOT, class: "hover-col" }, tooltip(text)),
    );
  }
  return svg("g", {}, columns);
}

function alertMarker(view, y0, y1) {
  const at = view.alert;
  const x = xOfHour(at.hour + at.minute / 60);
  const label = view.markerLabel;
  const width = label.length * 6.4 + 14;
  let left = x - width / 2;
  left = Math.min(Math.max(left, LEFT - 30), WIDTH - width);
  return svg(
    "g",
    { class: `alert-marker p${view.priority}`, dataset: { marker: "alert" } },
    tooltip(view.alertText),
    svg("line", { x1: x, x2: x, y1: y0, y2: y1, class: "alert-marker-line" }),
    svg("rect", { x: left, y: 2, width, height: 16, rx: 8, class: "alert-marker-pill" }),
    svg("text", { x: left + width / 2, y: 14, "text-anchor": "middle", class: "alert-marker-text", text: label }),
  );
}

// view: lastHour, dayName ("Today" or the date), alert ({date, hour, minute}|null), alertText,
// markerLabel and priority.
export function activityDayLine(data, view) {
  const { usual } = data;
  const day = data.today.hours;
  const shown = day.slice(0, view.lastHour + 1);
  const yMax = niceCeil(Math.max(1, ...usual.high, ...usual.median, ...shown));
  const y = (v) => TOP + PLOT * (1 - Math.min(v, yMax) / yMax);
  const hours = [...Array(24).keys()];

  const upper = hours.map((h) => [centre(h), y(usual.high[h])]);
  const lower = hours.map((h) => [centre(h), y(usual.low[h])]).reverse();
  const band = svg("path", {
    d: `${linePath([...upper, ...lower])}Z`, class: "series-band", dataset: { series: "usual-band" },
  });
  const median = svg("path", {
    d: linePath(hours.map((h) => [centre(h), y(usual.median[h])])),
    class: "series-median",
    dataset: { series: "usual-median" },
  });

  const points = shown.map((v, h) => [centre(h), y(v)]);
  const own = points.length
    ? [
        svg("path", { d: linePath(points), class: "series-today", dataset: { series: "today" } }),
        svg("circle", { cx: points.at(-1)[0], cy: points.at(-1)[1], r: 3, class: "series-today-end" }),
      ]
    : [];

  const onChartDay = view.alert && view.alert.date === data.today.date;
  const total = plural(shown.reduce((a, b) => a + b, 0), "event");
  const chart = svg(
    "svg",
    {
      viewBox: `0 0 ${WIDTH} ${HEIGHT}`, class: "chart day-line", role: "img",
      "aria-label": `${view.dayName}: ${total} by the alert, against the usual range for each hour`,
    },
    axes(yMax, y), band, median, own, hoverColumns(usual, day, view.lastHour, view.dayName),
    onChartDay ? alertMarker(view, TOP - 6, TOP + PLOT) : null,
  );

  const legend = el(
    "div",
    { class: "chart-legend", "aria-hidden": "true" },
    el("span", { class: "lg-item" }, el("span", { class: "lg-swatch lg-band" }), "Usual range"),
    el("span", { class: "lg-item" }, el("span", { class: "lg-swatch lg-median" }), "Usual median"),
    el("span", { class: "lg-item" }, el("span", { class: "lg-swatch lg-today" }), view.dayName),
    onChartDay
      ? el("span", { class: "lg-item" }, el("span", { class: `lg-swatch lg-alert p${view.priority}` }), "Alert")
      : null,
  );
  return el("figure", { class: "chart-figure" },
    el("figcaption", { class: "chart-caption", text: `${view.dayName} against the usual pattern` }), chart, legend);
}
