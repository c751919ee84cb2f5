"""The whole care-record path with real processes and servers: a FHIR bundle of 100 residents and their
relatives on the council's FHIR server is synced and linked to simulated homes; a fall from one home shows
the full resident card on the console, reaches a relative by email in their own language, and once
resolved its outcome is written back to the care record."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from console.app import create_app
from hub.care_record.fhir_profile import ALERT_IDENTIFIER_SYSTEM
from hub.seed import register_homes
from ingest.consumer import IngestService
from simulators.care_records import care_records, fhir_bundle
from simulators.homes import home_specs
from tests.alerts.family.servers import SmtpServer
from tests.support.accounts import add_user, sign_in, signed_in_client
from tests.support.home import event
from tests.support.services import ConsoleServer

pytestmark = pytest.mark.integration
SYSTEM = "urn:telecare-hub:home-id"


def _wait(what: str, check: Callable[[], object], timeout: float = 60.0) -> object:
    deadline = time.monotonic() + timeout
    while not (found := check()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)
    return found


def test_a_fall_reaches_card_family_and_care_record(conn, db_url, broker, fhir_server, settings, unit_factory):
    from alerts.service import run_alert_engine

    specs = home_specs(100, seed=5, heartbeat_interval_s=3600)
    register_homes(conn, specs)
    fhir_server.load(fhir_bundle(care_records(specs, seed=5), SYSTEM))

    with SmtpServer() as smtp:
        hub = settings.model_copy(update={
            "database_url": db_url, "fhir_base_url": fhir_server.base_url, "fhir_home_identifier_system": SYSTEM,
            "fhir_sync_every_s": 3600, "score_every_s": 3600, "smtp_url": smtp.url})
        ingest = IngestService(hub, db_url, broker.url)
        ingest.start()
        stop = threading.Event()
        engine = threading.Thread(target=run_alert_engine, args=(hub, db_url, stop), kwargs={"tick_s": 0.2},
                                  daemon=True)
        engine.start()
        try:
            assert ingest.connected.wait(10)
            with ConsoleServer(create_app(hub, db_url, broker.url)) as console:
                # 1. The engine's sync links every resident on the FHIR server to their home.
                _wait("100 linked residents", lambda: conn.execute(
                    "SELECT count(*) FROM residents WHERE fhir_patient_id IS NOT NULL").fetchone()[0] == 100)
                assert conn.execute("SELECT count(*) FROM responders").fetchone()[0] >= 100

                # A resident with a key safe and a consenting relative who reads email in a language other than English.
                home_id, resident, relative, language, address = conn.execute(
                    """SELECT r.home_id, r.name, f.name, f.language, c.address
                       FROM residents r JOIN family_members f USING (resident_id)
                       JOIN family_channels c ON c.family_member_id = f.id AND c.channel = 'email' AND c.enabled
                       JOIN homes h ON h.home_id = r.home_id AND h.key_safe_code IS NOT NULL
                       WHERE f.consent_given_at IS NOT NULL AND f.consent_withdrawn_at IS NULL
                         AND f.language <> 'en'
                       ORDER BY r.home_id LIMIT 1""").fetchone()
                spec = next(s for s in specs if s.home_id == home_id)

                # 2. A fall from the pendant's fall detector.
                unit = unit_factory(home_id)
                unit.publish(spec.find("pendant").device_id, event(1, "fall"))
                assert unit.wait_acks(1)[0]["status"] == "stored"
                alert_id = _wait("the fall alert", lambda: (conn.execute(
                    "SELECT id FROM alerts WHERE home_id = %s AND kind = 'fall'", (home_id,)).fetchone() or [None])[0])

                # 3. The console shows the full card, and the read is logged.
                add_user(conn, "jo", "operator", "Jo")
                with signed_in_client(console.base_url, sign_in(console.base_url, "jo")) as api:
                    card = api.get(f"/api/alerts/{alert_id}/resident", params={"operator": "Jo"}).json()
                    assert card["linked"] is True
                    shown = str(card)
                    assert resident in shown and relative in shown
                    assert "tel:" in shown
                    assert conn.execute("SELECT count(*) FROM resident_access_log WHERE alert_id = %s "
                                        "AND action = 'view_record'", (alert_id,)).fetchone()[0] == 1

                    # 4. The relative's email arrives, in their language, with the minimum of personal data.
                    mail = _wait("the relative's email", lambda: next(
                        (m for m in smtp.inbox.messages if address in str(m["To"])), None))
                    assert str(mail["Content-Language"]).replace("-", "_").startswith(language.split("_")[0])
                    key_safe = conn.execute("SELECT key_safe_code FROM homes WHERE home_id = %s",
                                            (home_id,)).fetchone()[0]
                    body = mail.get_body(preferencelist=("plain",)).get_content()
                    assert key_safe and key_safe not in body
                    assert resident.split()[-1] not in body  # no surname

                    # 5. Resolved: the outcome is written back to the care record.
                    assert api.post(f"/api/alerts/{alert_id}/acknowledge", json={"operator": "Jo"}).status_code == 200
                    resolved = api.post(f"/api/alerts/{alert_id}/resolve",
                                        json={"operator": "Jo", "outcome": "responder_sent"})
                    assert resolved.status_code == 200
                written = _wait("the outcome on the FHIR server", lambda: list(fhir_server.search(
                    "Communication", identifier=f"{ALERT_IDENTIFIER_SYSTEM}|{alert_id}")))
                assert len(written) == 1
                assert "responder_sent" in written[0]["payload"][0]["contentString"]
        finally:
            stop.set()
            engine.join(30)
            ingest.stop()
