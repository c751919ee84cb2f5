// Times in the resident's own time zone. A resident's day (waking, meals, nights) is lived in UK
// local time, whatever zone the operator's computer is set to, so activity is read in that zone.

import { parseTs } from "./format.js";

export const RESIDENT_TZ = "Europe/London";

const pad = (n) => String(n).padStart(2, "0");
const formatters = new Map();

function partsFormatter(timeZone) {
  if (!formatters.has(timeZone)) {
    formatters.set(
      timeZone,
      new Intl.DateTimeFormat("en-GB", {
        timeZone, year: "numeric", month: "2-digit", day: "2-digit",
        hour: "2-digit", minute: "2-digit", hourCycle: "h23",
      }),
    );
  }
  return formatters.get(timeZone);
}

// The local calendar date ("2026-11-17"), hour and minute of an instant, or null if unparsable.
export function localMoment(iso, timeZone = RESIDENT_TZ) {
  const t = parseTs(iso);
  if (!Number.isFinite(t)) return null;
  const p = {};
  for (const part of partsFormatter(timeZone).formatToParts(new Date(t))) p[part.type] = part.value;
  return { date: `${p.year}-${p.month}-${p.day}`, hour: Number(p.hour), minute: Number(p.minute) };
}

// Dates arrive as plain calendar days; reading them at noon UTC keeps the weekday right everywhere.
const dayFmt = new Intl.DateTimeFormat("en-GB", { timeZone: "UTC", weekday: "short", day: "numeric", month: "short" });

export function dayLabel(dateKey) {
  const t = Date.parse(`${dateKey}T12:00:00Z`);
  return Number.isFinite(t) ? dayFmt.format(new Date(t)) : dateKey;
}

export const clockLabel = (m) => `${pad(m.hour)}:${pad(m.minute)}`;

export const hourLabel = (h) => `${pad(h % 24)}:00`;

export const hourRange = (h) => `${hourLabel(h)}–${hourLabel(h + 1)}`;

// "07:42" on the given local day, "Mon 16 Nov 23:58" on any other.
export function localTs(iso, dayKey, timeZone = RESIDENT_TZ) {
  const m = localMoment(iso, timeZone);
  if (!m) return "—";
  return m.date === dayKey ? clockLabel(m) : `${dayLabel(m.date)} ${clockLabel(m)}`;
}

export const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
