"""Care records from a CSV file, for councils without a FHIR server: one row per resident, with the
responders as numbered column groups (responder1_…, responder2_…, in call order). UTF-8, header row.

Resident columns (only `home_id` and `name` are required; an empty cell stores an empty value):
  home_id, resident_id (the hub's id, to update a known resident), name, preferred_name,
  date_of_birth (YYYY-MM-DD or DD/MM/YYYY), nhs_number (checked), mosaic_id,
  languages (BCP 47 tags separated by ";", e.g. "syl;bn;en"), preferred_language, interpreter_needed (yes/no),
  communication_needs, address, postcode, access_notes, key_safe_code (empty: leave the hub's as it is),
  gp_name, gp_practice, gp_phone, care_plan_summary,
  care_visits ("provider|days|times|phone" items separated by ";", e.g. "Eastside Homecare|Daily|08:00|020 …"),
  conditions and risks ("code|display" or "display" items separated by ";", codes SNOMED CT).
Responder columns, N = 1, 2, 3…: responderN_name, _relationship, _kind (family, neighbour, friend,
  mobile_responder, warden, carer, other), _phone, _availability, _holds_key (yes/no), _email, _mobile,
  _language (BCP 47, the language messages to them are written in), _consent_at (when they agreed to be
  told about alerts, ISO date or date-time; empty: no consent, no message).
Values cannot contain ";" or "|" inside a list column. Re-importing a file updates residents in place.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import psycopg

from hub.care_record import store
from hub.care_record.model import (
    RESPONDER_KINDS,
    CareVisit,
    ConditionEntry,
    FamilyContact,
    HomeAccess,
    RecordRefused,
    RecordSource,
    ResidentRecord,
    ResponderEntry,
    language_tag,
    message_language,
    uk_e164,
)
from hub.care_record.report import ImportReport

RESIDENT_COLUMNS = (
    "home_id", "resident_id", "name", "preferred_name", "date_of_birth", "nhs_number", "mosaic_id", "languages",
    "preferred_language", "interpreter_needed", "communication_needs", "address", "postcode", "access_notes",
    "key_safe_code", "gp_name", "gp_practice", "gp_phone", "care_plan_summary", "care_visits", "conditions", "risks",
)
RESPONDER_FIELDS = ("name", "relationship", "kind", "phone", "availability", "holds_key", "email", "mobile",
                    "language", "consent_at")
REQUIRED = ("home_id", "name")
LONDON = ZoneInfo("Europe/London")
_RESPONDER_COLUMN = re.compile(r"^responder(\d+)_(\w+)$")
_YES = {"yes", "y", "true", "1"}
_NO = {"no", "n", "false", "0", ""}


class CsvError(ValueError):
    """The file as a whole cannot be read (e.g. a required column is missing)."""


def _flag(value: str, column: str) -> bool:
    lowered = value.strip().lower()
    if lowered in _YES:
        return True
    if lowered in _NO:
        return False
    raise RecordRefused(f"{column} is {value!r}; write yes or no")


def _date(value: str, column: str) -> date | None:
    value = value.strip()
    if not value:
        return None
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    raise RecordRefused(f"{column} is {value!r}; write a date as YYYY-MM-DD or DD/MM/YYYY")


def _moment(value: str, column: str) -> datetime | None:
    value = value.strip()
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        day = _date(value, column)  # DD/MM/YYYY, or a refusal naming the formats it accepts
        moment = datetime.combine(day or date.min, time())
    return moment.replace(tzinfo=LONDON).astimezone(UTC) if moment.tzinfo is None else moment


def _items(value: str) -> list[list[str]]:
    return [[part.strip() for part in item.split("|")] for item in value.split(";") if item.strip()]


def _conditions(row: dict[str, str], column: str) -> list[ConditionEntry]:
    category = "risk" if column == "risks" else "condition"
    entries = []
    for parts in _items(row.get(column, "")):
        code, display = (parts[0], "|".join(parts[1:])) if len(parts) > 1 else ("", parts[0])
        entries.append(ConditionEntry(category=category, display=display, code=code,
                                      source_id=f"csv:{category}:{(code or display).lower()}"))
    return entries


def _visits(value: str) -> list[CareVisit]:
    visits = []
    for parts in _items(value):
        provider, days, times, phone = [*parts, "", "", "", ""][:4]
        visits.append(CareVisit(provider=provider, days=days, times=times, phone=phone))
    return visits


def _responder(row: dict[str, str], number: int, row_ref: str, warnings: list[str]) -> ResponderEntry | None:
    def cell(name: str) -> str:
        return (row.get(f"responder{number}_{name}") or "").strip()

    if not cell("name"):
        return None
    kind = cell("kind") or "family"
    if kind not in RESPONDER_KINDS:
        raise RecordRefused(f"responder{number}_kind is {kind!r}; use one of {', '.join(RESPONDER_KINDS)}")
    mobile = uk_e164(cell("mobile")) if cell("mobile") else None
    if cell("mobile") and mobile is None:
        warnings.append(f"{row_ref}: responder{number}_mobile {cell('mobile')!r} is not a phone number; "
                        "no text messages to it")
    family = None
    if cell("email") or mobile:
        family = FamilyContact(
            email=cell("email") or None, mobile=mobile,
            language=message_language(cell("language") or "en"),
            consent_given_at=_moment(cell("consent_at"), f"responder{number}_consent_at"),
            consent_source=f"csv:{row_ref}",
        )
    return ResponderEntry(
        name=cell("name"), position=number, relationship=cell("relationship"), kind=kind,
        phone=cell("phone") or cell("mobile"), availability=cell("availability"),
        holds_key=_flag(cell("holds_key"), f"responder{number}_holds_key"), family=family,
    )


def row_to_record(row: dict[str, str], row_ref: str, warnings: list[str],
                  source: RecordSource = "csv") -> ResidentRecord:
    """One CSV row → a resident record. Raises RecordRefused with the column at fault."""
    row = {k: (v or "") for k, v in row.items() if k}
    name = row.get("name", "").strip()
    languages = [language_tag(t) for t in re.split(r"[;,]", row.get("languages", "")) if t.strip()]
    numbers = sorted({int(m[1]) for c in row if (m := _RESPONDER_COLUMN.match(c))})
    responders = [r for n in numbers if (r := _responder(row, n, row_ref, warnings)) is not None]
    for position, responder in enumerate(responders, start=1):
        responder.position = position
    return ResidentRecord(
        source=source, source_ref=f"{row_ref} ({name or 'no name'})", home_id=row.get("home_id", "").strip(),
        name=name, preferred_name=row.get("preferred_name", "").strip() or None,
        resident_id=row.get("resident_id", "").strip() or None,
        date_of_birth=_date(row.get("date_of_birth", ""), "date_of_birth"),
        nhs_number=row.get("nhs_number", "").strip() or None, mosaic_id=row.get("mosaic_id", "").strip() or None,
        languages=languages,
        preferred_language=language_tag(row.get("preferred_language", "")) or (languages[0] if languages else "en"),
        interpreter_needed=_flag(row.get("interpreter_needed", ""), "interpreter_needed"),
        communication_needs=row.get("communication_needs", "").strip(),
        care_plan_summary=row.get("care_plan_summary", "").strip(),
        gp_name=row.get("gp_name", "").strip(), gp_practice=row.get("gp_practice", "").strip(),
        gp_phone=row.get("gp_phone", "").strip(), care_visits=_visits(row.get("care_visits", "")),
        home=HomeAccess(address=row.get("address", "").strip() or None,
                        postcode=row.get("postcode", "").strip() or None,
                        access_notes=row.get("access_notes", "").strip(),
                        key_safe_code=row.get("key_safe_code", "").strip() or None),
        conditions=_conditions(row, "conditions") + _conditions(row, "risks"),
        responders=responders,
    )


def import_csv(conn: psycopg.Connection, text: str, *, actor: str = "system:csv-import") -> ImportReport:
    """Import every row; a refused row is reported with its number and leaves the others untouched."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        raise CsvError(f"the file has no {', '.join(missing)} column; the header row must name at least "
                       f"{', '.join(REQUIRED)}")
    unknown = [c for c in reader.fieldnames or [] if c not in RESIDENT_COLUMNS and not _RESPONDER_COLUMN.match(c)]
    report = ImportReport()
    if unknown:
        report.warnings.append(f"columns not read: {', '.join(unknown)}")
    for line, row in enumerate(reader, start=2):
        row_ref = f"row {line}"
        try:
            record = row_to_record(row, row_ref, report.warnings)
            saved = store.save_record(conn, record, actor)
        except RecordRefused as exc:
            report.refused.append((row_ref, str(exc)))
            continue
        getattr(report, saved.outcome).append(f"{row_ref} → {saved.resident_id}")
        report.changes.update(saved.changes)
    return report


