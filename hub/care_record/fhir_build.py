"""The hub's resident record → FHIR R4 (UK Core) resources: the inverse of fhir_map, so that
`map_patient(build(record))` gives the record back. The simulator uses it to write realistic care
records a council would hold; tests use it for round trips. Ids come from the record (Patient,
RelatedPerson, Condition/Flag source ids, Consent source); the CarePlan's id derives from the Patient's.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from hub.care_record import fhir_profile as fp
from hub.care_record.model import ResidentRecord, ResponderEntry

_DAY_CODES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_ROLE_CODES = {"daughter": "DAU", "son": "SON", "wife": "WIFE", "husband": "HUSB", "spouse": "SPS",
               "sister": "SIS", "brother": "BRO", "niece": "NIECE", "nephew": "NEPHEW", "granddaughter": "GRNDDAU",
               "grandson": "GRNDSON", "daughter-in-law": "DAUINLAW", "son-in-law": "SONINLAW"}
_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
_NAMESPACE = uuid.UUID("5b0d8f5e-6f3c-4b59-9a63-7f7b3c1d2e10")


def day_codes(days: str) -> list[str]:
    """"Daily", "Mon-Fri", "Sat-Sun", "Mon, Wed" → FHIR dayOfWeek codes (describe_days reversed)."""
    text = days.strip().lower()
    if not text or text == "daily":
        return list(_DAY_CODES)
    if "-" in text and "," not in text:
        first, last = (part.strip()[:3] for part in text.split("-", 1))
        return list(_DAY_CODES[_DAY_CODES.index(first):_DAY_CODES.index(last) + 1])
    return [part.strip()[:3] for part in text.split(",") if part.strip()[:3] in _DAY_CODES]


def _language(tag: str, display: str | None = None) -> dict[str, Any]:
    coding = {"system": fp.LANGUAGE_SYSTEM, "code": tag, **({"display": display} if display else {})}
    return {"coding": [coding]}


def _name(full: str, preferred: str | None = None) -> list[dict[str, Any]]:
    *given, family = full.split() or [""]
    names: list[dict[str, Any]] = [{"use": "official", "text": full, "family": family, "given": given or [family]}]
    if preferred:
        names.append({"use": "usual", "given": [preferred]})
    return names


def _ext(url: str, kind: str, value: Any) -> dict[str, Any]:
    return {"url": url, f"value{kind}": value}


def _patient(record: ResidentRecord, home_identifier_system: str) -> dict[str, Any]:
    identifiers = [{"system": home_identifier_system, "value": record.home_id}]
    if record.nhs_number:
        identifiers.insert(0, {"system": fp.NHS_NUMBER_SYSTEM, "value": record.nhs_number})
    if record.mosaic_id:
        identifiers.append({"system": fp.MOSAIC_ID_SYSTEM, "value": record.mosaic_id})
    languages = list(record.languages) or [record.preferred_language]
    if record.preferred_language not in languages:
        languages.insert(0, record.preferred_language)
    communication = []
    for tag in languages:
        entry: dict[str, Any] = {"language": _language(tag), "preferred": tag == record.preferred_language}
        if tag == record.preferred_language and record.interpreter_needed:
            entry["extension"] = [_ext(fp.INTERPRETER_REQUIRED_EXTENSION, "Boolean", True)]
        communication.append(entry)
    extensions = []
    if record.home.key_safe_code:
        extensions.append(_ext(fp.KEY_SAFE_CODE_EXTENSION, "String", record.home.key_safe_code))
    if record.home.access_notes:
        extensions.append(_ext(fp.ACCESS_NOTES_EXTENSION, "String", record.home.access_notes))
    if record.communication_needs:
        extensions.append(_ext(fp.COMMUNICATION_NEEDS_EXTENSION, "String", record.communication_needs))
    patient: dict[str, Any] = {
        "resourceType": "Patient", "id": record.fhir_patient_id,
        "meta": {"profile": ["https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient"]},
        "identifier": identifiers, "name": _name(record.name, record.preferred_name),
        "communication": communication,
    }
    if extensions:
        patient["extension"] = extensions
    if record.date_of_birth:
        patient["birthDate"] = record.date_of_birth.isoformat()
    if record.home.address:
        patient["address"] = [{"use": "home", "text": record.home.address,
                               **({"postalCode": record.home.postcode} if record.home.postcode else {})}]
    contained, practitioners = [], []
    if record.gp_name:
        contained.append({"resourceType": "Practitioner", "id": "gp", "name": [{"text": record.gp_name}]})
        practitioners.append({"reference": "#gp", "display": record.gp_name})
    if record.gp_practice or record.gp_phone:
        practice: dict[str, Any] = {"resourceType": "Organization", "id": "practice"}
        if record.gp_practice:
            practice["name"] = record.gp_practice
        if record.gp_phone:
            practice["telecom"] = [{"system": "phone", "value": record.gp_phone, "use": "work"}]
        contained.append(practice)
        practitioners.append({"reference": "#practice", **({"display": record.gp_practice}
                                                             if record.gp_practice else {})})
    if contained:
        patient["contained"] = contained
        patient["generalPractitioner"] = practitioners
    return patient


def _relationship(responder: ResponderEntry) -> dict[str, Any]:
    role = {"neighbour": "NBOR", "friend": "FRND"}.get(responder.kind)
    if responder.kind == "family":
        role = _ROLE_CODES.get(responder.relationship.lower(), "FAMMEMB")
    coding = ({"system": fp.ROLE_CODE_SYSTEM, "code": role} if role
              else {"system": fp.RESPONDER_KIND_SYSTEM, "code": responder.kind})
    return {"coding": [coding], "text": responder.relationship or responder.kind.replace("_", " ")}


def _related_person(record: ResidentRecord, responder: ResponderEntry) -> dict[str, Any]:
    family = responder.family
    telecom: list[dict[str, Any]] = []
    if responder.phone:
        use = "mobile" if family is not None and family.mobile else "home"
        telecom.append({"system": "phone", "value": responder.phone, "use": use, "rank": 1})
    if family is not None and family.email:
        telecom.append({"system": "email", "value": family.email, "use": "home", "rank": 2})
    person: dict[str, Any] = {
        "resourceType": "RelatedPerson", "id": responder.fhir_related_person_id, "active": True,
        "patient": {"reference": f"Patient/{record.fhir_patient_id}"},
        "relationship": [_relationship(responder)], "name": _name(responder.name), "telecom": telecom,
        "extension": [_ext(fp.CALL_ORDER_EXTENSION, "PositiveInt", responder.position),
                      _ext(fp.HOLDS_KEY_EXTENSION, "Boolean", responder.holds_key)],
    }
    if responder.availability:
        person["extension"].append(_ext(fp.AVAILABILITY_EXTENSION, "String", responder.availability))
    if family is not None:
        person["communication"] = [{"language": _language(family.language.replace("_", "-")), "preferred": True}]
    return person


def _consent(record: ResidentRecord, responder: ResponderEntry) -> dict[str, Any] | None:
    family = responder.family
    if family is None or family.consent_given_at is None or not family.consent_source.startswith("fhir:Consent/"):
        return None
    return {
        "resourceType": "Consent", "id": family.consent_source.removeprefix("fhir:Consent/"), "status": "active",
        "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope",
                              "code": "patient-privacy"}]},
        "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0", "display": "Patient Consent"}],
                      "text": "Telecare alerts shared with a relative"}],
        "patient": {"reference": f"Patient/{record.fhir_patient_id}"},
        "dateTime": _instant(family.consent_given_at),
        "policyRule": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "OPTIN"}]},
        "provision": {"type": "permit", "actor": [{
            "role": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                                 "code": "IRCP", "display": "information recipient"}]},
            "reference": {"reference": f"RelatedPerson/{responder.fhir_related_person_id}"}}]},
    }


def _instant(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _care_plan(record: ResidentRecord) -> dict[str, Any] | None:
    if not record.care_plan_summary and not record.care_visits:
        return None
    contained, activities = [], []
    for index, visit in enumerate(record.care_visits, start=1):
        provider: dict[str, Any] = {"resourceType": "Organization", "id": f"provider{index}", "name": visit.provider}
        if visit.phone:
            provider["telecom"] = [{"system": "phone", "value": visit.phone, "use": "work"}]
        contained.append(provider)
        repeat: dict[str, Any] = {"dayOfWeek": day_codes(visit.days)}
        times = [t.strip() for t in visit.times.split(",") if t.strip()]
        if times:
            repeat["timeOfDay"] = [f"{t}:00" if len(t) == 5 else t for t in times]
        activities.append({"detail": {
            "status": "scheduled", "description": f"Home care visit by {visit.provider}",
            "performer": [{"reference": f"#provider{index}", "display": visit.provider}],
            "scheduledTiming": {"repeat": repeat}}})
    plan: dict[str, Any] = {
        "resourceType": "CarePlan", "id": str(uuid.uuid5(_NAMESPACE, f"careplan:{record.fhir_patient_id}")),
        "status": "active", "intent": "plan", "title": "Telecare and home care plan",
        "subject": {"reference": f"Patient/{record.fhir_patient_id}"},
    }
    if record.care_plan_summary:
        plan["description"] = record.care_plan_summary
    if contained:
        plan["contained"], plan["activity"] = contained, activities
    return plan


def _condition_or_flag(record: ResidentRecord, entry: Any) -> dict[str, Any]:
    resource_id = (entry.source_id or "").partition("/")[2]
    code: dict[str, Any] = {"text": entry.display}
    if entry.code:
        code["coding"] = [{"system": fp.SNOMED_SYSTEM, "code": entry.code, "display": entry.display}]
    subject = {"reference": f"Patient/{record.fhir_patient_id}"}
    if entry.category == "risk":
        return {"resourceType": "Flag", "id": resource_id, "status": "active" if entry.active else "inactive",
                "code": code, "subject": subject}
    return {"resourceType": "Condition", "id": resource_id, "subject": subject, "code": code,
            "clinicalStatus": {"coding": [{"system": _CLINICAL, "code": "active" if entry.active else "resolved"}]}}


def resources_for(record: ResidentRecord, home_identifier_system: str) -> list[dict[str, Any]]:
    """The Patient and every resource about it, as FHIR R4 JSON."""
    resources = [_patient(record, home_identifier_system)]
    resources += [_related_person(record, r) for r in record.responders]
    resources += [c for r in record.responders if (c := _consent(record, r)) is not None]
    resources += [_condition_or_flag(record, c) for c in record.conditions if c.source_id]
    if (plan := _care_plan(record)) is not None:
        resources.append(plan)
    return resources


def transaction_bundle(records: list[ResidentRecord], home_identifier_system: str) -> dict[str, Any]:
    """A FHIR transaction Bundle that PUTs every resource at its id (so loading it twice is harmless)."""
    entries = [
        {"fullUrl": f"urn:uuid:{uuid.uuid5(_NAMESPACE, resource['resourceType'] + '/' + resource['id'])}",
         "resource": resource,
         "request": {"method": "PUT", "url": f"{resource['resourceType']}/{resource['id']}"}}
        for record in records for resource in resources_for(record, home_identifier_system)
    ]
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}
