// Local copy of the unresolved alerts, kept in step with the server by (id, version).
//
// - A snapshot replaces everything (this is how the page converges after a lost connection).
// - A delta is applied only if its version is higher than the one held.
// - A delta with handling "resolved" removes the alert; its version is remembered so that a
//   late, older delta for the same id cannot bring it back.

const MAX_TOMBSTONES = 5000;

function newer(incoming, held) {
  if (held === undefined) return true;
  const a = incoming.version;
  const b = held;
  if (typeof a === "number" && typeof b === "number") return a > b;
  return true;
}

// Same order as the server's QUEUE_ORDER: priority; within it, alerts put back in the queue (no family
// answer) first, earliest put back first; then oldest first.
function requeuedAt(alert) {
  return alert.handling === "new" && alert.requeued_at ? Date.parse(alert.requeued_at) || 0 : null;
}

export function compareQueue(a, b) {
  const pa = Number(a.priority) || 9;
  const pb = Number(b.priority) || 9;
  if (pa !== pb) return pa - pb;
  const ra = requeuedAt(a);
  const rb = requeuedAt(b);
  if (ra !== rb) {
    if (ra === null) return 1;
    if (rb === null) return -1;
    return ra - rb;
  }
  const ta = Date.parse(a.raised_at) || 0;
  const tb = Date.parse(b.raised_at) || 0;
  if (ta !== tb) return ta - tb;
  return (a.id ?? 0) - (b.id ?? 0);
}

export class AlertStore {
  constructor() {
    this.alerts = new Map(); // id -> alert (unresolved only)
    this.resolvedVersions = new Map(); // id -> version of the resolving change
  }

  // Returns {added: [alerts not held before]}.
  replace(list) {
    const previous = this.alerts;
    this.alerts = new Map();
    const added = [];
    for (const alert of list || []) {
      if (!alert || alert.id === undefined || alert.handling === "resolved") continue;
      this.alerts.set(alert.id, alert);
      this.resolvedVersions.delete(alert.id);
      if (!previous.has(alert.id)) added.push(alert);
    }
    // Anything held before but missing from the snapshot was resolved meanwhile.
    for (const [id, old] of previous) {
      if (!this.alerts.has(id)) this.remember(id, old.version);
    }
    return { added };
  }

  // Returns null when ignored, else {alert, previous, removed, added}.
  apply(alert) {
    if (!alert || alert.id === undefined) return null;
    const id = alert.id;
    const tomb = this.resolvedVersions.get(id);
    if (tomb !== undefined && !newer(alert, tomb)) return null;
    const held = this.alerts.get(id);
    if (held && !newer(alert, held.version)) return null;
    if (alert.handling === "resolved") {
      this.alerts.delete(id);
      this.remember(id, alert.version);
      return { alert, previous: held || null, removed: true, added: false };
    }
    this.alerts.set(id, alert);
    return { alert, previous: held || null, removed: false, added: !held };
  }

  remember(id, version) {
    this.resolvedVersions.set(id, version);
    if (this.resolvedVersions.size > MAX_TOMBSTONES) {
      const oldest = this.resolvedVersions.keys().next().value;
      this.resolvedVersions.delete(oldest);
    }
  }

  get(id) {
    return this.alerts.get(id);
  }

  sorted(filter) {
    const list = [...this.alerts.values()];
    return (filter ? list.filter(filter) : list).sort(compareQueue);
  }

  stats() {
    const byPriority = { 1: 0, 2: 0, 3: 0, 4: 0 };
    let unackedP1 = 0;
    let escalated = 0;
    let acknowledged = 0;
    for (const a of this.alerts.values()) {
      if (byPriority[a.priority] !== undefined) byPriority[a.priority] += 1;
      if (a.priority === 1 && a.handling === "new") unackedP1 += 1;
      if (a.handling === "new" && a.escalation_level > 0) escalated += 1;
      if (a.handling === "acknowledged") acknowledged += 1;
    }
    return { byPriority, unackedP1, escalated, acknowledged, total: this.alerts.size };
  }
}
