"""FHIR R4 (UK Core) resources → the hub's resident record. Pure: no database, no network.

One Patient with the resources that point at it (RelatedPerson, Condition, Flag, CarePlan, Consent)
becomes one ResidentRecord. What goes where:

- Patient.identifier: the home (system = FHIR_HOME_IDENTIFIER_SYSTEM, value = home_id), the NHS number,
  the Mosaic person id; Patient.name (official, and usual for the preferred name); birthDate;
  communication → languages, preferred language, interpreter needed; address → the home's address and
  postcode; the hub's extensions → key safe code, access notes, communication needs; generalPractitioner
  (contained Practitioner/Organization, or a display) → GP name, practice, phone.
- CarePlan (active): description → care plan summary; activity.detail → care visits.
- Condition → a condition; Flag → a risk. RelatedPerson → a responder (and a relative who can be
  messaged when they have an email or a mobile); Consent (active, permit) naming a RelatedPerson as
  actor → that relative's consent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from hub.care_record import fhir_profile as fp
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
    describe_days,
    language_tag,
    message_language,
    uk_e164,
)

_ROLE_WORDS = {
    "DAU": "daughter", "SON": "son", "WIFE": "wife", "HUSB": "husband", "SPS": "spouse", "SIS": "sister",
    "BRO": "brother", "NIECE": "niece", "NEPHEW": "nephew", "GRNDDAU": "granddaughter", "GRNDSON": "grandson",
    "DAUINLAW": "daughter-in-law", "SONINLAW": "son-in-law", "NBOR": "neighbour", "FRND": "friend",
    "CHILD": "child", "FAMMEMB": "family member",
}
_ACTIVE_CLINICAL = {None, "active", "recurrence", "relapse"}
_NOT_TRUE = {"refuted", "entered-in-error"}
_FINISHED_ACTIVITY = {"cancelled", "stopped", "completed", "entered-in-error"}


@dataclass
class PatientResources:
    """A Patient and everything in the import that points at it, in the order they came."""

    patient: Any
    related_persons: list[Any] = field(default_factory=list)
    conditions: list[Any] = field(default_factory=list)
    flags: list[Any] = field(default_factory=list)
    care_plans: list[Any] = field(default_factory=list)
    consents: list[Any] = field(default_factory=list)


def reference_key(reference: str | None, full_urls: dict[str, str] | None = None) -> str | None:
    """"Type/id" for a literal reference: relative, absolute, or a bundle fullUrl (urn:uuid:…)."""
    if not reference:
        return None
    if full_urls and reference in full_urls:
        return full_urls[reference]
    parts = reference.split("/_history/")[0].rstrip("/").split("/")
    return f"{parts[-2]}/{parts[-1]}" if len(parts) >= 2 else None


def _ref(value: Any) -> str | None:
    return getattr(value, "reference", None) if value is not None else None


def extension(element: Any, url: str) -> Any | None:
    return next((e for e in getattr(element, "extension", None) or [] if e.url == url), None)


def _string_ext(element: Any, url: str) -> str | None:
    found = extension(element, url)
    return found.valueString if found is not None else None


def _bool_ext(element: Any, url: str) -> bool | None:
    found = extension(element, url)
    return found.valueBoolean if found is not None else None


def _human_name(names: list[Any] | None) -> tuple[str, str | None]:
    """(full name, preferred name) from the official name and the usual/nickname one."""
    if not names:
        return "", None
    official = (next((n for n in names if n.use == "official"), None)
                or next((n for n in names if n.use not in ("usual", "nickname", "old", "maiden")), None)
                or names[0])
    full = official.text or " ".join([*(official.given or []), official.family or ""]).strip()
    usual = next((n for n in names if n.use in ("usual", "nickname")), None)
    preferred = None
    if usual is not None:
        preferred = (usual.given or [None])[0] or usual.text
    return " ".join(full.split()), preferred


def _coding_code(concept: Any, system: str | None = None) -> str | None:
    for coding in getattr(concept, "coding", None) or []:
        if system is None or coding.system == system:
            return coding.code
    return None


def _concept_text(concept: Any) -> str:
    if concept is None:
        return ""
    if concept.text:
        return concept.text
    return next((c.display for c in concept.coding or [] if c.display), "") or (_coding_code(concept) or "")


def _language(concept: Any) -> str:
    return language_tag(_coding_code(concept, fp.LANGUAGE_SYSTEM) or _coding_code(concept) or "")


def _telecom(points: list[Any] | None, system: str) -> list[Any]:
    chosen = [p for p in points or [] if p.system == system and p.value]
    return sorted(chosen, key=lambda p: p.rank or 1_000)


def _as_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime.combine(value, time(), tzinfo=UTC)
    return None


def _contained(resource: Any) -> dict[str, Any]:
    return {f"#{c.id}": c for c in getattr(resource, "contained", None) or [] if c.id}


def _identifiers(patient: Any) -> dict[str, str]:
    return {i.system: i.value for i in patient.identifier or [] if i.system and i.value}


def _languages(patient: Any) -> tuple[list[str], str | None, bool]:
    languages: list[str] = []
    preferred: str | None = None
    interpreter = bool(_bool_ext(patient, fp.INTERPRETER_REQUIRED_EXTENSION))
    spoken: list[tuple[str, bool]] = []
    for comm in patient.communication or []:
        spoken.append((_language(comm.language), bool(comm.preferred)))
        interpreter |= bool(_bool_ext(comm, fp.INTERPRETER_REQUIRED_EXTENSION))
    for nhs in (e for e in patient.extension or [] if e.url == fp.UKCORE_NHS_COMMUNICATION_EXTENSION):
        parts = {e.url: e for e in nhs.extension or []}
        if "language" in parts:
            spoken.append((_language(parts["language"].valueCodeableConcept),
                           bool(parts.get("preferred") and parts["preferred"].valueBoolean)))
        interpreter |= bool(parts.get("interpreterRequired") and parts["interpreterRequired"].valueBoolean)
    for tag, is_preferred in spoken:
        if tag and tag not in languages:
            languages.append(tag)
        if tag and is_preferred and preferred is None:
            preferred = tag
    return languages, preferred, interpreter


def _home_access(patient: Any) -> HomeAccess:
    addresses = patient.address or []
    address = next((a for a in addresses if a.use == "home"), None) or (addresses[0] if addresses else None)
    text = postcode = None
    if address is not None:
        postcode = address.postalCode or ""
        text = address.text or ", ".join(
            [*(address.line or []), *([address.district] if address.district else []),
             " ".join(p for p in (address.city, address.postalCode) if p)])
    return HomeAccess(address=text, postcode=postcode,
                      access_notes=_string_ext(patient, fp.ACCESS_NOTES_EXTENSION) or "",
                      key_safe_code=_string_ext(patient, fp.KEY_SAFE_CODE_EXTENSION))


def _gp(patient: Any) -> tuple[str, str, str]:
    """(GP name, practice, phone): the practice's phone first, it is the one operators ring."""
    contained = _contained(patient)
    name = practice = person_phone = practice_phone = ""
    for ref in patient.generalPractitioner or []:
        target = contained.get(ref.reference or "")
        kind = (target.get_resource_type() if target is not None
                else ref.type or (ref.reference or "").split("/")[0])
        if kind == "Practitioner":
            name = name or (_human_name(target.name)[0] if target is not None else "") or ref.display or ""
            if target is not None and (phones := _telecom(target.telecom, "phone")):
                person_phone = person_phone or phones[0].value
        elif kind == "Organization":
            practice = practice or (target.name if target is not None else "") or ref.display or ""
            if target is not None and (phones := _telecom(target.telecom, "phone")):
                practice_phone = practice_phone or phones[0].value
        elif ref.display and not name:
            name = ref.display
    return name, practice, practice_phone or person_phone


