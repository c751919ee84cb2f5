"""FHIR R4 (UK Core) → the hub's resident record, without a database: what each element becomes, and
the hub's generated records survive the round trip record → FHIR → record."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from hub.care_record import fhir_profile as fp
from hub.care_record.fhir_build import resources_for
from hub.care_record.fhir_import import parse
from hub.care_record.fhir_map import map_patient
from hub.care_record.model import RecordRefused, ResidentRecord
from simulators.care_records import care_records
from simulators.homes import home_specs

HOME_SYSTEM = "urn:telecare-hub:home-id"


def _patient(**extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "Patient", "id": "p1",
        "identifier": [{"system": fp.NHS_NUMBER_SYSTEM, "value": "9434765919"},
                       {"system": HOME_SYSTEM, "value": "home-0001"},
                       {"system": fp.MOSAIC_ID_SYSTEM, "value": "123456"}],
        "name": [{"use": "official", "family": "Begum", "given": ["Rahima"]}, {"use": "usual", "given": ["Rahi"]}],
        "birthDate": "1941-03-14",
        **extra,
    }


def _map(*resources: dict[str, Any], full_urls: dict[str, str] | None = None) -> ResidentRecord:
    parsed = parse([((full_urls or {}).get(r["id"]), r) for r in resources])
    assert not parsed.report.refused, parsed.report.refused
    (only,) = parsed.patients.values()
    record, _warnings = map_patient(only, HOME_SYSTEM, parsed.full_urls)
    return record


def _related(person_id: str, **extra: Any) -> dict[str, Any]:
    return {"resourceType": "RelatedPerson", "id": person_id, "patient": {"reference": "Patient/p1"},
            "name": [{"text": f"Person {person_id}"}], **extra}


def test_patient_identity_home_and_ids() -> None:
    record = _map(_patient())
    assert (record.name, record.preferred_name, record.date_of_birth) == ("Rahima Begum", "Rahi", date(1941, 3, 14))
    assert (record.home_id, record.nhs_number, record.mosaic_id, record.fhir_patient_id) == (
        "home-0001", "9434765919", "123456", "p1")


def test_languages_preferred_and_uk_core_interpreter_extension() -> None:
    record = _map(_patient(communication=[
        {"language": {"coding": [{"system": fp.LANGUAGE_SYSTEM, "code": "bn"}]}},
        {"language": {"coding": [{"system": fp.LANGUAGE_SYSTEM, "code": "syl"}]}, "preferred": True,
         "extension": [{"url": fp.INTERPRETER_REQUIRED_EXTENSION, "valueBoolean": True}]},
    ]))
    assert (record.languages, record.preferred_language, record.interpreter_needed) == (["bn", "syl"], "syl", True)


def test_older_nhs_communication_extension_is_read_too() -> None:
    record = _map(_patient(extension=[{"url": fp.UKCORE_NHS_COMMUNICATION_EXTENSION, "extension": [
        {"url": "language", "valueCodeableConcept": {"coding": [{"code": "so"}]}},
        {"url": "preferred", "valueBoolean": True},
        {"url": "interpreterRequired", "valueBoolean": True}]}]))
    assert (record.languages, record.preferred_language, record.interpreter_needed) == (["so"], "so", True)


def test_no_language_on_record_means_english_without_interpreter() -> None:
    record = _map(_patient())
    assert (record.languages, record.preferred_language, record.interpreter_needed) == ([], "en", False)


def test_address_key_safe_and_access_notes_from_the_hubs_extensions() -> None:
    record = _map(_patient(
        address=[{"use": "old", "text": "somewhere else"},
                 {"use": "home", "line": ["Flat 3", "Heron Court"], "city": "London", "postalCode": "E1 6AB"}],
        extension=[{"url": fp.KEY_SAFE_CODE_EXTENSION, "valueString": "4821"},
                   {"url": fp.ACCESS_NOTES_EXTENSION, "valueString": "Door sticks"}]))
    assert record.home.address == "Flat 3, Heron Court, London E1 6AB"
    assert (record.home.postcode, record.home.key_safe_code, record.home.access_notes) == ("E1 6AB", "4821",
                                                                                          "Door sticks")


def test_gp_from_contained_practitioner_and_organization_or_a_display() -> None:
    record = _map(_patient(
        contained=[{"resourceType": "Practitioner", "id": "gp", "name": [{"text": "Dr A. Chowdhury"}]},
                   {"resourceType": "Organization", "id": "org", "name": "Whitechapel Health Centre",
                    "telecom": [{"system": "phone", "value": "020 7946 0011"}]}],
        generalPractitioner=[{"reference": "#gp"}, {"reference": "#org"}]))
    assert (record.gp_name, record.gp_practice, record.gp_phone) == ("Dr A. Chowdhury", "Whitechapel Health Centre",
                                                                     "020 7946 0011")
    record = _map(_patient(generalPractitioner=[{"reference": "Organization/x", "display": "Bow Health Centre"}]))
    assert (record.gp_name, record.gp_practice) == ("", "Bow Health Centre")


def test_care_plan_description_and_visits() -> None:
    plan = {
        "resourceType": "CarePlan", "id": "cp1", "status": "active", "intent": "plan",
        "subject": {"reference": "Patient/p1"}, "description": "Carers twice daily.",
        "contained": [{"resourceType": "Organization", "id": "prov", "name": "Eastside Homecare",
                       "telecom": [{"system": "phone", "value": "020 7946 0123"}]}],
        "activity": [
            {"detail": {"status": "scheduled", "performer": [{"reference": "#prov"}],
                        "scheduledTiming": {"repeat": {"dayOfWeek": ["mon", "tue", "wed", "thu", "fri"],
                                                       "timeOfDay": ["08:00:00", "18:30:00"]}}}},
            {"detail": {"status": "cancelled", "performer": [{"display": "Gone"}]}},
            {"detail": {"status": "in-progress", "performer": [{"display": "Bow Shopping Service"}],
                        "scheduledTiming": {"repeat": {"dayOfWeek": ["sat", "sun"]}}}},
        ]}
    old_plan = {**plan, "id": "cp0", "status": "revoked", "description": "Old plan"}
    record = _map(_patient(), plan, old_plan)
    assert record.care_plan_summary == "Carers twice daily."
    assert [v.as_json() for v in record.care_visits] == [
        {"provider": "Eastside Homecare", "days": "Mon-Fri", "times": "08:00, 18:30", "phone": "020 7946 0123"},
        {"provider": "Bow Shopping Service", "days": "Sat-Sun", "times": "", "phone": ""},
    ]


def test_conditions_and_flags() -> None:
    condition = {"resourceType": "Condition", "id": "c1", "subject": {"reference": "Patient/p1"},
                 "code": {"coding": [{"system": fp.SNOMED_SYSTEM, "code": "52448006", "display": "Dementia"}]}}
    resolved = {**condition, "id": "c2", "code": {"text": "Broken wrist"},
                "clinicalStatus": {"coding": [{"code": "resolved"}]}}
    flag = {"resourceType": "Flag", "id": "f1", "status": "active", "subject": {"reference": "Patient/p1"},
            "code": {"text": "Lives alone", "coding": [{"system": fp.SNOMED_SYSTEM, "code": "105529008"}]}}
    record = _map(_patient(), condition, resolved, flag)
    assert [(c.category, c.code, c.display, c.active, c.source_id) for c in record.conditions] == [
        ("condition", "52448006", "Dementia", True, "Condition/c1"),
        ("condition", "", "Broken wrist", False, "Condition/c2"),
        ("risk", "105529008", "Lives alone", True, "Flag/f1"),
    ]


def test_related_persons_become_responders_in_call_order_with_family_contact() -> None:
    daughter = _related(
        "rp-d", relationship=[{"coding": [{"system": fp.ROLE_CODE_SYSTEM, "code": "DAU"}]}],
        telecom=[{"system": "phone", "value": "07700 900123", "use": "mobile"},
                 {"system": "email", "value": "shahana@example.org"}],
        communication=[{"language": {"coding": [{"code": "en"}]}},
                       {"language": {"coding": [{"code": "syl"}]}, "preferred": True}],
        extension=[{"url": fp.CALL_ORDER_EXTENSION, "valuePositiveInt": 2},
                   {"url": fp.AVAILABILITY_EXTENSION, "valueString": "after 18:00"}])
    neighbour = _related(
        "rp-n", relationship=[{"coding": [{"system": fp.ROLE_CODE_SYSTEM, "code": "NBOR"}], "text": "Neighbour"}],
        telecom=[{"system": "phone", "value": "020 7946 0999", "use": "home"}],
        extension=[{"url": fp.CALL_ORDER_EXTENSION, "valuePositiveInt": 1},
                   {"url": fp.HOLDS_KEY_EXTENSION, "valueBoolean": True}])
    warden = _related("rp-w", relationship=[{"coding": [{"system": fp.RESPONDER_KIND_SYSTEM, "code": "warden"}],
                                             "text": "Scheme warden"}])
    former = _related("rp-x", active=False)
    record = _map(_patient(), daughter, warden, neighbour, former)
    assert [(r.position, r.fhir_related_person_id, r.kind, r.relationship) for r in record.responders] == [
        (1, "rp-n", "neighbour", "Neighbour"), (2, "rp-d", "family", "daughter"),
        (3, "rp-w", "warden", "Scheme warden")]
    neighbour_entry, daughter_entry, warden_entry = record.responders
    assert neighbour_entry.holds_key and neighbour_entry.family is None  # a landline only: not messaged
    assert (daughter_entry.phone, daughter_entry.availability) == ("07700 900123", "after 18:00")
    contact = daughter_entry.family
    assert (contact.email, contact.mobile, contact.language) == ("shahana@example.org", "+447700900123", "bn")
    assert contact.consent_given_at is None, "no Consent on the record: no consent"
    assert warden_entry.family is None


def test_consent_comes_from_an_active_permitting_consent_naming_the_relative() -> None:
    person = _related("rp-d", telecom=[{"system": "email", "value": "a@example.org"}])
    other = _related("rp-s", telecom=[{"system": "email", "value": "b@example.org"}])
    denied = _related("rp-z", telecom=[{"system": "email", "value": "c@example.org"}])

    def consent(consent_id: str, actor: str, **extra: Any) -> dict[str, Any]:
        return {"resourceType": "Consent", "id": consent_id, "status": "active",
                "scope": {"coding": [{"code": "patient-privacy"}]}, "category": [{"text": "alerts"}],
                "patient": {"reference": "Patient/p1"}, "dateTime": "2024-05-01T09:30:00Z",
                "provision": {"type": "permit", "actor": [{"role": {"text": "recipient"},
                                                             "reference": {"reference": f"RelatedPerson/{actor}"}}]},
                **extra}

    withdrawn = {**consent("c2", "rp-s"), "status": "inactive"}
    deny = consent("c3", "rp-z")
    deny["provision"]["type"] = "deny"
    record = _map(_patient(), person, other, denied, consent("c1", "rp-d"), withdrawn, deny)
    given = {r.fhir_related_person_id: r.family.consent_given_at for r in record.responders}
    assert given == {"rp-d": datetime(2024, 5, 1, 9, 30, tzinfo=UTC), "rp-s": None, "rp-z": None}
    assert record.responders[0].family.consent_source == "fhir:Consent/c1"


def test_references_through_bundle_full_urls() -> None:
    person = _related("rp-1", patient={"reference": "urn:uuid:aaaa"})
    record = _map(_patient(), person, full_urls={"p1": "urn:uuid:aaaa"})
    assert [r.fhir_related_person_id for r in record.responders] == ["rp-1"]


def test_a_patient_without_a_home_identifier_is_refused_by_name() -> None:
    patient = _patient(identifier=[{"system": fp.NHS_NUMBER_SYSTEM, "value": "9434765919"}])
    parsed = parse([(None, patient)])
    with pytest.raises(RecordRefused, match=f"Rahima Begum.*{HOME_SYSTEM}"):
        map_patient(parsed.patients["Patient/p1"], HOME_SYSTEM, parsed.full_urls)


def test_parse_reports_what_it_cannot_use() -> None:
    parsed = parse([
        (None, _patient()),
        (None, {"resourceType": "Observation", "id": "o1", "status": "final", "code": {"text": "x"}}),
        (None, {"resourceType": "Condition", "id": "c1", "subject": {"reference": "Patient/elsewhere"}}),
        (None, {"resourceType": "Flag", "id": "f1", "status": "active", "subject": {"reference": "Patient/p1"},
                "code": {"text": "x"}, "period": {"start": "not a date"}}),
        (None, {"resourceType": "Patient", "name": [{"text": "No Id"}]}),
    ])
    assert [what for what, _ in parsed.report.skipped] == ["Observation/o1", "Condition/c1"]
    assert [what for what, _ in parsed.report.refused] == ["Flag/f1", "Patient/(no id)"]
    assert "not valid FHIR R4" in parsed.report.refused[0][1]


def test_generated_records_survive_the_round_trip_through_fhir() -> None:
    for record in care_records(home_specs(40, seed=3), seed=3):
        mapped = _map(*resources_for(record, HOME_SYSTEM))
        for name in ("home_id", "name", "preferred_name", "date_of_birth", "nhs_number", "mosaic_id",
                     "fhir_patient_id", "languages", "preferred_language", "interpreter_needed",
                     "communication_needs", "care_plan_summary", "gp_name", "gp_practice", "gp_phone",
                     "care_visits", "home", "conditions"):
            assert getattr(mapped, name) == getattr(record, name), (record.name, name)
        for got, want in zip(mapped.responders, record.responders, strict=True):
            assert (got.name, got.position, got.relationship, got.kind, got.phone, got.availability,
                    got.holds_key, got.fhir_related_person_id) == (
                want.name, want.position, want.relationship, want.kind, want.phone, want.availability,
                want.holds_key, want.fhir_related_person_id)
            assert (got.family is None) == (want.family is None)
            if got.family:
                assert (got.family.email, got.family.mobile, got.family.language, got.family.consent_given_at) == (
                    want.family.email, want.family.mobile, want.family.language, want.family.consent_given_at)
