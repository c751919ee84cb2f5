"""Simulated care records: valid FHIR R4, deterministic by seed, one resident per simulated home with
valid test-range NHS numbers, languages that fit, and the responders and consents a council would hold."""

from __future__ import annotations

import json
import re
from collections import Counter

from fhir.resources.R4B.bundle import Bundle

from hub.care_record import fhir_profile as fp
from hub.care_record.model import is_valid_nhs_number
from simulators.care_records import care_records, csv_text, fhir_bundle
from simulators.homes import home_specs
from simulators.residents import resident_for

SYSTEM = "urn:telecare-hub:home-id"


def _resources(bundle: dict, resource_type: str) -> list[dict]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == resource_type]


def test_same_seed_same_records_and_a_prefix_for_fewer_homes() -> None:
    first = fhir_bundle(care_records(home_specs(30, seed=2), seed=2), SYSTEM)
    again = fhir_bundle(care_records(home_specs(30, seed=2), seed=2), SYSTEM)
    assert json.dumps(first) == json.dumps(again)
    fewer = fhir_bundle(care_records(home_specs(10, seed=2), seed=2), SYSTEM)
    assert fewer["entry"] == first["entry"][:len(fewer["entry"])]
    other = fhir_bundle(care_records(home_specs(30, seed=3), seed=3), SYSTEM)
    assert _resources(other, "Patient")[0]["id"] != _resources(first, "Patient")[0]["id"]


def test_the_bundle_is_valid_fhir_r4_with_one_patient_per_home() -> None:
    homes = home_specs(60, seed=1)
    bundle = fhir_bundle(care_records(homes, seed=1), SYSTEM)
    Bundle.model_validate(bundle)  # every resource parses with the R4 models
    assert bundle["type"] == "transaction"
    assert all(e["request"]["method"] == "PUT" for e in bundle["entry"])
    patients = _resources(bundle, "Patient")
    assert len(patients) == 60
    for home, patient in zip(homes, patients, strict=True):
        ids = {i["system"]: i["value"] for i in patient["identifier"]}
        assert ids[SYSTEM] == home.home_id
        assert patient["name"][0]["text"] == home.resident_name
        assert patient["address"][0]["text"] == home.address
        assert re.match(r"^(E|EC)\d", patient["address"][0]["postalCode"])


def test_nhs_numbers_are_valid_unique_and_from_the_test_range() -> None:
    records = care_records(home_specs(200, seed=4), seed=4)
    numbers = [r.nhs_number for r in records]
    assert all(n.startswith("999") and is_valid_nhs_number(n) for n in numbers)
    assert len(set(numbers)) == len(numbers)
    assert len({r.mosaic_id for r in records}) == len(records)


def test_languages_and_interpreters_fit_the_community() -> None:
    records = care_records(home_specs(200, seed=1), seed=1)
    preferred = Counter(r.preferred_language for r in records)
    assert {"en", "syl", "so", "pl", "yue"} <= set(preferred), preferred
    assert preferred["en"] < len(records)
    for record in records:
        assert record.preferred_language == record.languages[0]
        if record.interpreter_needed:
            assert record.preferred_language != "en" and "en" not in record.languages
            assert "interpreter" in record.communication_needs
        if record.preferred_language == "en":
            assert not record.interpreter_needed
    assert 0 < sum(r.interpreter_needed for r in records) < len(records)


def test_responders_relatives_and_consent() -> None:
    records = care_records(home_specs(200, seed=1), seed=1)
    contacts = [r.family for record in records for r in record.responders if r.family]
    agreed = sum(1 for c in contacts if c.consent_given_at)
    assert 0.6 * len(contacts) < agreed < len(contacts), "most relatives agreed to be told, not all"
    for record in records:
        assert 1 <= len(record.responders) <= 3
        assert [r.position for r in record.responders] == list(range(1, len(record.responders) + 1))
        assert any(r.kind == "family" for r in record.responders)
        for responder in record.responders:
            if responder.kind in ("neighbour", "warden"):
                assert responder.holds_key and responder.family is None
            if responder.family and responder.family.mobile:
                assert responder.family.mobile.startswith("+447700900")
            if responder.family and responder.family.email:
                assert responder.family.email.endswith("@example.org")
    kinds = Counter(r.kind for record in records for r in record.responders)
    assert kinds["warden"] and kinds["neighbour"]
    family_languages = Counter(c.language for c in contacts)
    assert {"en", "bn"} <= set(family_languages)


def test_consents_and_care_plans_in_the_bundle_point_at_the_right_people() -> None:
    homes = home_specs(50, seed=1)
    bundle = fhir_bundle(care_records(homes, seed=1), SYSTEM)
    people = {r["id"]: r["patient"]["reference"] for r in _resources(bundle, "RelatedPerson")}
    for consent in _resources(bundle, "Consent"):
        actor = consent["provision"]["actor"][0]["reference"]["reference"].removeprefix("RelatedPerson/")
        assert people[actor] == consent["patient"]["reference"]
        assert consent["status"] == "active"
    for person in _resources(bundle, "RelatedPerson"):
        assert any(e["url"] == fp.CALL_ORDER_EXTENSION for e in person["extension"])


def test_the_morning_care_visit_matches_the_simulated_carer() -> None:
    homes = home_specs(80, seed=1)
    for home, record in zip(homes, care_records(homes, seed=1), strict=True):
        carer_h = resident_for(home, 1).carer_h
        daily = [v for v in record.care_visits if v.days == "Daily"]
        assert bool(daily) == (carer_h is not None)
        if daily:
            hours, minutes = map(int, daily[0].times.split(":"))
            assert abs(hours + minutes / 60 - carer_h) <= 0.25
        lives_alone = any(c.display == "Lives alone" for c in record.conditions)
        assert lives_alone == (not resident_for(home, 1).partner)


def test_the_csv_has_one_row_per_home() -> None:
    text = csv_text(care_records(home_specs(12, seed=1), seed=1))
    lines = text.strip().splitlines()
    assert len(lines) == 13 and lines[0].startswith("home_id,resident_id,name,")
