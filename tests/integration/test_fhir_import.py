"""Care records into the real database: a 100-resident FHIR bundle links every resident to their simulated
home; re-import changes nothing; changes update in place; refusals are reported; the same records arrive
by CSV; and the sync reads them from a FHIR server process over HTTP."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from hub.care_record import fhir_profile as fp
from hub.care_record.csv_import import import_csv
from hub.care_record.fhir_client import FhirClient, FhirUnavailable, sync_once
from hub.care_record.fhir_import import import_bundle
from hub.care_record.store import OFF_RECORD
from hub.seed import register_homes
from simulators.care_records import care_records, csv_text, fhir_bundle
from simulators.homes import home_specs

pytestmark = pytest.mark.integration
SYSTEM = "urn:telecare-hub:home-id"
COUNTS = {
    "residents": "SELECT count(*) FROM residents",
    "responders": "SELECT count(*) FROM responders",
    "conditions": "SELECT count(*) FROM resident_conditions",
    "family": "SELECT count(*) FROM family_members",
    "channels": "SELECT count(*) FROM family_channels",
    "consented": "SELECT count(*) FROM family_members WHERE consent_given_at IS NOT NULL",
    "last_update": "SELECT max(updated_at) FROM residents",
    "access_log": "SELECT count(*) FROM resident_access_log",
}
RESIDENT_FIELDS = ("home_id, name, preferred_name, date_of_birth, nhs_number, mosaic_id, languages, "
                   "preferred_language, interpreter_needed, communication_needs, care_plan_summary, gp_name, "
                   "gp_practice, gp_phone, care_visits")


def _counts(conn: psycopg.Connection) -> dict[str, object]:
    return {name: conn.execute(query).fetchone()[0] for name, query in COUNTS.items()}


def _resource(bundle: dict, resource_type: str, index: int = 0) -> dict:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == resource_type][index]


def _hub(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("FHIR_", "DATABASE_URL", "HUB_ENV"))}
    return subprocess.run([sys.executable, "-m", "hub", *args], env={**clean, **env}, capture_output=True, text=True,
                          timeout=120)


@pytest.fixture
def hundred(conn: psycopg.Connection):
    specs = home_specs(100, seed=1)
    register_homes(conn, specs)
    records = care_records(specs, seed=1)
    return specs, records, fhir_bundle(records, SYSTEM)


def test_a_hundred_generated_residents_link_to_their_homes_and_reimport_changes_nothing(conn, hundred) -> None:
    specs, records, bundle = hundred
    report = import_bundle(conn, bundle, SYSTEM)
    assert report.ok and len(report.updated) == 100, report.summary()  # registered residents, now with records
    linked = conn.execute("""SELECT r.resident_id, r.home_id, r.fhir_patient_id, r.nhs_number FROM residents r
                             JOIN homes h USING (home_id) ORDER BY r.resident_id""").fetchall()
    assert linked == [(s.resident_id, s.home_id, r.fhir_patient_id, r.nhs_number)
                      for s, r in zip(specs, records, strict=True)]
    before = _counts(conn)
    assert before["residents"] == 100
    assert before["responders"] == sum(len(r.responders) for r in records)
    assert before["conditions"] == sum(len(r.conditions) for r in records)
    assert before["family"] == sum(1 for r in records for p in r.responders if p.family)
    assert before["consented"] == sum(1 for r in records for p in r.responders
                                      if p.family and p.family.consent_given_at)
    assert before["channels"] == sum(bool(p.family.email) + bool(p.family.mobile)
                                     for r in records for p in r.responders if p.family)
    assert before["access_log"] == 100
    postcodes = conn.execute("SELECT count(*) FROM homes WHERE postcode <> '' AND access_notes <> ''").fetchone()
    assert postcodes == (100,)

    again = import_bundle(conn, bundle, SYSTEM)
    assert again.ok and len(again.unchanged) == 100 and not again.changes, again.summary()
    assert _counts(conn) == before, "re-import wrote nothing: no duplicates, no touched timestamps, no log rows"


def test_a_changed_record_is_updated_in_place(conn, hundred) -> None:
    bundle = hundred[2]
    import_bundle(conn, bundle, SYSTEM)
    before = _counts(conn)
    changed = copy.deepcopy(bundle)
    patient = _resource(changed, "Patient")
    patient["communication"] = [{"language": {"coding": [{"system": fp.LANGUAGE_SYSTEM, "code": "so"}]},
                                 "preferred": True}]
    condition = _resource(changed, "Condition")
    changed["entry"] = [e for e in changed["entry"] if e["resource"] is not condition]
    person = next(p for p in (_resource(changed, "RelatedPerson", i) for i in range(20))
                  if p["patient"]["reference"] == f"Patient/{patient['id']}")
    person["telecom"][0]["value"] = "07700 900999"
    report = import_bundle(conn, changed, SYSTEM)
    assert report.ok and len(report.updated) == 1 and len(report.unchanged) == 99, report.summary()
    row = conn.execute("SELECT languages, preferred_language FROM residents WHERE fhir_patient_id = %s",
                       (patient["id"],)).fetchone()
    assert row == (["so"], "so")
    assert conn.execute("SELECT active FROM resident_conditions WHERE source_id = %s",
                        (f"Condition/{condition['id']}",)).fetchone() == (False,)
    assert conn.execute("SELECT phone FROM responders WHERE fhir_related_person_id = %s",
                        (person["id"],)).fetchone() == ("07700 900999",)
    after = _counts(conn)
    assert {k: after[k] for k in ("residents", "responders", "conditions", "family")} == {
        k: before[k] for k in ("residents", "responders", "conditions", "family")}
    assert after["access_log"] == before["access_log"] + 1


def test_channels_are_never_duplicated_and_a_channel_the_hub_disabled_stays_disabled(conn, hundred) -> None:
    _, records, bundle = hundred
    import_bundle(conn, bundle, SYSTEM)
    record = next(r for r in records if any(p.family and p.family.email for p in r.responders))
    person = next(p for p in record.responders if p.family and p.family.email)
    conn.execute("UPDATE family_channels SET enabled = false, disabled_reason = 'bounced: mailbox unknown' "
                 "WHERE address = %s", (person.family.email,))
    import_bundle(conn, bundle, SYSTEM)
    assert conn.execute("SELECT enabled, disabled_reason FROM family_channels WHERE address = %s",
                        (person.family.email,)).fetchall() == [(False, "bounced: mailbox unknown")]
    # The relative's email changes on the record: the new address is added, the old one stops.
    changed = copy.deepcopy(bundle)
    resource = next(e["resource"] for e in changed["entry"] if e["resource"]["id"] == person.fhir_related_person_id)
    email = next(t for t in resource["telecom"] if t["system"] == "email")
    conn.execute("UPDATE family_channels SET enabled = true, disabled_reason = NULL WHERE address = %s",
                 (person.family.email,))
    email["value"] = "new.address@example.org"
    import_bundle(conn, changed, SYSTEM)
    rows = dict(conn.execute("SELECT address, disabled_reason FROM family_channels WHERE channel = 'email' AND "
                             "family_member_id = (SELECT id FROM family_members WHERE name = %s)",
                             (person.name,)).fetchall())
    assert rows == {person.family.email: OFF_RECORD, "new.address@example.org": None}
    import_bundle(conn, bundle, SYSTEM)  # and back again: the old address returns, the new one stops
    rows = dict(conn.execute("SELECT address, enabled FROM family_channels WHERE channel = 'email' AND "
                             "family_member_id = (SELECT id FROM family_members WHERE name = %s)",
                             (person.name,)).fetchall())
    assert rows == {person.family.email: True, "new.address@example.org": False}


def test_consent_comes_from_the_record_and_a_relatives_withdrawal_stands(conn, hundred) -> None:
    _, records, bundle = hundred
    import_bundle(conn, bundle, SYSTEM)
    expected = {p.fhir_related_person_id: p.family.consent_given_at
                for r in records for p in r.responders if p.family}
    stored = dict(conn.execute("""SELECT r.fhir_related_person_id, f.consent_given_at FROM family_members f
                                  JOIN responders r ON r.id = f.responder_id""").fetchall())
    assert stored == expected
    consented = next(k for k, v in expected.items() if v)
    conn.execute("UPDATE family_members SET consent_withdrawn_at = now() WHERE responder_id = "
                 "(SELECT id FROM responders WHERE fhir_related_person_id = %s)", (consented,))
    import_bundle(conn, bundle, SYSTEM)
    assert conn.execute("""SELECT consent_withdrawn_at IS NOT NULL FROM family_members WHERE responder_id =
                           (SELECT id FROM responders WHERE fhir_related_person_id = %s)""",
                        (consented,)).fetchone() == (True,)
    # The Consent is taken off the record: consent the record gave is gone too.
    other = next(k for k, v in expected.items() if v and k != consented)
    without = copy.deepcopy(bundle)
    without["entry"] = [e for e in without["entry"] if not (
        e["resource"]["resourceType"] == "Consent"
        and e["resource"]["provision"]["actor"][0]["reference"]["reference"] == f"RelatedPerson/{other}")]
    import_bundle(conn, without, SYSTEM)
    assert conn.execute("""SELECT consent_given_at FROM family_members WHERE responder_id =
                           (SELECT id FROM responders WHERE fhir_related_person_id = %s)""",
                        (other,)).fetchone() == (None,)


def test_unknown_home_and_invalid_nhs_number_are_reported_and_the_command_exits_non_zero(
        conn, db_url, tmp_path: Path) -> None:
    specs = home_specs(3, seed=1)
    register_homes(conn, specs[:2])  # the third home is not registered
    bundle = fhir_bundle(care_records(specs, seed=1), SYSTEM)
    first = _resource(bundle, "Patient", 0)
    first["identifier"][0]["value"] = "9434765918"
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle))
    result = _hub("import-fhir", str(path), DATABASE_URL=db_url)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"REFUSED Patient/{first['id']}: NHS number '9434765918' of {specs[0].resident_name}" in result.stderr
    assert "names home 'home-0003', which is not registered" in result.stderr
    assert specs[2].resident_name in result.stderr
    assert "1 updated" in result.stderr and "2 refused" in result.stderr
    assert conn.execute("SELECT count(*) FROM residents WHERE fhir_patient_id IS NOT NULL").fetchone() == (1,)
    assert conn.execute("SELECT count(*) FROM homes").fetchone() == (2,), "no home is made up"


def test_csv_gives_the_same_residents_as_fhir(conn, tmp_path: Path, db_url) -> None:
    specs = home_specs(20, seed=6)
    register_homes(conn, specs)
    records = care_records(specs, seed=6)
    import_bundle(conn, fhir_bundle(records, SYSTEM), SYSTEM)
    from_fhir = conn.execute(f"SELECT {RESIDENT_FIELDS} FROM residents ORDER BY resident_id").fetchall()
    responders_fhir = conn.execute("SELECT resident_id, position, name, kind, phone, holds_key FROM responders "
                                   "ORDER BY 1, 2").fetchall()
    conn.execute("TRUNCATE residents CASCADE")
    register_homes(conn, specs)
    path = tmp_path / "records.csv"
    path.write_text(csv_text(records))
    result = _hub("import-csv", str(path), DATABASE_URL=db_url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "20 updated" in result.stdout
    assert conn.execute(f"SELECT {RESIDENT_FIELDS} FROM residents ORDER BY resident_id").fetchall() == from_fhir
    assert conn.execute("SELECT resident_id, position, name, kind, phone, holds_key FROM responders "
                        "ORDER BY 1, 2").fetchall() == responders_fhir
    assert len(import_csv(conn, path.read_text()).unchanged) == 20


def test_sync_reads_the_records_from_a_fhir_server_over_http(conn, db_url, fhir_server) -> None:
    specs = home_specs(12, seed=2)
    register_homes(conn, specs)
    records = care_records(specs, seed=2)
    fhir_server.load(fhir_bundle(records, SYSTEM))
    with FhirClient(fhir_server.base_url, page_size=5) as client:  # several pages of every search
        report = sync_once(conn, fhir_server.base_url, SYSTEM, client=client)
    assert report.ok and len(report.updated) == 12, report.summary()
    assert conn.execute("SELECT count(*) FROM residents WHERE fhir_patient_id IS NOT NULL").fetchone() == (12,)
    assert conn.execute("SELECT count(*) FROM responders").fetchone() == (sum(len(r.responders) for r in records),)
    assert conn.execute("SELECT count(*) FROM family_members WHERE consent_given_at IS NOT NULL").fetchone() == (
        sum(1 for r in records for p in r.responders if p.family and p.family.consent_given_at),)
    log = conn.execute("SELECT DISTINCT actor, action FROM resident_access_log").fetchall()
    assert log == [("system:fhir-sync", "import")]
    result = _hub("sync-fhir", DATABASE_URL=db_url, FHIR_BASE_URL=fhir_server.base_url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 created, 0 updated, 12 unchanged, 0 refused" in result.stdout


def test_sync_with_the_server_down_says_so(conn, db_url, fhir_server) -> None:
    fhir_server.stop()
    with pytest.raises(FhirUnavailable):
        sync_once(conn, fhir_server.base_url, SYSTEM)
    result = _hub("sync-fhir", DATABASE_URL=db_url, FHIR_BASE_URL=fhir_server.base_url)
    assert result.returncode == 2 and "sync stopped" in result.stderr


def test_seeded_homes_get_full_care_records(conn) -> None:
    from hub.care_record import seed_care_records

    specs = home_specs(5, seed=9)
    register_homes(conn, specs)
    report = seed_care_records(conn, specs, seed=9)
    assert report.ok and len(report.updated) == 5, report.summary()
    rows = conn.execute("SELECT resident_id, name, source, nhs_number IS NOT NULL, gp_practice <> '' FROM residents "
                        "ORDER BY resident_id").fetchall()
    assert rows == [(s.resident_id, s.resident_name, "seed", True, True) for s in specs]
    assert conn.execute("SELECT count(DISTINCT resident_id) FROM responders").fetchone() == (5,)
    assert len(seed_care_records(conn, specs, seed=9).unchanged) == 5
