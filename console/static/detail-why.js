// "Why this alert": the detector's explanation, how confident it was, whether it could judge the
// resident against their own history yet, and the sensor events it based the alert on.

import { el } from "./dom.js";
import { parseTs } from "./format.js";
import { RESIDENT_TZ, localMoment, localTs } from "./local-time.js";
import { serverNow } from "./state.js";

const EVIDENCE_SHOWN = 4;

// Evidence is stored as [device_id, ts] pairs; the latest sighting of each device is what matters.
function lastSeen(evidence) {
  let list = evidence;
  if (typeof list === "string") {
    try {
      list = JSON.parse(list);
    } catch {
      return [];
    }
  }
  if (!Array.isArray(list)) return [];
  const latest = new Map();
  for (const item of list) {
    const [device, ts] = Array.isArray(item) ? item : [item && item.device_id, item && item.ts];
    const t = parseTs(ts);
    if (!device || !Number.isFinite(t)) continue;
    if (!latest.has(device) || latest.get(device).t < t) latest.set(device, { device: String(device), ts, t });
  }
  return [...latest.values()].sort((a, b) => b.t - a.t);
}

function confidencePercent(value) {
  const n = typeof value === "string" ? Number(value) : value;
  if (typeof n !== "number" || !Number.isFinite(n)) return null;
  return Math.round(Math.min(Math.max(n <= 1 ? n * 100 : n, 0), 100));
}

function confidenceLine(percent) {
  return el(
    "div",
    { class: "why-confidence", title: "How far past its threshold the detector found this behaviour" },
    el("span", { class: "why-label", text: "Confidence" }),
    el("span", { class: "meter", "aria-hidden": "true" },
      el("span", { class: "meter-fill", style: `width: ${percent}%` })),
    el("strong", { class: "why-value", text: `${percent}%` }),
  );
}

function evidenceLine(seen) {
  const today = localMoment(new Date(serverNow()).toISOString(), RESIDENT_TZ);
  const items = seen.slice(0, EVIDENCE_SHOWN).map((s) =>
    el("li", {}, el("span", { class: "mono", text: s.device }), " ",
      el("time", { datetime: new Date(s.t).toISOString(), text: localTs(s.ts, today && today.date) })));
  const more = seen.length - items.length;
  return el(
    "div",
    { class: "why-evidence" },
    el("span", { class: "why-label", text: "Last seen:" }),
    el("ul", { class: "evidence-list" }, items, more > 0 ? el("li", { class: "muted", text: `+${more} more` }) : null),
  );
}

export function whySection(a) {
  const percent = confidencePercent(a.confidence);
  const seen = lastSeen(a.evidence);
  if (!a.explanation && percent === null && !a.cold_start && seen.length === 0) return null;
  return el(
    "section",
    { class: "detail-section why" },
    el("h3", { text: "Why this alert" }),
    a.explanation ? el("p", { class: "explanation", text: a.explanation }) : null,
    percent !== null ? confidenceLine(percent) : null,
    a.cold_start
      ? el("p", {
          class: "cold-start",
          text: "Judged against population norms: fewer than 14 days of this resident's history",
        })
      : null,
    seen.length ? evidenceLine(seen) : null,
  );
}