def _visit(activity_detail: Any, contained: dict[str, Any]) -> CareVisit:
    provider, phone = "", ""
    for performer in activity_detail.performer or []:
        target = contained.get(performer.reference or "")
        if target is not None:
            provider = getattr(target, "name", None) or ""
            if isinstance(provider, list):  # a Practitioner's HumanName list
                provider = _human_name(provider)[0]
            phones = _telecom(getattr(target, "telecom", None), "phone")
            phone = phones[0].value if phones else ""
        provider = provider or performer.display or ""
        if provider:
            break
    days = times = ""
    timing = activity_detail.scheduledTiming
    if timing is not None and timing.repeat is not None:
        days = describe_days(list(timing.repeat.dayOfWeek or []))
        times = ", ".join(t.strftime("%H:%M") if isinstance(t, time) else str(t)[:5]
                          for t in timing.repeat.timeOfDay or [])
    return CareVisit(provider=provider or activity_detail.description or "care visit", days=days, times=times,
                     phone=phone)


def _care_plans(plans: list[Any]) -> tuple[str, list[CareVisit]]:
    summaries: list[str] = []
    visits: list[CareVisit] = []
    for plan in plans:
        if plan.status != "active":
            continue
        if plan.description:
            summaries.append(plan.description.strip())
        contained = _contained(plan)
        for activity in plan.activity or []:
            detail = activity.detail
            if detail is not None and detail.status not in _FINISHED_ACTIVITY:
                visits.append(_visit(detail, contained))
    return "\n\n".join(summaries), visits


