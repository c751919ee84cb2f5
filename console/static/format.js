// Labels and time formatting for the operator console.

export const PRIORITY = {
  1: { short: "P1", name: "Emergency" },
  2: { short: "P2", name: "Urgent" },
  3: { short: "P3", name: "Wellbeing" },
  4: { short: "P4", name: "Technical" },
};

export const KIND_LABELS = {
  // alarm class
  pendant_press: "Pendant press",
  pull_cord: "Pull cord",
  fall: "Fall detected",
  smoke: "Smoke alarm",
  co: "Carbon monoxide",
  flood: "Flood detected",
  heat_high: "High heat",
  bogus_caller: "Bogus caller",
  // technical
  device_silent: "Device silent",
  battery_low: "Low battery",
  tamper: "Tamper",
  mains_fail: "Mains power failure",
  mains_restored: "Mains restored",
  unit_offline: "Unit offline",
  home_flooding: "Unit flooding",
  // behaviour
  no_activity_morning: "No morning activity",
  night_wandering: "Night wandering",
  door_open_night: "Door open at night",
  prolonged_bathroom: "Prolonged bathroom visit",
  missed_meal: "Missed meal",
  cold_home: "Cold home",
  activity_decline: "Activity decline",
};

// Used when GET /api/outcomes cannot be reached, so an operator is never blocked.
export const FALLBACK_OUTCOMES = [
  { code: "false_alarm", label: "False alarm" },
  { code: "resident_ok", label: "Resident OK" },
  { code: "responder_sent", label: "Responder sent" },
  { code: "ambulance_called", label: "Ambulance called" },
  { code: "family_contacted", label: "Family contacted" },
  { code: "safeguarding_referral", label: "Safeguarding referral" },
  { code: "technical_fixed", label: "Technical fault fixed" },
  { code: "other", label: "Other" },
];

export function humanize(code) {
  if (code === null || code === undefined || code === "") return "";
  const text = String(code).replace(/[_-]+/g, " ").trim();
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export function kindLabel(kind) {
  return KIND_LABELS[kind] || humanize(kind) || "Unknown";
}

export function priorityInfo(p) {
  return PRIORITY[p] || { short: `P${p ?? "?"}`, name: "Unknown" };
}

export function parseTs(iso) {
  if (!iso) return NaN;
  return Date.parse(iso);
}

const pad = (n) => String(n).padStart(2, "0");

// Elapsed time as mm:ss, or h:mm:ss from one hour, or "Nd hh:mm" from one day.
export function formatAge(ms) {
  if (!Number.isFinite(ms)) return "--:--";
  const total = Math.max(0, Math.floor(ms / 1000));
  const s = total % 60;
  const m = Math.floor(total / 60) % 60;
  const h = Math.floor(total / 3600);
  if (h >= 24) return `${Math.floor(h / 24)}d ${pad(h % 24)}:${pad(m)}`;
  if (h > 0) return `${h}:${pad(m)}:${pad(s)}`;
  return `${pad(m)}:${pad(s)}`;
}

export function formatClock(date) {
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

const dateFmt = new Intl.DateTimeFormat("en-GB", { weekday: "short", day: "numeric", month: "short" });

export function formatDate(date) {
  return dateFmt.format(date);
}

function sameDay(a, b) {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

// Time of day for today's timestamps; date and time otherwise.
export function formatTs(iso, now = new Date()) {
  const t = parseTs(iso);
  if (!Number.isFinite(t)) return "—";
  const d = new Date(t);
  const clock = formatClock(d);
  return sameDay(d, now) ? clock : `${formatDate(d)} ${clock}`;
}

export function fullTs(iso) {
  const t = parseTs(iso);
  if (!Number.isFinite(t)) return "";
  return new Date(t).toISOString();
}

// FastAPI errors come as {"detail": "text"} or {"detail": [{"loc": [...], "msg": "..."}]}.
export function describeDetail(detail) {
  if (detail === null || detail === undefined) return "";
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) {
    return detail
      .map((d) => {
        if (d && typeof d === "object") {
          const loc = Array.isArray(d.loc) ? d.loc.filter((p) => p !== "body").join(".") : "";
          return loc ? `${loc}: ${d.msg ?? ""}` : String(d.msg ?? JSON.stringify(d));
        }
        return String(d);
      })
      .join("; ");
  }
  if (typeof detail === "object") {
    if (typeof detail.message === "string") return detail.message;
    return JSON.stringify(detail);
  }
  return String(detail);
}
