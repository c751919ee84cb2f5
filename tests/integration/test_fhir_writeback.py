"""A resolved alert's outcome is written back to the resident's care record as a FHIR Communication,
through the outbox, over real HTTP to a FHIR server process: once, even across an outage and retries."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from alerts import engine, outbox
from alerts.channels import Message
from alerts.channels import fhir as fhir_channel
from alerts.transitions import Resolve
from hub.care_record.fhir_import import import_bundle
from hub.care_record.fhir_profile import ALERT_IDENTIFIER_SYSTEM
from hub.seed import register_homes
from hub.settings import Settings
from simulators.care_records import care_records, fhir_bundle
from simulators.homes import HomeSpec, home_specs

pytestmark = pytest.mark.integration
SYSTEM = "urn:telecare-hub:home-id"
NOTE = "Slipped in the hallway; neighbour helped her up, no injury"


@pytest.fixture
def linked(conn: psycopg.Connection, fhir_server) -> list[HomeSpec]:
    """Three homes whose residents are on the FHIR server and linked to it in the hub."""
    specs = home_specs(3, seed=1)
    register_homes(conn, specs)
    bundle = fhir_bundle(care_records(specs, seed=1), SYSTEM)
    fhir_server.load(bundle)
    assert import_bundle(conn, bundle, SYSTEM).ok
    conn.execute("DELETE FROM family_members")  # telling relatives is not what these tests are about
    return specs


def _settings(db_url: str, fhir_url: str) -> Settings:
    return Settings(database_url=db_url, fhir_base_url=fhir_url, fhir_home_identifier_system=SYSTEM)


def _resolve_alert(conn: psycopg.Connection, home_id: str, outcome: str = "resident_ok", note: str = NOTE) -> int:
    now = datetime.now(UTC).replace(microsecond=0)
    with conn.transaction():
        alert_id = engine.trigger(conn, home_id=home_id, kind="fall", device_id="pendant-1", at=now).alert_id
    with conn.transaction():
        engine.act(conn, alert_id, Resolve(actor="operator:Jo", at=now + timedelta(seconds=40), outcome=outcome,
                                           note=note))
    return alert_id


def _resolution_row(conn: psycopg.Connection, alert_id: int) -> tuple:
    return conn.execute("SELECT id, status, attempts FROM outbox WHERE alert_id = %s AND topic = 'alert.resolved'",
                        (alert_id,)).fetchone()


def _attempts(conn: psycopg.Connection, outbox_id: int) -> list[tuple]:
    return conn.execute("SELECT channel, ok, permanent FROM delivery_log WHERE outbox_id = %s ORDER BY id",
                        (outbox_id,)).fetchall()


def _communications(fhir_server, alert_id: int) -> list[dict]:
    return list(fhir_server.search("Communication", identifier=f"{ALERT_IDENTIFIER_SYSTEM}|{alert_id}"))


def _deliver(conn: psycopg.Connection, settings: Settings, later_s: float = 2) -> None:
    outbox.deliver_due(conn, settings, datetime.now(UTC) + timedelta(seconds=later_s))


def test_the_outcome_is_written_to_the_care_record(conn, db_url, fhir_server, linked) -> None:
    settings = _settings(db_url, fhir_server.base_url)
    alert_id = _resolve_alert(conn, linked[0].home_id)
    _deliver(conn, settings)
    outbox_id, status, _ = _resolution_row(conn, alert_id)
    assert status == "done" and _attempts(conn, outbox_id) == [("fhir", True, False)]
    (communication,) = _communications(fhir_server, alert_id)
    patient_id, resolved_at = conn.execute(
        "SELECT r.fhir_patient_id, a.resolved_at FROM alerts a JOIN residents r USING (resident_id) WHERE a.id = %s",
        (alert_id,)).fetchone()
    assert communication["status"] == "completed"
    assert communication["subject"] == {"reference": f"Patient/{patient_id}"}
    assert datetime.fromisoformat(communication["sent"]) == resolved_at
    text = communication["payload"][0]["contentString"]
    assert "Fall detected (fall)" in text and "Resident OK (resident_ok)" in text and NOTE in text
    assert conn.execute("SELECT actor, action FROM resident_access_log WHERE alert_id = %s",
                        (alert_id,)).fetchall() == [("system:fhir-writeback", "writeback")]


def test_an_outage_loses_nothing_and_each_outcome_arrives_once(conn, db_url, fhir_server, linked) -> None:
    settings = _settings(db_url, fhir_server.base_url)
    fhir_server.stop()
    alert_ids = [_resolve_alert(conn, home.home_id, "responder_sent") for home in linked[:2]]
    _deliver(conn, settings)
    for alert_id in alert_ids:
        outbox_id, status, attempts = _resolution_row(conn, alert_id)
        assert (status, attempts) == ("pending", 1)
        assert _attempts(conn, outbox_id) == [("fhir", False, False)], "retryable, not permanent"
    _deliver(conn, settings)  # not due yet: backing off
    assert [_resolution_row(conn, a)[2] for a in alert_ids] == [1, 1]

    fhir_server.start()
    _deliver(conn, settings, later_s=outbox.backoff(1).total_seconds() + 5)
    for alert_id in alert_ids:
        outbox_id, status, attempts = _resolution_row(conn, alert_id)
        assert (status, attempts) == ("done", 2)
        assert _attempts(conn, outbox_id) == [("fhir", False, False), ("fhir", True, False)]
        assert len(_communications(fhir_server, alert_id)) == 1
    # A retry whose first answer was lost (the server had stored it) creates nothing new.
    outbox_id = _resolution_row(conn, alert_ids[0])[0]
    fhir_channel.notify(Message(outbox_id, "alert.resolved", {"alert_id": alert_ids[0]}, ""), settings)
    assert len(_communications(fhir_server, alert_ids[0])) == 1
    _deliver(conn, settings, later_s=3600)
    assert len(_communications(fhir_server, alert_ids[1])) == 1


def test_a_resident_without_a_fhir_record_is_skipped_without_error(conn, db_url, fhir_server, linked) -> None:
    conn.execute("UPDATE residents SET fhir_patient_id = NULL WHERE home_id = %s", (linked[2].home_id,))
    alert_id = _resolve_alert(conn, linked[2].home_id)
    _deliver(conn, _settings(db_url, fhir_server.base_url))
    outbox_id, status, _ = _resolution_row(conn, alert_id)
    assert status == "done" and _attempts(conn, outbox_id) == [("fhir", True, False)]
    assert list(fhir_server.search("Communication")) == []


def test_a_refusal_by_the_server_is_permanent(conn, db_url, fhir_server, linked) -> None:
    alert_id = _resolve_alert(conn, linked[0].home_id)
    _deliver(conn, _settings(db_url, fhir_server.base_url + "/no-such-base"))  # answers 400
    outbox_id, status, _ = _resolution_row(conn, alert_id)
    assert status == "failed" and _attempts(conn, outbox_id) == [("fhir", False, True)]


def test_without_fhir_base_url_nothing_is_routed_to_the_care_record(conn, db_url, linked) -> None:
    alert_id = _resolve_alert(conn, linked[0].home_id)
    _deliver(conn, Settings(database_url=db_url, fhir_base_url=None))
    outbox_id, status, _ = _resolution_row(conn, alert_id)
    assert status == "done" and _attempts(conn, outbox_id) == []


def test_the_alert_engine_syncs_residents_and_writes_outcomes_back(conn, db_url, fhir_server) -> None:
    from alerts.service import run_alert_engine

    specs = home_specs(4, seed=3)
    register_homes(conn, specs)
    fhir_server.load(fhir_bundle(care_records(specs, seed=3), SYSTEM))
    conn.execute("UPDATE homes SET postcode = ''")
    settings = Settings(database_url=db_url, fhir_base_url=fhir_server.base_url, fhir_home_identifier_system=SYSTEM,
                        fhir_sync_every_s=3600, score_every_s=3600)
    stop = threading.Event()
    service = threading.Thread(target=run_alert_engine, args=(settings, db_url, stop), kwargs={"tick_s": 0.2},
                               daemon=True)
    service.start()
    try:
        deadline = time.monotonic() + 60
        while conn.execute("SELECT count(*) FROM residents WHERE fhir_patient_id IS NOT NULL").fetchone()[0] < 4:
            assert time.monotonic() < deadline, "the engine's FHIR sync never linked the residents"
            time.sleep(0.2)
        conn.execute("DELETE FROM family_members")
        alert_id = _resolve_alert(conn, specs[1].home_id, "family_contacted", "")
        while not _communications(fhir_server, alert_id):
            assert time.monotonic() < deadline, "the outcome never reached the care record"
            time.sleep(0.2)
        text = _communications(fhir_server, alert_id)[0]["payload"][0]["contentString"]
        assert "Family contacted (family_contacted)" in text and "Note" not in text
    finally:
        stop.set()
        service.join(30)
