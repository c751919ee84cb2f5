"""The resident's care record as the hub keeps it, whichever way it arrived (FHIR, CSV, the demo seed),
and the checks a record passes before it is stored.

An NHS number is ten digits whose last is a modulus-11 check digit over the first nine (weights 10..2);
a number whose check would be 10 is never issued. A wrong number on a resident's record could send an
ambulance crew's handover to someone else's GP record, so an invalid one refuses the whole record, with a
message naming the resident and the number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

NHS_WEIGHTS = (10, 9, 8, 7, 6, 5, 4, 3, 2)
RecordSource = Literal["fhir", "csv", "seed"]
ConditionCategory = Literal["condition", "risk"]
RESPONDER_KINDS = ("family", "neighbour", "friend", "mobile_responder", "warden", "carer", "other")


class RecordRefused(ValueError):
    """A record that cannot be stored as it stands; the message says which resident and why."""


class InvalidNhsNumber(RecordRefused):
    def __init__(self, resident_name: str, number: str, why: str) -> None:
        super().__init__(f"NHS number {number!r} of {resident_name} is not valid: {why}")
        self.resident_name = resident_name
        self.number = number


class UnknownHome(RecordRefused):
    def __init__(self, resident_name: str, home_id: str) -> None:
        super().__init__(f"{resident_name} names home {home_id!r}, which is not registered with the hub; "
                         "register the home (its unit) first, then import again")
        self.home_id = home_id


def nhs_check_digit(first_nine: str) -> int | None:
    """The check digit for nine leading digits, or None when no valid NHS number starts with them."""
    if len(first_nine) != 9 or not first_nine.isdigit():
        raise ValueError("an NHS number starts with nine digits")
    remainder = sum(int(digit) * weight for digit, weight in zip(first_nine, NHS_WEIGHTS, strict=True)) % 11
    check = 11 - remainder
    if check == 11:
        return 0
    return None if check == 10 else check


def normalise_nhs_number(raw: str) -> str:
    """Strips the spaces and hyphens people write NHS numbers with ("943 476 5919")."""
    return re.sub(r"[\s-]", "", raw)


def nhs_number_problem(raw: str) -> str | None:
    """Why `raw` is not a valid NHS number, or None when it is."""
    number = normalise_nhs_number(raw)
    if not re.fullmatch(r"[0-9]{10}", number):
        return "it must be 10 digits"
    expected = nhs_check_digit(number[:9])
    if expected is None:
        return "no NHS number starts with these nine digits (their modulus-11 check digit would be 10)"
    if expected != int(number[9]):
        return f"its check digit is {number[9]} but the modulus-11 check gives {expected}"
    return None


def is_valid_nhs_number(raw: str) -> bool:
    return nhs_number_problem(raw) is None


def validated_nhs_number(raw: str | None, resident_name: str) -> str | None:
    """The normalised number, None when there is none, or InvalidNhsNumber naming the resident."""
    if raw is None or not raw.strip():
        return None
    problem = nhs_number_problem(raw)
    if problem:
        raise InvalidNhsNumber(resident_name, raw, problem)
    return normalise_nhs_number(raw)


def language_tag(code: str) -> str:
    """A BCP 47 tag in its usual case: language lower, script title, region upper ("zh-hant" → "zh-Hant")."""
    parts = [p for p in re.split(r"[-_]", code.strip()) if p]
    if not parts:
        return ""
    out = [parts[0].lower()]
    for part in parts[1:]:
        out.append(part.title() if len(part) == 4 and part.isalpha() else
                   part.upper() if len(part) == 2 else part.lower())
    return "-".join(out)


# Spoken-only or regional languages a family reads messages in another script/language of.
_WRITTEN_FOR = {"syl": "bn", "yue": "zh-Hant", "cmn": "zh-Hans", "zh": "zh-Hans", "zh-CN": "zh-Hans",
                "zh-HK": "zh-Hant", "zh-TW": "zh-Hant"}


def message_language(tag: str) -> str:
    """The message-catalogue name a relative with this BCP 47 tag reads, e.g. "syl" → "bn",
    "zh-Hans" → "zh_Hans", "pl-PL" → "pl". Unknown tags keep their language subtag."""
    tag = language_tag(tag)
    if not tag:
        return "en"
    tag = _WRITTEN_FOR.get(tag, tag)
    language, *rest = tag.split("-")
    script = next((p for p in rest if len(p) == 4), None)
    return f"{language}_{script}" if script else language


_DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def describe_days(days: list[str]) -> str:
    """FHIR dayOfWeek codes as an operator reads them: "Daily", "Mon-Fri", "Sat-Sun" or "Mon, Wed"."""
    wanted = [d for d in _DAY_NAMES if d in {x.lower()[:3] for x in days}]
    if not wanted or len(wanted) == 7:
        return "Daily"
    indexes = [_DAY_NAMES.index(d) for d in wanted]
    if len(wanted) >= 3 and indexes == list(range(indexes[0], indexes[-1] + 1)):
        return f"{wanted[0].title()}-{wanted[-1].title()}"
    if wanted == ["sat", "sun"]:
        return "Sat-Sun"
    return ", ".join(d.title() for d in wanted)


def uk_e164(phone: str) -> str | None:
    """A UK or international phone number in E.164 ("07700 900123" → "+447700900123"), or None."""
    digits = re.sub(r"[^\d+]", "", phone)
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    elif digits.startswith("0") and len(digits) == 11:
        digits = "+44" + digits[1:]
    if digits.startswith("+44") and digits[3:4] == "0":
        digits = "+44" + digits[4:]  # "+44 (0)7700…"
    return digits if re.fullmatch(r"\+[1-9][0-9]{7,14}", digits) else None


@dataclass
class CareVisit:
    provider: str
    days: str = ""
    times: str = ""
    phone: str = ""

    def as_json(self) -> dict[str, str]:
        return {"provider": self.provider, "days": self.days, "times": self.times, "phone": self.phone}


@dataclass
class ConditionEntry:
    category: ConditionCategory
    display: str
    code: str = ""
    active: bool = True
    source_id: str | None = None  # "Condition/abc", "Flag/xyz", "csv:risk:falls risk": re-import updates in place


@dataclass
class FamilyContact:
    """A relative who can be messaged (has an email or a mobile). Consent comes from the record only."""

    email: str | None
    mobile: str | None  # E.164
    language: str  # message catalogue name, e.g. "bn", "zh_Hans"
    consent_given_at: datetime | None  # None: the record holds no consent for this person
    consent_source: str  # e.g. "fhir:Consent/c1", "csv:row 4"; stored as consent_recorded_by


@dataclass
class ResponderEntry:
    name: str
    position: int
    relationship: str = ""
    kind: str = "family"
    phone: str = ""
    availability: str = ""
    holds_key: bool = False
    fhir_related_person_id: str | None = None
    family: FamilyContact | None = None


@dataclass
class HomeAccess:
    """What the record says about the home; None leaves the hub's value as it is."""

    address: str | None = None
    postcode: str | None = None
    access_notes: str | None = None
    key_safe_code: str | None = None


