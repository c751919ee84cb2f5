"""The SQL behind the family page: the signed-in relative, their resident's alerts (the kinds offered to families
only, in plain words) and the access log rows every view and every refusal writes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import psycopg
from psycopg.rows import dict_row

from alerts.family import messages, policy
from alerts.model import Priority
from alerts.transitions import FAMILY_ANSWERABLE

RECENT_DAYS = 14
RECENT_SHOWN = 10

_MEMBER = """
SELECT id, resident_id, name, language, timezone, consent_given_at, consent_withdrawn_at
FROM family_members WHERE id = %s
"""
_RESIDENT = "SELECT name, preferred_name FROM residents WHERE resident_id = %s"
_OPEN = """
SELECT id, kind, priority, handling, raised_at FROM alerts
WHERE resident_id = %(resident_id)s AND kind = ANY(%(kinds)s) AND handling <> 'resolved'
ORDER BY priority, raised_at DESC
"""
_RECENT = """
SELECT id, kind, priority, handling, raised_at FROM alerts
WHERE resident_id = %(resident_id)s AND kind = ANY(%(kinds)s) AND handling = 'resolved' AND raised_at >= %(since)s
ORDER BY raised_at DESC
LIMIT %(limit)s
"""
_MY_ANSWERS = """
SELECT DISTINCT ON (alert_id) alert_id, answer FROM family_responses
WHERE family_member_id = %s AND alert_id = ANY(%s) ORDER BY alert_id, at DESC, id DESC
"""


@dataclass(frozen=True)
class Relative:
    id: int
    resident_id: str
    name: str
    language: str  # the catalogue their page is written in
    timezone: str


def signed_in_relative(conn: psycopg.Connection, member_id: int, now: datetime) -> Relative | None:
    """The relative a session names, while their consent stands; None once it is withdrawn."""
    row = conn.execute(_MEMBER, (member_id,)).fetchone()
    if row is None:
        return None
    member = policy.Member(row[0], row[5], row[6])
    if not policy.has_consent(member, now):
        return None
    return Relative(row[0], row[1], messages.first_name(row[2], None),
                    messages.catalogues().resolve(row[3]), row[4])


def resident_first_name(conn: psycopg.Connection, resident_id: str) -> str:
    row = conn.execute(_RESIDENT, (resident_id,)).fetchone()
    return messages.first_name(row[0], row[1]) if row else ""


def resident_exists(conn: psycopg.Connection, resident_id: str) -> bool:
    return conn.execute("SELECT 1 FROM residents WHERE resident_id = %s", (resident_id,)).fetchone() is not None


def log_access(conn: psycopg.Connection, relative_id: int, action: str, resident_id: str, *,
               alert_id: int | None = None, reason: str = "", detail: dict[str, Any] | None = None) -> None:
    """One resident_access_log row; a resident id that does not exist is kept in the detail instead."""
    known = resident_exists(conn, resident_id)
    detail = dict(detail or {})
    if not known:
        detail["requested_resident_id"] = resident_id[:100]
    conn.execute(
        "INSERT INTO resident_access_log (actor, resident_id, action, alert_id, reason, detail)"
        " VALUES (%s, %s, %s, %s, %s, %s)",
        (f"family:{relative_id}", resident_id if known else None, action, alert_id, reason, json.dumps(detail)),
    )


def _alert_view(row: dict[str, Any], relative: Relative, name: str, strings: dict[str, str],
                answers: dict[int, str]) -> dict[str, Any]:
    cat = messages.catalogues()
    moment = messages.when(row["raised_at"], relative.timezone, relative.language)
    return {
        "id": row["id"],
        "kind": row["kind"],
        "what": messages.what_happened(row["kind"], relative.language, name),
        "when": cat.text(relative.language, messages.WHEN, **moment),
        "handling": row["handling"],
        "status": strings[f"status_{row['handling']}"],
        "answerable": row["handling"] != "resolved" and Priority(row["priority"]) in FAMILY_ANSWERABLE,
        "my_answer": answers.get(row["id"]),
    }


def resident_status(conn: psycopg.Connection, relative: Relative, now: datetime) -> dict[str, Any]:
    """What the family page shows: open alerts first, then the recent ones, in the relative's language."""
    name = resident_first_name(conn, relative.resident_id)
    strings = messages.page_strings(relative.language, name)
    query = {"resident_id": relative.resident_id, "kinds": sorted(policy.FAMILY_KINDS),
             "since": now - timedelta(days=RECENT_DAYS), "limit": RECENT_SHOWN}
    with conn.cursor(row_factory=dict_row) as cur:
        open_rows = cur.execute(_OPEN, query).fetchall()
        recent_rows = cur.execute(_RECENT, query).fetchall()
    ids = [r["id"] for r in open_rows + recent_rows]
    answers = dict(conn.execute(_MY_ANSWERS, (relative.id, ids)).fetchall())
    return {
        "resident": {"id": relative.resident_id, "name": name},
        "language": relative.language,
        "strings": strings,
        "open": [_alert_view(r, relative, name, strings, answers) for r in open_rows],
        "recent": [_alert_view(r, relative, name, strings, answers) for r in recent_rows],
    }
