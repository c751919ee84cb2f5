"""The resident card API through the real console and PostgreSQL: what the card shows, that every read is
logged with the operator and the alert, and that the key safe code is given only after acknowledgement,
with an access-log row and an entry on the alert's audit trail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.support.care import (
    CareRecord,
    access_log,
    add_channel,
    add_family_member,
    add_home_without_record,
    add_notification,
    add_response,
    raise_alert,
    write_care_record,
)

pytestmark = pytest.mark.integration

RECORD = CareRecord()


@pytest.fixture
def seeded(conn, homes):  # type: ignore[no-untyped-def]
    home = homes[0]
    write_care_record(conn, home.home_id, home.resident_id, RECORD)
    return home


def _card(api, alert_id: int) -> dict:  # type: ignore[no-untyped-def]
    answer = api.get(f"/api/alerts/{alert_id}/resident")
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    return answer.json()


def _insert_event(conn, home_id: str, device_id: str, seq: int, ts: datetime, type_: str,  # type: ignore[no-untyped-def]
                  value: float | None, room: str | None) -> None:
    conn.execute("INSERT INTO events (home_id, device_id, seq, ts, type, value, room) "
                 "VALUES (%s, %s, %s, %s, %s, %s, %s)", (home_id, device_id, seq, ts, type_, value, room))


def test_the_card_shows_who_where_risks_language_and_responders_in_order(api, conn, seeded):
    alert_id = raise_alert(conn, seeded.home_id)
    card = _card(api, alert_id)

    assert card["linked"] is True and card["message"] is None
    resident = card["resident"]
    assert (resident["resident_id"], resident["name"]) == (seeded.resident_id, seeded.resident_name)
    assert resident["preferred_name"] == seeded.preferred_name
    today = datetime.now(ZoneInfo("Europe/London")).date()
    birthday_passed = (today.month, today.day) >= (3, 14)
    assert resident["age"] == today.year - 1941 - (0 if birthday_passed else 1)
    assert resident["nhs_number"] == "943 476 5919"
    language = resident["language"]
    assert language["preferred"] == {"tag": "syl", "name": "Sylheti"}
    assert [s["name"] for s in language["spoken"]] == ["Sylheti", "Bengali", "English"]
    assert language["interpreter_needed"] is True
    assert resident["communication_needs"] == RECORD.communication_needs
    assert resident["gp"] == {"name": "Dr A. Chowdhury", "practice": "Whitechapel Health Centre",
                              "phone": "020 7946 0011", "tel": "tel:02079460011"}
    assert resident["care_plan_summary"] == RECORD.care_plan_summary
    assert resident["care_visits"][0]["provider"] == "Tower Homecare"
    assert resident["care_visits"][0]["tel"] == "tel:02079460500"

    assert card["home"] == {"home_id": seeded.home_id, "address": RECORD.address, "postcode": "E1 6RF",
                            "access_notes": RECORD.access_notes, "key_safe_recorded": True}
    assert [r["display"] for r in card["risks"]] == ["Falls risk", "Lives alone"]
    assert [c["display"] for c in card["conditions"]] == ["Mild dementia", "Type 2 diabetes"]  # not the healed one

    responders = card["responders"]
    assert [r["name"] for r in responders] == ["Rahima Begum", "Tower Hamlets mobile responders", "Ken Walsh"]
    assert [r["tel"] for r in responders] == ["tel:07700900123", "tel:03001234567", "tel:+447700900456"]
    assert [r["holds_key"] for r in responders] == [True, True, False]
    assert responders[0]["availability"] == "weekdays after 18:00"
    # The code itself is never part of the card.
    assert RECORD.key_safe_code not in str(card)


def test_the_card_lists_the_last_30_days_of_alerts_and_the_last_24_hours_of_events(api, conn, seeded):
    now = datetime.now(UTC)
    old = raise_alert(conn, seeded.home_id, "fall", at=now - timedelta(days=40))
    conn.execute("UPDATE alerts SET handling = 'resolved', resolved_at = raised_at, outcome = 'false_alarm' "
                 "WHERE id = %s", (old,))
    earlier = raise_alert(conn, seeded.home_id, "fall", at=now - timedelta(days=10))
    conn.execute("UPDATE alerts SET handling = 'resolved', resolved_at = raised_at, outcome = 'resident_ok' "
                 "WHERE id = %s", (earlier,))
    alert_id = raise_alert(conn, seeded.home_id)
    _insert_event(conn, seeded.home_id, "pir-kitchen", 1, now - timedelta(hours=2), "motion", 1, "kitchen")
    _insert_event(conn, seeded.home_id, "temp-1", 2, now - timedelta(hours=1), "temperature", 15.5, "lounge")
    _insert_event(conn, seeded.home_id, "pir-kitchen", 3, now - timedelta(minutes=30), "heartbeat", None, None)
    _insert_event(conn, seeded.home_id, "pir-kitchen", 4, now - timedelta(hours=30), "motion", 1, "kitchen")

    card = _card(api, alert_id)
    assert [(a["id"], a["current"]) for a in card["recent_alerts"]] == [(alert_id, True), (earlier, False)]
    assert card["recent_alerts"][1]["outcome"] == "resident_ok"
    events = card["recent_events"]
    assert [(e["type"], e["room"], e["device_id"], e["value"]) for e in events] == [
        ("temperature", "lounge", "temp-1", 15.5), ("motion", "kitchen", "pir-kitchen", 1)]


def test_a_home_without_a_care_record_says_so_plainly(api, conn, homes):
    add_home_without_record(conn, "home-unlinked")
    alert_id = raise_alert(conn, "home-unlinked")
    card = _card(api, alert_id)
    assert card["linked"] is False and card["resident"] is None
    assert card["message"] == "No care record linked to home home-unlinked — check the council record"
    assert card["responders"] == [] and card["risks"] == []
    assert card["home"]["address"] == "4 Mill Lane"
    reason = f"alert {alert_id} (pendant_press)"
    assert access_log(conn) == [("operator:Jo Bloggs", "view_record", None, alert_id, reason)]


def test_every_read_is_logged_with_the_operator_and_the_alert(api, signed_in, conn, seeded):
    alert_id = raise_alert(conn, seeded.home_id)
    _card(api, alert_id)
    _card(signed_in("sam", "operator", "Sam Patel"), alert_id)
    reason = f"alert {alert_id} (pendant_press)"
    assert access_log(conn, seeded.resident_id) == [
        ("operator:Jo Bloggs", "view_record", seeded.resident_id, alert_id, reason),
        ("operator:Sam Patel", "view_record", seeded.resident_id, alert_id, reason),
    ]


@pytest.mark.parametrize("params", [{}, {"operator": ""}, {"operator": "Somebody Else"}])
def test_the_log_names_the_signed_in_user_whatever_the_request_says(api, conn, seeded, params):
    alert_id = raise_alert(conn, seeded.home_id)
    answer = api.get(f"/api/alerts/{alert_id}/resident", params=params)
    assert answer.status_code == 200
    assert [row[0] for row in access_log(conn)] == ["operator:Jo Bloggs"]


def test_the_card_needs_a_session(console, conn, seeded):
    alert_id = raise_alert(conn, seeded.home_id)
    answer = httpx.get(f"{console.base_url}/api/alerts/{alert_id}/resident", params={"operator": "Jo Bloggs"})
    assert answer.status_code == 401
    assert access_log(conn) == []


def test_an_unknown_alert_is_404_and_reads_nothing(api, conn, seeded):
    assert api.get("/api/alerts/999999/resident", params={"operator": "Jo"}).status_code == 404
    assert access_log(conn) == []


def _audit_notes(conn, alert_id: int) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return conn.execute("SELECT actor, detail->>'note' FROM alert_audit WHERE alert_id = %s AND action = 'note' "
                        "ORDER BY id", (alert_id,)).fetchall()


def test_the_key_safe_is_refused_before_acknowledgement_and_revealed_after_with_audit(api, conn, seeded):
    alert_id = raise_alert(conn, seeded.home_id)
    reveal = f"/api/alerts/{alert_id}/key-safe/reveal"

    refused = api.post(reveal, json={"operator": "Jo Bloggs"})
    assert refused.status_code == 409
    assert refused.json()["detail"] == "Acknowledge the alert before revealing the key safe code"
    assert "2580" not in refused.text
    assert access_log(conn, seeded.resident_id)[-1][:4] == ("operator:Jo Bloggs", "refused", seeded.resident_id,
                                                            alert_id)
    assert _audit_notes(conn, alert_id) == []

    assert api.post(f"/api/alerts/{alert_id}/acknowledge", json={"operator": "Jo Bloggs"}).status_code == 200
    shown = api.post(reveal, json={"operator": "Jo Bloggs"})
    assert shown.status_code == 200, shown.text
    assert shown.headers["cache-control"] == "no-store"
    body = shown.json()
    assert (body["code"], body["visible_for_s"], body["revealed_by"]) == ("2580", 60, "Jo Bloggs")
    assert access_log(conn, seeded.resident_id)[-1] == (
        "operator:Jo Bloggs", "reveal_key_safe", seeded.resident_id, alert_id, f"alert {alert_id} (pendant_press)")
    assert _audit_notes(conn, alert_id) == [("Jo Bloggs (jo)", "Key safe code revealed to Jo Bloggs")]
    # The alert's history, as the console shows it, carries the reveal.
    history = api.get(f"/api/alerts/{alert_id}").json()["audit"]
    assert history[-1]["detail"] == {"note": "Key safe code revealed to Jo Bloggs"}

    api.post(f"/api/alerts/{alert_id}/resolve", json={"operator": "Jo Bloggs", "outcome": "resident_ok"})
    after = api.post(reveal, json={"operator": "Jo Bloggs"})
    assert after.status_code == 409 and "resolved" in after.json()["detail"]
    assert len(_audit_notes(conn, alert_id)) == 1


def test_a_home_without_a_key_safe_code_says_so(api, conn, homes):
    write_care_record(conn, homes[1].home_id, homes[1].resident_id, CareRecord(key_safe_code=None))
    alert_id = raise_alert(conn, homes[1].home_id)
    api.post(f"/api/alerts/{alert_id}/acknowledge", json={"operator": "Jo"})
    assert _card(api, alert_id)["home"]["key_safe_recorded"] is False
    answer = api.post(f"/api/alerts/{alert_id}/key-safe/reveal", json={"operator": "Jo"})
    assert answer.status_code == 404
    assert answer.json()["detail"] == f"No key safe code is recorded for home {homes[1].home_id}"
    assert _audit_notes(conn, alert_id) == []


def test_the_key_safe_reveal_names_the_signed_in_user_not_the_body(api, conn, seeded):
    alert_id = raise_alert(conn, seeded.home_id)
    api.post(f"/api/alerts/{alert_id}/acknowledge", json={})
    shown = api.post(f"/api/alerts/{alert_id}/key-safe/reveal", json={"operator": "Somebody Else"})
    assert shown.status_code == 200 and shown.json()["revealed_by"] == "Jo Bloggs"
    assert _audit_notes(conn, alert_id) == [("Jo Bloggs (jo)", "Key safe code revealed to Jo Bloggs")]


def test_family_answers_notifications_and_failing_channels_are_on_the_card(api, signed_in, conn, seeded):
    alert_id = raise_alert(conn, seeded.home_id, "no_activity_morning")
    due = datetime.now(UTC) + timedelta(minutes=20)
    requeued = datetime.now(UTC) - timedelta(minutes=1)
    conn.execute("UPDATE alerts SET family_answer_due = %s, requeued_at = %s WHERE id = %s", (due, requeued, alert_id))
    rahima = add_family_member(conn, seeded.resident_id, "Rahima Begum", "bn")
    ken = add_family_member(conn, seeded.resident_id, "Ken Walsh")
    sms = add_channel(conn, rahima, "sms", "+447700900123")
    add_channel(conn, rahima, "email", "rahima@example.invalid", disabled_reason="550 mailbox unavailable")
    add_notification(conn, alert_id, rahima, sms, "sent")
    add_notification(conn, alert_id, ken, None, "held", hold_until=due)
    add_response(conn, alert_id, rahima, "all_fine", "Spoke to mum, she overslept")

    family = _card(api, alert_id)["family"]
    assert family["family_answer_due"] is not None and family["requeued_at"] is not None
    assert [(n["name"], n["channel"], n["status"]) for n in family["notifications"]] == [
        ("Rahima Begum", "sms", "sent"), ("Ken Walsh", None, "held")]
    assert [(r["name"], r["answer"], r["answer_label"], r["note"]) for r in family["responses"]] == [
        ("Rahima Begum", "all_fine", "All fine", "Spoke to mum, she overslept")]
    assert [c["warning"] for c in family["disabled_channels"]] == [
        "Email to Rahima Begum failing: 550 mailbox unavailable — channel disabled"]

    alone = signed_in("sam", "operator", "Sam").get(f"/api/alerts/{alert_id}/family")
    assert alone.status_code == 200
    assert alone.json()["responses"][0]["answer"] == "all_fine"
    assert access_log(conn, seeded.resident_id)[-1][:4] == ("operator:Sam", "view_family_status",
                                                            seeded.resident_id, alert_id)

    # The queue's alert shape carries the family timers too.
    listed = {a["id"]: a for a in api.get("/api/alerts").json()["alerts"]}
    assert listed[alert_id]["requeued_at"] is not None and listed[alert_id]["family_answer_due"] is not None


def test_the_access_log_is_readable_by_supervisors_and_logs_itself(api, signed_in, conn, seeded):
    alert_id = raise_alert(conn, seeded.home_id)
    _card(api, alert_id)
    assert api.get(f"/api/residents/{seeded.resident_id}/access-log").status_code == 403  # operators may not
    supervisor = signed_in("sue", "supervisor", "Supervisor Sue")
    answer = supervisor.get(f"/api/residents/{seeded.resident_id}/access-log", params={"alert_id": alert_id})
    assert answer.status_code == 200
    entries = answer.json()["entries"]
    assert [(e["actor"], e["action"], e["alert_id"]) for e in entries] == [
        ("operator:Supervisor Sue", "view_access_log", alert_id), ("operator:Jo Bloggs", "view_record", alert_id)]
    assert supervisor.get("/api/residents/nobody/access-log").status_code == 404
    missing_alert = supervisor.get(f"/api/residents/{seeded.resident_id}/access-log", params={"alert_id": 999999})
    assert missing_alert.status_code == 404
    assert len(access_log(conn, seeded.resident_id)) == 2
