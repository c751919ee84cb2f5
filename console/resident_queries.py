"""The SQL behind the operator's resident card, the family status of an alert, the key safe reveal and
the access log. Every function takes the caller's connection: the routes run a read and its
resident_access_log row in one transaction, so there is never a read without its log entry."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

import psycopg
from psycopg.rows import dict_row

from console import resident_format as fmt

RECENT_ALERT_DAYS = 30
RECENT_EVENT_HOURS = 24
RECENT_ALERTS_SHOWN = 25
RECENT_EVENTS_SHOWN = 60

ALERT_CONTEXT = """
SELECT a.id, a.home_id, a.kind, a.handling, a.family_answer_due, a.requeued_at,
       COALESCE(a.resident_id,
                (SELECT r.resident_id FROM residents r WHERE r.home_id = a.home_id ORDER BY r.resident_id LIMIT 1)
       ) AS resident_id
FROM alerts a WHERE a.id = %s
"""

HOME = "SELECT home_id, address, postcode, access_notes, key_safe_code IS NOT NULL AS key_safe_recorded " \
       "FROM homes WHERE home_id = %s"

RESIDENT = """
SELECT resident_id, home_id, name, preferred_name, date_of_birth, nhs_number, languages, preferred_language,
       interpreter_needed, communication_needs, care_plan_summary, gp_name, gp_practice, gp_phone, care_visits,
       source, updated_at
FROM residents WHERE resident_id = %s
"""

CONDITIONS = """
SELECT category, code, display FROM resident_conditions
WHERE resident_id = %s AND active ORDER BY category, display, id
"""

RESPONDERS = """
SELECT id, position, name, relationship, kind, phone, availability, holds_key FROM responders
WHERE resident_id = %s ORDER BY position, id
"""

RECENT_ALERTS = """
SELECT id, kind, priority, handling, outcome, raised_at, resolved_at FROM alerts
WHERE resident_id = %(resident_id)s AND raised_at >= %(since)s
ORDER BY raised_at DESC LIMIT %(limit)s
"""

RECENT_EVENTS = """
SELECT e.ts, e.room, e.device_id, d.kind AS device_kind, e.type, e.value FROM events e
LEFT JOIN devices d ON d.home_id = e.home_id AND d.device_id = e.device_id
WHERE e.home_id = %(home_id)s AND e.ts >= %(since)s AND e.type <> 'heartbeat'
ORDER BY e.ts DESC, e.device_id, e.seq DESC LIMIT %(limit)s
"""

FAMILY_NOTIFICATIONS = """
SELECT n.family_member_id, m.name, c.channel, n.status, n.created_at, n.sent_at, n.hold_until, n.last_error
FROM family_notifications n
JOIN family_members m ON m.id = n.family_member_id
LEFT JOIN family_channels c ON c.id = n.channel_id
WHERE n.alert_id = %s ORDER BY n.created_at, n.id
"""

FAMILY_RESPONSES = """
SELECT r.family_member_id, m.name, r.answer, r.note, r.at
FROM family_responses r JOIN family_members m ON m.id = r.family_member_id
WHERE r.alert_id = %s ORDER BY r.at, r.id
"""

DISABLED_CHANNELS = """
SELECT m.id AS family_member_id, m.name, c.channel, c.disabled_at, c.disabled_reason
FROM family_channels c JOIN family_members m ON m.id = c.family_member_id
WHERE m.resident_id = %s AND NOT c.enabled ORDER BY c.disabled_at DESC NULLS LAST, c.id
"""

ACCESS_LOG = """
SELECT at, actor, action, alert_id, reason FROM resident_access_log
WHERE resident_id = %s ORDER BY at DESC, id DESC LIMIT %s
"""


def log_access(conn: psycopg.Connection, *, actor: str, action: str, resident_id: str | None,
               alert_id: int | None, reason: str, detail: dict[str, Any] | None = None) -> None:
    conn.execute(
        "INSERT INTO resident_access_log (actor, resident_id, action, alert_id, reason, detail) "
        "VALUES (%s, %s, %s, %s, %s, %s)",
        (actor, resident_id, action, alert_id, reason, json.dumps(detail or {})),
    )


def alert_context(conn: psycopg.Connection, alert_id: int, *, lock: bool = False) -> dict[str, Any] | None:
    """The alert with the resident it is about: its own, else the home's (as the engine links them)."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(ALERT_CONTEXT + (" FOR UPDATE OF a" if lock else ""), (alert_id,)).fetchone()


