"""Every SQL statement of the care record, in one place: the upsert of one resident's whole record
(resident, home access, conditions, responders, relatives and their channels) in one transaction, the
access log, and the look-up the write-back needs.

Re-importing the same record changes nothing (each UPDATE is guarded by IS DISTINCT FROM, so even
`updated_at` stays put); a changed record is updated in place. Things the hub decided stay decided: a
channel the hub disabled (e.g. after a bounce) is never re-enabled by an import, and a relative's own
withdrawal of consent outlives the record until the record shows a newer consent.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import psycopg
from psycopg.types.json import Jsonb

from hub.care_record.model import RecordRefused, ResidentRecord, ResponderEntry, UnknownHome

# disabled_reason of an email/SMS channel the record no longer lists; only these come back on re-import.
OFF_RECORD = "no longer on the care record"
# consent_recorded_by prefixes of consent that came from an import: the record may also take it back.
RECORD_CONSENT_PREFIXES = ("fhir:", "csv:", "seed:")

Outcome = Literal["created", "updated", "unchanged"]

_RESIDENT_TYPES = {
    "home_id": "text", "name": "text", "preferred_name": "text", "date_of_birth": "date", "nhs_number": "text",
    "mosaic_id": "text", "fhir_patient_id": "text", "languages": "text[]", "preferred_language": "text",
    "interpreter_needed": "boolean", "communication_needs": "text", "care_plan_summary": "text",
    "gp_name": "text", "gp_practice": "text", "gp_phone": "text", "care_visits": "jsonb", "source": "text",
}
_RESPONDER_COLUMNS = ("resident_id", "position", "name", "relationship", "kind", "phone", "availability",
                      "holds_key")


@dataclass
class Saved:
    resident_id: str
    outcome: Outcome
    changes: Counter[str] = field(default_factory=Counter)


def _params(values: dict[str, Any]) -> dict[str, Any]:
    return {k: Jsonb(v) if k == "care_visits" else v for k, v in values.items()}


def _typed(names: Any, types: dict[str, str]) -> str:
    return ", ".join(f"%({n})s::{types[n]}" for n in names)


def _new_resident_id(record: ResidentRecord) -> str:
    key = record.fhir_patient_id or record.nhs_number or record.mosaic_id or f"{record.home_id}:{record.name}"
    return "res-" + hashlib.sha1(f"{record.source}:{key}".encode()).hexdigest()[:10]


def _match_resident(conn: psycopg.Connection, record: ResidentRecord) -> str | None:
    """The hub resident this record is about: by hub id, FHIR id, NHS number, Mosaic id, or else an
    unlinked resident of the same home with the same name (a home registered before its record came)."""
    lookups = [
        ("resident_id = %s", record.resident_id),
        ("fhir_patient_id = %s", record.fhir_patient_id),
        ("nhs_number = %s", record.nhs_number),
        ("mosaic_id = %s", record.mosaic_id),
    ]
    for condition, value in lookups:
        if value is None:
            continue
        row = conn.execute(f"SELECT resident_id, fhir_patient_id FROM residents WHERE {condition} "
                           "ORDER BY resident_id LIMIT 1", (value,)).fetchone()
        if row is None:
            continue
        if record.fhir_patient_id and row[1] and row[1] != record.fhir_patient_id:
            raise RecordRefused(f"{record.name} ({record.source_ref}): resident {row[0]} with the same "
                                f"{condition.split(' ')[0]} is already linked to Patient/{row[1]}")
        return row[0]
    if record.resident_id:
        return None  # the source names the hub id: a new resident with that id
    row = conn.execute(
        """SELECT resident_id FROM residents
           WHERE home_id = %s AND fhir_patient_id IS NULL AND nhs_number IS NULL
             AND lower(regexp_replace(name, '\\s+', ' ', 'g')) = lower(%s)
           ORDER BY resident_id LIMIT 1""", (record.home_id, record.name)).fetchone()
    return row[0] if row else None


def home_exists(conn: psycopg.Connection, home_id: str) -> bool:
    return conn.execute("SELECT 1 FROM homes WHERE home_id = %s", (home_id,)).fetchone() is not None


def save_record(conn: psycopg.Connection, record: ResidentRecord, actor: str) -> Saved:
    """Store one resident's whole record in one transaction. Raises RecordRefused (e.g. UnknownHome)."""
    record.validated()
    try:
        with conn.transaction():
            if not home_exists(conn, record.home_id):
                raise UnknownHome(f"{record.name} ({record.source_ref})", record.home_id)
            saved = _save(conn, record)
            if saved.outcome != "unchanged":
                log_access(conn, actor=actor, resident_id=saved.resident_id, action="import",
                           reason=f"{saved.outcome} from {record.source_ref}",
                           detail={"source": record.source, "ref": record.source_ref, "changes": saved.changes})
            return saved
    except psycopg.errors.UniqueViolation as exc:
        detail = exc.diag.message_detail or str(exc)
        raise RecordRefused(f"{record.name} ({record.source_ref}) clashes with another resident: {detail}") from exc


