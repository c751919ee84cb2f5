// Local copy of the unresolved alerts, kept in step with the server by (id, version).
//
// - A snapshot replaces everything (this is how the page converges after a lost connection).
// - A delta is applied only if its version is higher than the one held.
// - A delta with handling "resolved" removes the alert; its version is remembered so that a
//   late, older delta for the same id cannot bring it back.
//
// The alerts are also kept in queue order, so that a delta costs a binary search rather than a sort of the
// whole queue (which holds thousands of alerts in a busy centre).

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

// The fields the queue is ordered by, parsed once per alert version rather than at every comparison.
function queueKey(alert) {
  return {
    priority: Number(alert.priority) || 9,
    requeued: requeuedAt(alert),
    raised: Date.parse(alert.raised_at) || 0,
    id: alert.id ?? 0,
  };
}

function compareKeys(a, b) {
  if (a.priority !== b.priority) return a.priority - b.priority;
  if (a.requeued !== b.requeued) {
    if (a.requeued === null) return 1;
    if (b.requeued === null) return -1;
    return a.requeued - b.requeued;
  }
  if (a.raised !== b.raised) return a.raised - b.raised;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

export function compareQueue(a, b) {
  return compareKeys(queueKey(a), queueKey(b));
}

export class AlertStore {
  constructor() {
    this.alerts = new Map(); // id -> alert (unresolved only)
    this.resolvedVersions = new Map(); // id -> version of the resolving change
    this.keys = new Map(); // id -> queueKey of the held version
    this.order = []; // the held alerts in queue order
    this.counts = emptyCounts(); // kept up to date alert by alert, rather than counted over the queue per change
  }

  // Returns {added: [alerts not held before]}.
  replace(list) {
    const previous = this.alerts;
    this.alerts = new Map();
    this.keys = new Map();
    const added = [];
    for (const alert of list || []) {
      if (!alert || alert.id === undefined || alert.handling === "resolved") continue;
      this.alerts.set(alert.id, alert);
      this.keys.set(alert.id, queueKey(alert));
      this.resolvedVersions.delete(alert.id);
      if (!previous.has(alert.id)) added.push(alert);
    }
    // Anything held before but missing from the snapshot was resolved meanwhile.
    for (const [id, old] of previous) {
      if (!this.alerts.has(id)) this.remember(id, old.version);
    }
    this.order = [...this.alerts.values()];
    this.order.sort((a, b) => compareKeys(this.keys.get(a.id), this.keys.get(b.id)));
    this.counts = emptyCounts();
    for (const alert of this.order) count(this.counts, alert, 1);
    return { added };
  }

  // Where an alert with this key is, or would go, in the queue order.
  position(key) {
    let low = 0;
    let high = this.order.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (compareKeys(this.keys.get(this.order[mid].id), key) < 0) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  unlink(id) {
    const key = this.keys.get(id);
    if (key === undefined) return;
    const at = this.position(key);
    if (this.order[at]?.id === id) this.order.splice(at, 1);
    else this.order = this.order.filter((a) => a.id !== id); // cannot happen while the keys are right
    this.keys.delete(id);
  }

  link(alert) {
    const key = queueKey(alert);
    const at = this.position(key);
    this.keys.set(alert.id, key);
    this.order.splice(at, 0, alert);
  }

  // Returns null when ignored, else {alert, previous, removed, added}.
  apply(alert) {
    if (!alert || alert.id === undefined) return null;
    const id = alert.id;
    const tomb = this.resolvedVersions.get(id);
    if (tomb !== undefined && !newer(alert, tomb)) return null;
    const held = this.alerts.get(id);
    if (held && !newer(alert, held.version)) return null;
    if (held) {
      this.unlink(id);
      count(this.counts, held, -1);
    }
    if (alert.handling === "resolved") {
      this.alerts.delete(id);
      this.remember(id, alert.version);
      return { alert, previous: held || null, removed: true, added: false };
    }
    this.alerts.set(id, alert);
    this.link(alert);
    count(this.counts, alert, 1);
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

  // The held alerts in queue order (a new array: the caller may keep it).
  sorted(filter) {
    return filter ? this.order.filter(filter) : [...this.order];
  }

  // The alert after `id` in queue order among those `filter` keeps, or null.
  following(id, filter) {
    const key = this.keys.get(id);
    if (key === undefined) return null;
    for (let at = this.position(key) + 1; at < this.order.length; at += 1) {
      if (!filter || filter(this.order[at])) return this.order[at];
    }
    return null;
  }

  stats() {
    const c = this.counts;
    return { ...c, byPriority: { ...c.byPriority }, total: this.alerts.size };
  }
}

function emptyCounts() {
  return { byPriority: { 1: 0, 2: 0, 3: 0, 4: 0 }, unackedP1: 0, escalated: 0, acknowledged: 0, new: 0 };
}

// Adds (sign 1) or takes away (sign -1) one held alert's part in the counts.
function count(counts, a, sign) {
  if (counts.byPriority[a.priority] !== undefined) counts.byPriority[a.priority] += sign;
  if (a.priority === 1 && a.handling === "new") counts.unackedP1 += sign;
  if (a.handling === "new" && a.escalation_level > 0) counts.escalated += sign;
  if (a.handling === "acknowledged") counts.acknowledged += sign;
  if (a.handling === "new") counts.new += sign;
}
