// Shared geometry and colour scale of the activity charts. The heatmap and the day line use the same
// hour columns, so an hour in one sits directly above the same hour in the other.

export const WIDTH = 404; // the detail panel's content width; the SVGs scale down with the panel
export const LEFT = 80; // room for the heatmap's date labels and the line chart's count axis
const RIGHT = 4;

export const HOUR_WIDTH = (WIDTH - LEFT - RIGHT) / 24;

// x of a moment in the local day, in hours from midnight (7.5 is half past seven).
export const xOfHour = (h) => LEFT + h * HOUR_WIDTH;

// Dim blue through teal to pale yellow: every step stays distinct on the dark panel, and a single
// event is still visibly different from none.
const STOPS = ["#1f3b63", "#1d6aa5", "#1f9e9a", "#6fcf86", "#f2e38b"].map((hex) => [
  parseInt(hex.slice(1, 3), 16), parseInt(hex.slice(3, 5), 16), parseInt(hex.slice(5, 7), 16),
]);

function mix(t) {
  const span = Math.min(Math.max(t, 0), 1) * (STOPS.length - 1);
  const i = Math.min(Math.floor(span), STOPS.length - 2);
  const f = span - i;
  const channel = (c) => Math.round(STOPS[i][c] + (STOPS[i + 1][c] - STOPS[i][c]) * f);
  return `rgb(${channel(0)} ${channel(1)} ${channel(2)})`;
}

// Counts are skewed (a busy kitchen hour dwarfs the rest), so shade by the square root: quiet
// hours stay tellable apart from one another. Zero has no shade; the stylesheet draws empty cells.
export function shadeOf(count, max) {
  if (!(count > 0)) return null;
  if (max <= 1) return mix(1);
  return mix(Math.sqrt((count - 1) / (max - 1)));
}

export function legendGradient() {
  const steps = 8;
  const colours = Array.from({ length: steps + 1 }, (_, i) => mix(i / steps));
  return `linear-gradient(to right, ${colours.join(", ")})`;
}

// A round axis maximum at or above the value, chosen so that its half is a whole number too.
export function niceCeil(value) {
  if (!(value > 0)) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 4, 6, 8, 10]) {
    if (step * magnitude >= value) return step * magnitude;
  }
  return 10 * magnitude;
}