def _save(conn: psycopg.Connection, record: ResidentRecord) -> Saved:
    existing = _match_resident(conn, record)
    columns = record.resident_columns()
    changes: Counter[str] = Counter()
    if existing is None:
        resident_id = record.resident_id or _new_resident_id(record)
        names = ", ".join(columns)
        conn.execute(f"INSERT INTO residents (resident_id, {names}) VALUES (%(resident_id)s, "
                     f"{_typed(columns, _RESIDENT_TYPES)})", _params({"resident_id": resident_id, **columns}))
        outcome: Outcome = "created"
    else:
        resident_id = existing
        assignments = ", ".join(f"{n} = %({n})s::{_RESIDENT_TYPES[n]}" for n in columns)
        cur = conn.execute(
            f"""UPDATE residents SET {assignments}, updated_at = now()
                WHERE resident_id = %(resident_id)s
                  AND ({", ".join(columns)}) IS DISTINCT FROM ({_typed(columns, _RESIDENT_TYPES)})""",
            _params({"resident_id": resident_id, **columns}))
        if cur.rowcount:
            changes["resident updated"] += 1
        outcome = "unchanged"
    _save_home(conn, record, changes)
    _save_conditions(conn, resident_id, record, changes)
    _save_responders(conn, resident_id, record, changes)
    if outcome == "unchanged" and changes:
        outcome = "updated"
    return Saved(resident_id, outcome, changes)


def _save_home(conn: psycopg.Connection, record: ResidentRecord, changes: Counter[str]) -> None:
    home = record.home
    cur = conn.execute(
        """UPDATE homes SET address = COALESCE(%(address)s, address), postcode = COALESCE(%(postcode)s, postcode),
                            access_notes = COALESCE(%(notes)s, access_notes),
                            key_safe_code = COALESCE(%(key)s, key_safe_code)
           WHERE home_id = %(home_id)s
             AND (address, postcode, access_notes, key_safe_code) IS DISTINCT FROM
                 (COALESCE(%(address)s, address), COALESCE(%(postcode)s, postcode),
                  COALESCE(%(notes)s, access_notes), COALESCE(%(key)s, key_safe_code))""",
        {"address": home.address, "postcode": home.postcode, "notes": home.access_notes,
         "key": home.key_safe_code, "home_id": record.home_id})
    if cur.rowcount:
        changes["home updated"] += 1


def _save_conditions(conn: psycopg.Connection, resident_id: str, record: ResidentRecord,
                     changes: Counter[str]) -> None:
    for entry in record.conditions:
        row = conn.execute(
            """INSERT INTO resident_conditions (resident_id, category, code, display, active, source_id)
               VALUES (%s, %s, %s, %s, %s, %s)
               ON CONFLICT (resident_id, source_id) WHERE source_id IS NOT NULL DO UPDATE
               SET category = EXCLUDED.category, code = EXCLUDED.code, display = EXCLUDED.display,
                   active = EXCLUDED.active, updated_at = now()
               WHERE (resident_conditions.category, resident_conditions.code, resident_conditions.display,
                      resident_conditions.active)
                     IS DISTINCT FROM (EXCLUDED.category, EXCLUDED.code, EXCLUDED.display, EXCLUDED.active)
               RETURNING (xmax = 0)""",
            (resident_id, entry.category, entry.code, entry.display, entry.active, entry.source_id)).fetchone()
        if row is not None:
            changes["conditions created" if row[0] else "conditions updated"] += 1
    listed = [c.source_id for c in record.conditions if c.source_id]
    cur = conn.execute(
        """UPDATE resident_conditions SET active = false, updated_at = now()
           WHERE resident_id = %s AND active AND source_id IS NOT NULL AND NOT (source_id = ANY(%s))""",
        (resident_id, listed))
    if cur.rowcount:
        changes["conditions no longer on the record"] += cur.rowcount