def _join(items: Iterable[str]) -> str:
    return ";".join(items)


def record_to_row(record: ResidentRecord) -> dict[str, str]:
    """The inverse of row_to_record (the simulator writes its CSV with it)."""
    def yes(flag: bool) -> str:
        return "yes" if flag else "no"

    row: dict[str, Any] = {
        "home_id": record.home_id, "resident_id": record.resident_id or "", "name": record.name,
        "preferred_name": record.preferred_name or "",
        "date_of_birth": record.date_of_birth.isoformat() if record.date_of_birth else "",
        "nhs_number": record.nhs_number or "", "mosaic_id": record.mosaic_id or "",
        "languages": _join(record.languages), "preferred_language": record.preferred_language,
        "interpreter_needed": yes(record.interpreter_needed), "communication_needs": record.communication_needs,
        "address": record.home.address or "", "postcode": record.home.postcode or "",
        "access_notes": record.home.access_notes or "", "key_safe_code": record.home.key_safe_code or "",
        "gp_name": record.gp_name, "gp_practice": record.gp_practice, "gp_phone": record.gp_phone,
        "care_plan_summary": record.care_plan_summary,
        "care_visits": _join(f"{v.provider}|{v.days}|{v.times}|{v.phone}" for v in record.care_visits),
        "conditions": _join(f"{c.code}|{c.display}" if c.code else c.display
                            for c in record.conditions if c.category == "condition" and c.active),
        "risks": _join(f"{c.code}|{c.display}" if c.code else c.display
                       for c in record.conditions if c.category == "risk" and c.active),
    }
    for number, responder in enumerate(record.responders, start=1):
        family = responder.family
        values = {
            "name": responder.name, "relationship": responder.relationship, "kind": responder.kind,
            "phone": responder.phone, "availability": responder.availability, "holds_key": yes(responder.holds_key),
            "email": (family.email or "") if family else "", "mobile": (family.mobile or "") if family else "",
            "language": family.language.replace("_", "-") if family else "",
            "consent_at": family.consent_given_at.isoformat() if family and family.consent_given_at else "",
        }
        row.update({f"responder{number}_{k}": v for k, v in values.items()})
    return row


def write_csv(records: list[ResidentRecord], out: io.TextIOBase, responders: int = 3) -> None:
    """Write records as the CSV import reads them, with at least `responders` column groups."""
    groups = max([responders, *(len(r.responders) for r in records)])
    header = [*RESIDENT_COLUMNS, *(f"responder{n}_{f}" for n in range(1, groups + 1) for f in RESPONDER_FIELDS)]
    writer = csv.DictWriter(out, fieldnames=header)
    writer.writeheader()
    for record in records:
        writer.writerow(record_to_row(record))