def _condition(resource: Any) -> ConditionEntry:
    clinical = _coding_code(resource.clinicalStatus) if resource.clinicalStatus else None
    verification = _coding_code(resource.verificationStatus) if resource.verificationStatus else None
    return ConditionEntry(
        category="condition", display=_concept_text(resource.code) or "condition",
        code=_coding_code(resource.code, fp.SNOMED_SYSTEM) or _coding_code(resource.code) or "",
        active=clinical in _ACTIVE_CLINICAL and verification not in _NOT_TRUE,
        source_id=f"Condition/{resource.id}",
    )


def _flag(resource: Any) -> ConditionEntry:
    return ConditionEntry(
        category="risk", display=_concept_text(resource.code) or "risk",
        code=_coding_code(resource.code, fp.SNOMED_SYSTEM) or _coding_code(resource.code) or "",
        active=resource.status == "active", source_id=f"Flag/{resource.id}",
    )


def _relationship(person: Any) -> tuple[str, str]:
    """(relationship as an operator reads it, responder kind)."""
    concepts = person.relationship or []
    words, kind = "", None
    for concept in concepts:
        words = words or _concept_text(concept)
        hub_kind = _coding_code(concept, fp.RESPONDER_KIND_SYSTEM)
        role = _coding_code(concept, fp.ROLE_CODE_SYSTEM)
        if hub_kind in RESPONDER_KINDS:
            kind = kind or hub_kind
        elif role in fp.ROLE_CODE_KINDS:
            kind = kind or fp.ROLE_CODE_KINDS[role]
        elif role in fp.FAMILY_ROLE_CODES:
            kind = kind or "family"
        if role and words == role:
            words = _ROLE_WORDS.get(role, role.lower())
    lowered = words.lower()
    if kind is None:
        kind = next((k for word, k in (("warden", "warden"), ("responder", "mobile_responder"),
                                      ("neighbour", "neighbour"), ("friend", "friend"), ("carer", "carer"))
                     if word in lowered), "other")
    return words, kind


def _consents(consents: list[Any], full_urls: dict[str, str]) -> dict[str, tuple[datetime | None, str]]:
    """RelatedPerson key → (when consent was given, which Consent), from active permitting Consents."""
    given: dict[str, tuple[datetime | None, str]] = {}
    for consent in consents:
        provision = consent.provision
        if consent.status != "active" or provision is None or provision.type == "deny":
            continue
        at = _as_datetime(consent.dateTime) or _as_datetime(provision.period.start if provision.period else None)
        for actor in provision.actor or []:
            key = reference_key(_ref(actor.reference), full_urls)
            if not key or not key.startswith("RelatedPerson/"):
                continue
            earlier = given.get(key)
            if earlier is None or (at is not None and (earlier[0] is None or at > earlier[0])):
                given[key] = (at, f"fhir:Consent/{consent.id}")  # the latest consent stands
    return given