def _upsert_responder(conn: psycopg.Connection, resident_id: str, responder: ResponderEntry,
                      changes: Counter[str]) -> int:
    values = {"resident_id": resident_id, "position": responder.position, "name": responder.name,
              "relationship": responder.relationship, "kind": responder.kind, "phone": responder.phone,
              "availability": responder.availability, "holds_key": responder.holds_key,
              "fhir": responder.fhir_related_person_id}
    names = ", ".join(_RESPONDER_COLUMNS)
    placeholders = ", ".join(f"%({n})s" for n in _RESPONDER_COLUMNS)
    if responder.fhir_related_person_id:
        existing = conn.execute("SELECT id FROM responders WHERE fhir_related_person_id = %s",
                                (responder.fhir_related_person_id,)).fetchone()
    else:  # CSV responders have no id of their own: their place in the call order is their key
        existing = conn.execute(
            "SELECT id FROM responders WHERE resident_id = %s AND position = %s AND fhir_related_person_id IS NULL"
            " ORDER BY id LIMIT 1", (resident_id, responder.position)).fetchone()
    if existing is None:
        row = conn.execute(f"INSERT INTO responders ({names}, fhir_related_person_id) VALUES ({placeholders}, "
                           "%(fhir)s) RETURNING id", values).fetchone()
        changes["responders created"] += 1
        return row[0]
    cur = conn.execute(
        f"""UPDATE responders SET ({names}) = ({placeholders}), updated_at = now()
            WHERE id = %(id)s AND ({names}) IS DISTINCT FROM ({placeholders})""",
        {**values, "id": existing[0]})
    if cur.rowcount:
        changes["responders updated"] += 1
    return existing[0]


def _save_responders(conn: psycopg.Connection, resident_id: str, record: ResidentRecord,
                     changes: Counter[str]) -> None:
    kept: list[int] = []
    for responder in record.responders:
        responder_id = _upsert_responder(conn, resident_id, responder, changes)
        kept.append(responder_id)
        _save_family(conn, resident_id, responder_id, responder, changes)
    gone = [row[0] for row in conn.execute(
        "SELECT id FROM responders WHERE resident_id = %s AND NOT (id = ANY(%s))", (resident_id, kept))]
    if gone:
        conn.execute(  # a removed responder's relative is no longer messaged at the record's addresses
            """UPDATE family_channels SET enabled = false, disabled_at = now(), disabled_reason = %s
               WHERE enabled AND channel IN ('email', 'sms')
                 AND family_member_id IN (SELECT id FROM family_members WHERE responder_id = ANY(%s))""",
            (OFF_RECORD, gone))
        conn.execute("DELETE FROM responders WHERE id = ANY(%s)", (gone,))
        changes["responders removed"] += len(gone)


def _consent_update(row: tuple | None, responder: ResponderEntry) -> tuple[datetime | None, str | None] | None:
    """New (consent_given_at, consent_recorded_by), or None to leave consent as it is."""
    contact = responder.family
    assert contact is not None
    given_at, recorded_by, withdrawn_at = (row[2], row[3], row[4]) if row else (None, None, None)
    from_record = recorded_by is None or recorded_by.startswith(RECORD_CONSENT_PREFIXES)
    if contact.consent_given_at is not None:
        if withdrawn_at is not None and contact.consent_given_at <= withdrawn_at:
            return None  # the relative withdrew after the record's consent: their withdrawal stands
        if given_at is not None and not from_record:
            return None  # consent the hub recorded itself stays as recorded
        return contact.consent_given_at, contact.consent_source
    if given_at is not None and from_record:
        return None, None  # the record no longer holds a consent: no consent, no message
    return None


