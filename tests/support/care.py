"""Care-record and family rows written straight into the tables of migrations 006 and 007, so that tests of
the console's resident card depend on the schema only, not on the importers or the family notifier."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import psycopg

from alerts import engine


@dataclass(frozen=True)
class Responder:
    position: int
    name: str
    relationship: str
    kind: str
    phone: str
    availability: str
    holds_key: bool


@dataclass(frozen=True)
class CareRecord:
    """A resident's record as a council would hold it; the defaults describe one plausible resident."""

    date_of_birth: date = date(1941, 3, 14)
    nhs_number: str = "9434765919"
    languages: tuple[str, ...] = ("bn", "syl", "en")
    preferred_language: str = "syl"
    interpreter_needed: bool = True
    communication_needs: str = "Hard of hearing: face her and speak slowly"
    care_plan_summary: str = "Lives alone; carers twice daily for medication and meals."
    gp_name: str = "Dr A. Chowdhury"
    gp_practice: str = "Whitechapel Health Centre"
    gp_phone: str = "020 7946 0011"
    care_visits: tuple[dict[str, str], ...] = (
        {"provider": "Tower Homecare", "days": "Mon-Sun", "times": "08:00, 18:00", "phone": "020 7946 0500"},)
    address: str = "Flat 3, 12 Brick Lane, London"
    postcode: str = "E1 6RF"
    access_notes: str = "Door sticks: push hard. Side gate code 1234 is NOT the key safe."
    key_safe_code: str | None = "2580"
    risks: tuple[str, ...] = ("Falls risk", "Lives alone")
    conditions: tuple[str, ...] = ("Type 2 diabetes", "Mild dementia")
    # Listed out of order on purpose: the card must show them by position.
    responders: tuple[Responder, ...] = field(default_factory=lambda: (
        Responder(2, "Tower Hamlets mobile responders", "", "mobile_responder", "0300 123 4567", "24/7", True),
        Responder(1, "Rahima Begum", "daughter", "family", "07700 900123", "weekdays after 18:00", True),
        Responder(3, "Ken Walsh", "neighbour", "neighbour", "+44 7700 900456", "mornings", False),
    ))


def write_care_record(conn: psycopg.Connection, home_id: str, resident_id: str, record: CareRecord) -> None:
    conn.execute(
        "UPDATE homes SET address = %s, postcode = %s, access_notes = %s, key_safe_code = %s WHERE home_id = %s",
        (record.address, record.postcode, record.access_notes, record.key_safe_code, home_id))
    conn.execute(
        """UPDATE residents SET date_of_birth = %s, nhs_number = %s, languages = %s, preferred_language = %s,
                  interpreter_needed = %s, communication_needs = %s, care_plan_summary = %s, gp_name = %s,
                  gp_practice = %s, gp_phone = %s, care_visits = %s, source = 'fhir'
           WHERE resident_id = %s""",
        (record.date_of_birth, record.nhs_number, list(record.languages), record.preferred_language,
         record.interpreter_needed, record.communication_needs, record.care_plan_summary, record.gp_name,
         record.gp_practice, record.gp_phone, json.dumps(list(record.care_visits)), resident_id))
    for category, names in (("risk", record.risks), ("condition", record.conditions)):
        for name in names:
            conn.execute("INSERT INTO resident_conditions (resident_id, category, display) VALUES (%s, %s, %s)",
                         (resident_id, category, name))
    # An ended condition stays on the record but must not show on the card.
    conn.execute("INSERT INTO resident_conditions (resident_id, category, display, active) "
                 "VALUES (%s, 'condition', 'Fractured wrist (healed)', false)", (resident_id,))
    for r in record.responders:
        conn.execute(
            """INSERT INTO responders (resident_id, position, name, relationship, kind, phone, availability, holds_key)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s)""",
            (resident_id, r.position, r.name, r.relationship, r.kind, r.phone, r.availability, r.holds_key))


def add_home_without_record(conn: psycopg.Connection, home_id: str, address: str = "4 Mill Lane") -> None:
    conn.execute("INSERT INTO homes (home_id, address) VALUES (%s, %s)", (home_id, address))


def raise_alert(conn: psycopg.Connection, home_id: str, kind: str = "pendant_press", *,
                at: datetime | None = None, device_id: str = "") -> int:
    """An alert raised through the engine (audit row, outbox row and NOTIFY, as ingest would)."""
    with conn.transaction():
        applied = engine.trigger(conn, home_id=home_id, kind=kind, device_id=device_id,
                                 at=at or datetime.now(UTC))
    return applied.alert_id


def add_family_member(conn: psycopg.Connection, resident_id: str, name: str, language: str = "en") -> int:
    return conn.execute(
        "INSERT INTO family_members (resident_id, name, language, consent_given_at, consent_recorded_by) "
        "VALUES (%s, %s, %s, now(), 'test') RETURNING id", (resident_id, name, language)).fetchone()[0]


def add_channel(conn: psycopg.Connection, member_id: int, channel: str, address: str, *,
                disabled_reason: str | None = None) -> int:
    enabled = disabled_reason is None
    return conn.execute(
        """INSERT INTO family_channels (family_member_id, channel, address, enabled, disabled_at, disabled_reason)
           VALUES (%s, %s, %s, %s, CASE WHEN %s THEN NULL ELSE now() END, %s) RETURNING id""",
        (member_id, channel, address, enabled, enabled, disabled_reason)).fetchone()[0]


def add_notification(conn: psycopg.Connection, alert_id: int, member_id: int, channel_id: int | None,
                     status: str = "sent", **extra: Any) -> None:
    row = {"alert_id": alert_id, "family_member_id": member_id, "channel_id": channel_id, "language": "en",
           "status": status, **extra}
    if status == "sent":
        row.setdefault("sent_at", datetime.now(UTC))
    conn.execute(f"INSERT INTO family_notifications ({', '.join(row)}) VALUES ({', '.join(['%s'] * len(row))})",
                 list(row.values()))


def add_response(conn: psycopg.Connection, alert_id: int, member_id: int, answer: str, note: str = "") -> None:
    conn.execute("INSERT INTO family_responses (alert_id, family_member_id, answer, note) VALUES (%s, %s, %s, %s)",
                 (alert_id, member_id, answer, note))


def access_log(conn: psycopg.Connection, resident_id: str | None = None) -> list[tuple[Any, ...]]:
    """(actor, action, resident_id, alert_id, reason) rows, oldest first."""
    query = "SELECT actor, action, resident_id, alert_id, reason FROM resident_access_log"
    if resident_id is not None:
        return conn.execute(query + " WHERE resident_id = %s ORDER BY id", (resident_id,)).fetchall()
    return conn.execute(query + " ORDER BY id").fetchall()