@dataclass
class ResidentRecord:
    """One resident's whole record. Conditions and responders are the complete lists: ones the hub got
    from an earlier import and that are no longer listed are made inactive (conditions) or removed."""

    source: RecordSource
    source_ref: str  # named in reports: "Patient/abc", "row 4"
    home_id: str
    name: str
    preferred_name: str | None = None
    resident_id: str | None = None  # the hub's own id, when the source names it (CSV)
    date_of_birth: date | None = None
    nhs_number: str | None = None
    mosaic_id: str | None = None
    fhir_patient_id: str | None = None
    languages: list[str] = field(default_factory=list)
    preferred_language: str = "en"
    interpreter_needed: bool = False
    communication_needs: str = ""
    care_plan_summary: str = ""
    gp_name: str = ""
    gp_practice: str = ""
    gp_phone: str = ""
    care_visits: list[CareVisit] = field(default_factory=list)
    home: HomeAccess = field(default_factory=HomeAccess)
    conditions: list[ConditionEntry] = field(default_factory=list)
    responders: list[ResponderEntry] = field(default_factory=list)

    def validated(self) -> ResidentRecord:
        """Checks what can be checked without the database; raises RecordRefused."""
        if not self.name.strip():
            raise RecordRefused(f"{self.source_ref} has no name")
        if not self.home_id:
            raise RecordRefused(f"{self.name} ({self.source_ref}) names no home")
        self.nhs_number = validated_nhs_number(self.nhs_number, self.name)
        for responder in self.responders:
            if responder.kind not in RESPONDER_KINDS:
                responder.kind = "other"
        return self

    def resident_columns(self) -> dict[str, Any]:
        return {
            "home_id": self.home_id, "name": self.name, "preferred_name": self.preferred_name,
            "date_of_birth": self.date_of_birth, "nhs_number": self.nhs_number, "mosaic_id": self.mosaic_id,
            "fhir_patient_id": self.fhir_patient_id, "languages": self.languages,
            "preferred_language": self.preferred_language, "interpreter_needed": self.interpreter_needed,
            "communication_needs": self.communication_needs, "care_plan_summary": self.care_plan_summary,
            "gp_name": self.gp_name, "gp_practice": self.gp_practice, "gp_phone": self.gp_phone,
            "care_visits": [v.as_json() for v in self.care_visits], "source": self.source,
        }