def _responders(resources: PatientResources, full_urls: dict[str, str],
                warnings: list[str]) -> list[ResponderEntry]:
    consent = _consents(resources.consents, full_urls)
    ranked: list[tuple[int, int, ResponderEntry]] = []
    for index, person in enumerate(resources.related_persons):
        if person.active is False:
            continue  # no longer someone to call; an earlier import's row is removed
        name = _human_name(person.name)[0] or "(no name)"
        relationship, kind = _relationship(person)
        phones = _telecom(person.telecom, "phone")
        mobiles = [p for p in phones if p.use == "mobile"] + _telecom(person.telecom, "sms")
        emails = _telecom(person.telecom, "email")
        mobile = uk_e164(mobiles[0].value) if mobiles else None
        if mobiles and mobile is None:
            warnings.append(f"RelatedPerson/{person.id}: mobile {mobiles[0].value!r} is not a phone number; "
                            "no text messages to it")
        family = None
        if emails or mobile:
            speaks = person.communication or []
            chosen = next((c for c in speaks if c.preferred), speaks[0] if speaks else None)
            given_at, source = consent.get(f"RelatedPerson/{person.id}", (None, ""))
            if source and given_at is None:
                given_at = datetime.now(UTC)  # an active Consent without a date: consent stands from now
            family = FamilyContact(
                email=emails[0].value if emails else None, mobile=mobile,
                language=message_language(_language(chosen.language)) if chosen else "en",
                consent_given_at=given_at, consent_source=source or f"fhir:RelatedPerson/{person.id}",
            )
        order = extension(person, fp.CALL_ORDER_EXTENSION)
        explicit = (order.valuePositiveInt or order.valueInteger) if order is not None else None
        ranked.append((explicit if explicit is not None else 1_000_000, index, ResponderEntry(
            name=name, position=0, relationship=relationship, kind=kind,
            phone=phones[0].value if phones else (mobiles[0].value if mobiles else ""),
            availability=_string_ext(person, fp.AVAILABILITY_EXTENSION) or "",
            holds_key=bool(_bool_ext(person, fp.HOLDS_KEY_EXTENSION)),
            fhir_related_person_id=person.id, family=family,
        )))
    ranked.sort(key=lambda item: (item[0], item[1]))
    for position, (_, _, responder) in enumerate(ranked, start=1):
        responder.position = position  # 1, 2, 3… in call order, whatever numbers the record used
    return [responder for _, _, responder in ranked]


def map_patient(resources: PatientResources, home_identifier_system: str, full_urls: dict[str, str],
                source: RecordSource = "fhir") -> tuple[ResidentRecord, list[str]]:
    """The resident record for one Patient, plus warnings. Raises RecordRefused (e.g. no home identifier)."""
    patient = resources.patient
    ref = f"Patient/{patient.id}"
    name, preferred = _human_name(patient.name)
    identifiers = _identifiers(patient)
    home_id = identifiers.get(home_identifier_system)
    if not home_id:
        raise RecordRefused(f"{name or ref} ({ref}) has no identifier with system {home_identifier_system}, "
                            "so the hub cannot tell which home they live in")
    languages, preferred_language, interpreter = _languages(patient)
    gp_name, gp_practice, gp_phone = _gp(patient)
    summary, visits = _care_plans(resources.care_plans)
    warnings: list[str] = []
    record = ResidentRecord(
        source=source, source_ref=ref, home_id=home_id, name=name, preferred_name=preferred,
        date_of_birth=patient.birthDate if isinstance(patient.birthDate, date) else None,
        nhs_number=identifiers.get(fp.NHS_NUMBER_SYSTEM), mosaic_id=identifiers.get(fp.MOSAIC_ID_SYSTEM),
        fhir_patient_id=patient.id, languages=languages,
        preferred_language=preferred_language or (languages[0] if languages else "en"),
        interpreter_needed=interpreter,
        communication_needs=_string_ext(patient, fp.COMMUNICATION_NEEDS_EXTENSION) or "",
        care_plan_summary=summary, gp_name=gp_name, gp_practice=gp_practice, gp_phone=gp_phone,
        care_visits=visits, home=_home_access(patient),
        conditions=[_condition(c) for c in resources.conditions] + [_flag(f) for f in resources.flags],
        responders=_responders(resources, full_urls, warnings),
    )
    return record, warnings