def _resident_view(row: dict[str, Any], today: date) -> dict[str, Any]:
    return {
        "resident_id": row["resident_id"],
        "name": row["name"],
        "preferred_name": row["preferred_name"],
        "date_of_birth": row["date_of_birth"],
        "age": fmt.age_on(row["date_of_birth"], today),
        "nhs_number": fmt.format_nhs_number(row["nhs_number"]),
        "language": fmt.languages_view(row["preferred_language"], list(row["languages"]), row["interpreter_needed"]),
        "communication_needs": row["communication_needs"],
        "care_plan_summary": row["care_plan_summary"],
        "care_visits": [{**visit, "tel": fmt.tel_uri(visit.get("phone"))}
                        for visit in row["care_visits"] if isinstance(visit, dict)],
        "gp": {"name": row["gp_name"], "practice": row["gp_practice"], "phone": row["gp_phone"],
               "tel": fmt.tel_uri(row["gp_phone"])},
        "source": row["source"],
        "updated_at": row["updated_at"],
    }


def resident_card(conn: psycopg.Connection, context: dict[str, Any], now: datetime, today: date) -> dict[str, Any]:
    """Everything the card shows for the alert's resident, or the plain no-record message."""
    home_id = context["home_id"]
    with conn.cursor(row_factory=dict_row) as cur:
        home = cur.execute(HOME, (home_id,)).fetchone()
        resident = cur.execute(RESIDENT, (context["resident_id"],)).fetchone() if context["resident_id"] else None
        events = cur.execute(RECENT_EVENTS, {"home_id": home_id, "since": now - timedelta(hours=RECENT_EVENT_HOURS),
                                             "limit": RECENT_EVENTS_SHOWN}).fetchall()
        card: dict[str, Any] = {
            "alert_id": context["id"], "home_id": home_id, "linked": resident is not None,
            "message": None if resident else fmt.no_record_message(home_id),
            "home": home, "resident": None, "risks": [], "conditions": [], "responders": [],
            "recent_alerts": [], "recent_events": events,
            "family": family_status(conn, context, now),
        }
        if resident is None:
            return card
        resident_id = resident["resident_id"]
        conditions = cur.execute(CONDITIONS, (resident_id,)).fetchall()
        responders = cur.execute(RESPONDERS, (resident_id,)).fetchall()
        recent = cur.execute(RECENT_ALERTS, {"resident_id": resident_id, "limit": RECENT_ALERTS_SHOWN,
                                             "since": now - timedelta(days=RECENT_ALERT_DAYS)}).fetchall()
    card.update(
        resident=_resident_view(resident, today),
        risks=[{"code": c["code"], "display": c["display"]} for c in conditions if c["category"] == "risk"],
        conditions=[{"code": c["code"], "display": c["display"]} for c in conditions if c["category"] == "condition"],
        responders=[{**r, "tel": fmt.tel_uri(r["phone"])} for r in responders],
        recent_alerts=[{**a, "current": a["id"] == context["id"]} for a in recent],
    )
    return card


def family_status(conn: psycopg.Connection, context: dict[str, Any], now: datetime) -> dict[str, Any]:
    """What relatives have been told about this alert and what they answered; failing channels."""
    with conn.cursor(row_factory=dict_row) as cur:
        notifications = cur.execute(FAMILY_NOTIFICATIONS, (context["id"],)).fetchall()
        responses = cur.execute(FAMILY_RESPONSES, (context["id"],)).fetchall()
        disabled = cur.execute(DISABLED_CHANNELS, (context["resident_id"],)).fetchall() \
            if context["resident_id"] else []
    return {
        "family_answer_due": context["family_answer_due"],
        "requeued_at": context["requeued_at"],
        "server_time": now,
        "notifications": [{**n, "channel_name": fmt.channel_name(n["channel"]) if n["channel"] else None}
                          for n in notifications],
        "responses": [{**r, "answer_label": fmt.FAMILY_ANSWERS.get(r["answer"], r["answer"])} for r in responses],
        "disabled_channels": [{**c, "warning": fmt.disabled_channel_warning(c["channel"], c["name"],
                                                                            c["disabled_reason"])}
                              for c in disabled],
    }


def key_safe_code(conn: psycopg.Connection, home_id: str) -> str | None:
    row = conn.execute("SELECT key_safe_code FROM homes WHERE home_id = %s", (home_id,)).fetchone()
    return row[0] if row else None


def access_log(conn: psycopg.Connection, resident_id: str, limit: int) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(ACCESS_LOG, (resident_id, limit)).fetchall()


def resident_exists(conn: psycopg.Connection, resident_id: str) -> bool:
    return conn.execute("SELECT 1 FROM residents WHERE resident_id = %s", (resident_id,)).fetchone() is not None