def _save_family(conn: psycopg.Connection, resident_id: str, responder_id: int, responder: ResponderEntry,
                 changes: Counter[str]) -> None:
    row = conn.execute(
        """SELECT id, name, consent_given_at, consent_recorded_by, consent_withdrawn_at FROM family_members
           WHERE responder_id = %s ORDER BY id LIMIT 1""", (responder_id,)).fetchone()
    contact = responder.family
    if contact is None:
        if row is not None:
            _sync_channels(conn, row[0], [], changes)
        return
    consent = _consent_update(row, responder)
    if row is None:
        given_at, recorded_by = consent if consent else (None, None)
        member_id = conn.execute(
            """INSERT INTO family_members (resident_id, responder_id, name, language, consent_given_at,
                                           consent_recorded_by)
               VALUES (%s, %s, %s, %s, %s, %s) RETURNING id""",
            (resident_id, responder_id, responder.name, contact.language, given_at, recorded_by)).fetchone()[0]
        changes["family members created"] += 1
    else:
        member_id = row[0]
        sets = {"resident_id": resident_id, "name": responder.name, "language": contact.language}
        if consent is not None:
            sets.update(consent_given_at=consent[0], consent_recorded_by=consent[1])
            if consent[0] is not None:
                sets["consent_withdrawn_at"] = None
        names = ", ".join(sets)
        types = {"resident_id": "text", "name": "text", "language": "text", "consent_given_at": "timestamptz",
                 "consent_recorded_by": "text", "consent_withdrawn_at": "timestamptz"}
        cur = conn.execute(
            f"""UPDATE family_members SET ({names}) = ({_typed(sets, types)}), updated_at = now()
                WHERE id = %(member_id)s AND ({names}) IS DISTINCT FROM ({_typed(sets, types)})""",
            {**sets, "member_id": member_id})
        if cur.rowcount:
            changes["family members updated"] += 1
    wanted = [("email", contact.email), ("sms", contact.mobile)]
    _sync_channels(conn, member_id, [(c, a) for c, a in wanted if a], changes)


def _sync_channels(conn: psycopg.Connection, member_id: int, wanted: list[tuple[str, str]],
                   changes: Counter[str]) -> None:
    for position, (channel, address) in enumerate(wanted, start=1):
        created = conn.execute(
            """INSERT INTO family_channels (family_member_id, channel, address, position) VALUES (%s, %s, %s, %s)
               ON CONFLICT (family_member_id, channel, address) DO NOTHING RETURNING id""",
            (member_id, channel, address, position)).fetchone()
        if created:
            changes["channels created"] += 1
            continue
        cur = conn.execute(  # back on the record: undo only the import's own disabling
            """UPDATE family_channels SET enabled = true, disabled_at = NULL, disabled_reason = NULL
               WHERE family_member_id = %s AND channel = %s AND address = %s AND NOT enabled
                 AND disabled_reason = %s""", (member_id, channel, address, OFF_RECORD))
        if cur.rowcount:
            changes["channels re-enabled"] += 1
    listed = [f"{channel}:{address}" for channel, address in wanted]
    cur = conn.execute(
        """UPDATE family_channels SET enabled = false, disabled_at = now(), disabled_reason = %s
           WHERE family_member_id = %s AND enabled AND channel IN ('email', 'sms')
             AND NOT (channel || ':' || address = ANY(%s))""", (OFF_RECORD, member_id, listed))
    if cur.rowcount:
        changes["channels disabled (off the record)"] += cur.rowcount


def log_access(conn: psycopg.Connection, *, actor: str, resident_id: str | None, action: str,
               alert_id: int | None = None, reason: str = "", detail: dict[str, Any] | None = None) -> None:
    conn.execute(
        """INSERT INTO resident_access_log (actor, resident_id, action, alert_id, reason, detail)
           VALUES (%s, %s, %s, %s, %s, %s)""",
        (actor, resident_id, action, alert_id, reason, Jsonb(detail or {})))


@dataclass(frozen=True)
class WritebackTarget:
    alert_id: int
    kind: str
    handling: str
    outcome: str | None
    note: str | None
    resolved_at: datetime | None
    resident_id: str | None
    fhir_patient_id: str | None


def writeback_target(conn: psycopg.Connection, alert_id: int) -> WritebackTarget | None:
    """A resolved alert and its resident's FHIR Patient id, for writing the outcome to the care record."""
    row = conn.execute(
        """SELECT a.id, a.kind, a.handling, a.outcome, a.resolution_note, a.resolved_at, r.resident_id,
                  r.fhir_patient_id
           FROM alerts a LEFT JOIN residents r ON r.resident_id = a.resident_id WHERE a.id = %s""",
        (alert_id,)).fetchone()
    return WritebackTarget(*row) if row else None
