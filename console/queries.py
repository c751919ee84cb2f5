"""The SQL the console reads with; one alert shape for REST and websocket alike."""

from __future__ import annotations

from typing import Literal

ALERT_VIEW = """
SELECT a.id, a.version, a.home_id, a.resident_id, r.name AS resident_name, h.address,
       a.kind, a.device_id, d.room, a.priority, a.condition, a.handling, a.repeat_count,
       a.escalation_level, a.explanation, a.first_event_ts, a.last_event_ts, a.raised_at, a.updated_at,
       a.acknowledged_at, a.acknowledged_by, a.escalated_at, a.cleared_at, a.resolved_at, a.resolved_by,
       a.outcome, a.resolution_note, a.confidence, a.cold_start, a.evidence, a.family_answer_due, a.requeued_at
FROM alerts a
JOIN homes h ON h.home_id = a.home_id
LEFT JOIN residents r ON r.resident_id = a.resident_id
LEFT JOIN devices d ON d.home_id = a.home_id AND d.device_id = a.device_id
"""

AlertState = Literal["open", "acknowledged", "resolved", "all"]

# PostgreSQL text cannot hold NUL: text that reaches SQL is refused at the edge (422), not by the driver (500).
STORABLE_TEXT = r"^[^\x00]*$"

# Queue order: by priority; within it, alerts that came back unanswered by relatives (requeued and not yet
# taken on again) first, longest-waiting first; then by when they were raised.
_QUEUE_ORDER = "{t}.priority, CASE WHEN {t}.handling = 'new' THEN {t}.requeued_at END NULLS LAST, {t}.raised_at"
QUEUE_ORDER = _QUEUE_ORDER.format(t="a")

_STATE_FILTER: dict[str, str] = {
    "open": "WHERE a.handling <> 'resolved' ORDER BY " + QUEUE_ORDER,
    "acknowledged": "WHERE a.handling = 'acknowledged' ORDER BY a.priority, a.raised_at",
    "resolved": "WHERE a.handling = 'resolved' ORDER BY a.resolved_at DESC",
    "all": "ORDER BY a.raised_at DESC",
}


def list_alerts_sql(state: AlertState) -> str:
    return ALERT_VIEW + _STATE_FILTER[state] + " LIMIT %(limit)s"


ALERT_BY_ID = ALERT_VIEW + "WHERE a.id = %s"

# The live stream's alerts as JSON text rendered by PostgreSQL: once per change or snapshot, whatever the number
# of clients, and off the console's event loop, which every client's sends share. Same fields as ALERT_VIEW.
OPEN_ALERTS_JSON = ("SELECT to_json(v)::text FROM (" + ALERT_VIEW + "WHERE a.handling <> 'resolved') v ORDER BY "
                    + _QUEUE_ORDER.format(t="v"))
ALERT_BY_ID_JSON = "SELECT to_json(v)::text FROM (" + ALERT_BY_ID + ") v"

AUDIT_FOR_ALERT = """
SELECT at, actor, action, rule, from_condition, to_condition, from_handling, to_handling, version, detail
FROM alert_audit WHERE alert_id = %s ORDER BY id
"""

HOMES = """
SELECT h.home_id, h.address, h.unit_state, h.unit_state_ts,
       (SELECT r.name FROM residents r WHERE r.home_id = h.home_id ORDER BY r.resident_id LIMIT 1) AS resident_name,
       (SELECT count(*) FROM devices d WHERE d.home_id = h.home_id) AS devices,
       (SELECT max(d.last_seen_at) FROM devices d WHERE d.home_id = h.home_id) AS last_seen_at,
       (SELECT count(*) FROM alerts a WHERE a.home_id = h.home_id AND a.handling <> 'resolved') AS open_alerts
FROM homes h ORDER BY h.home_id
"""

HOME_EXISTS = "SELECT 1 FROM homes WHERE home_id = %s"

EVENTS_SINCE = """
SELECT device_id, seq, ts, received_at, type, value, room, battery
FROM events WHERE home_id = %(home_id)s AND ts >= %(since)s
ORDER BY ts DESC, device_id, seq DESC LIMIT %(limit)s
"""


# Summed per hour from events_hourly (a continuous aggregate with TimescaleDB, a view otherwise).
HOURLY_ACTIVITY = """
SELECT bucket, sum(events)::int FROM events_hourly
WHERE home_id = %(home_id)s AND bucket >= %(since)s AND bucket < %(until)s AND type = ANY(%(types)s)
GROUP BY bucket ORDER BY bucket
"""
