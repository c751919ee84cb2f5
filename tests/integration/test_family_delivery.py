"""Family messages end to end against the real database and real local servers: an SMTP server, an SMS
gateway and a push service over HTTP. Fan-out, languages, minimum data, channel fallback, retries, quiet
hours, and at most one message per alert per relative."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import psycopg
import pytest

from alerts import engine
from alerts.family import fanout
from alerts.outbox import MAX_ATTEMPTS
from alerts.transitions import Resolve
from hub.embedded import free_port
from hub.settings import Settings
from tests.alerts.family.rows import add_channel, add_relative, notifications, raise_alert, run_outbox
from tests.alerts.family.servers import HttpFarEnd, PushClient, SmtpServer, vapid_private_key
from tests.support.care import CareRecord, write_care_record

pytestmark = pytest.mark.integration
BASE_URL = "https://hub.example.org"
LINK = re.compile(re.escape(BASE_URL) + r"/family/link/([A-Za-z0-9_-]+)")
LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


@pytest.fixture
def far_end() -> Iterator[HttpFarEnd]:
    with HttpFarEnd() as server:
        yield server


@pytest.fixture
def family_settings(smtp: SmtpServer, far_end: HttpFarEnd) -> Settings:
    return Settings(smtp_url=smtp.url, smtp_from="Telecare response centre <alerts@council.example>",
                    sms_gateway_url=far_end.sms_url, sms_gateway_token="gateway-token",
                    vapid_private_key=vapid_private_key(), vapid_subject="mailto:tec@council.example",
                    public_base_url=BASE_URL, family_answer_timeout_s=1800)


def _now() -> datetime:
    return datetime.now(UTC) + timedelta(seconds=1)  # rows are due at the database's now()


def _one(conn: psycopg.Connection, query: str, *args: object) -> tuple:
    return conn.execute(query, args).fetchone()


def test_email_goes_in_the_relatives_language_with_the_minimum_of_personal_data(conn, homes, smtp, family_settings):
    home = homes[0]
    write_care_record(conn, home.home_id, home.resident_id, CareRecord())
    relative = add_relative(conn, home.resident_id, name="Rahima Begum", language="bn")
    add_channel(conn, relative, "email", "rahima@example.org")
    alert_id = raise_alert(conn, home.home_id, "fall", _now(), device_id="fall-1")

    run_outbox(conn, family_settings, _now())

    [email] = smtp.inbox.messages
    body = email.get_content()
    assert email["To"] == "rahima@example.org"
    assert email["Content-Language"] == "bn"
    assert email["Message-ID"] == f"<hub-family-{_one(conn, 'SELECT id FROM family_notifications')[0]}@council.example>"
    assert "পড়ে যাওয়ার সেন্সরে অ্যালার্ম বেজেছে" in body, "the fall sentence, in Bengali"
    assert "রেসপন্স সেন্টারকে জানানো হয়েছে" in body, "the response centre is on it"
    assert f"{home.preferred_name}-এর" in body
    for private in ("2580", "Brick Lane", "E1 6RF", "Side gate", "diabetes", "dementia", "Falls risk",
                    home.resident_name.split()[-1], home.address.split(",")[0], "9434765919", "Chowdhury"):
        assert private not in body and private not in email["Subject"], f"{private!r} must not leave the hub"
    token = LINK.search(body).group(1)
    assert _one(conn, "SELECT count(*) FROM family_links WHERE token_sha256 = %s",
                hashlib.sha256(token.encode()).digest()) == (1,)
    assert notifications(conn) == [(relative.id, "sent", "bn")]
    assert conn.execute("SELECT channel, ok FROM delivery_log WHERE outbox_id = "
                        "(SELECT outbox_id FROM family_notifications)").fetchall() == [("email", True)]
    rules = [r[0] for r in conn.execute("SELECT rule FROM alert_audit WHERE alert_id = %s ORDER BY id", (alert_id,))]
    assert rules == ["open_new", "family_told"]
    assert _one(conn, "SELECT family_answer_due FROM alerts WHERE id = %s", alert_id) == (None,), \
        "an emergency is not put to the family to answer"


def test_sms_goes_through_the_gateway_with_bearer_token_and_idempotency_key(conn, homes, far_end, family_settings):
    home = homes[1]
    relative = add_relative(conn, home.resident_id, name="Tomasz Nowak", language="pl")
    add_channel(conn, relative, "sms", "+447700900123")
    alert_id = raise_alert(conn, home.home_id, "no_activity_morning", _now())

    sent_at = _now()
    run_outbox(conn, family_settings, sent_at)

    [request] = far_end.state.sms_requests()
    [notification_id] = _one(conn, "SELECT id FROM family_notifications")
    text = request.json()
    assert request.headers["authorization"] == "Bearer gateway-token"
    assert request.headers["idempotency-key"] == f"hub-family-{notification_id}"
    assert text["idempotency_key"] == f"hub-family-{notification_id}"
    assert text["to"] == "+447700900123"
    assert text["text"].startswith("Krysia: dziś rano")
    assert "Prosimy o odpowiedź" in text["text"] and LINK.search(text["text"])
    due = _one(conn, "SELECT family_answer_due FROM alerts WHERE id = %s", alert_id)[0]
    assert due is not None and abs((due - sent_at).total_seconds() - 1800) < 1, "relatives were asked to answer"


def test_web_push_is_encrypted_for_the_phone_with_topic_and_key(conn, homes, far_end, family_settings):
    home = homes[2]
    phone = PushClient.create(far_end.base_url + "/push/phone-1")
    relative = add_relative(conn, home.resident_id, name="Li Wei", language="zh-Hans")
    add_channel(conn, relative, "webpush", phone.subscription())
    raise_alert(conn, home.home_id, "smoke", _now(), device_id="smoke-1")

    run_outbox(conn, family_settings, _now())

    [request] = far_end.state.push_requests()
    [notification_id] = _one(conn, "SELECT id FROM family_notifications")
    shown = phone.read(request.body)
    assert request.headers["idempotency-key"] == f"hub-family-{notification_id}"
    assert request.headers["topic"] == f"hub-family-{notification_id}"
    assert request.headers["authorization"].startswith("vapid ")
    assert request.headers["urgency"] == "high", "a smoke alarm may wake the phone"
    assert shown["title"] == "远程照护警报：George"
    assert "烟雾报警器响了" in shown["body"]
    assert shown["lang"] == "zh-Hans"
    assert LINK.match(shown["url"])
    assert notifications(conn) == [(relative.id, "sent", "zh_Hans")]


def test_a_permanent_error_disables_that_channel_and_the_next_one_is_used(conn, homes, smtp, far_end,
                                                                          family_settings):
    home = homes[0]
    far_end.state.refuse_numbers["+447700900999"] = 400
    far_end.state.push_status["/push/gone"] = 410
    relative = add_relative(conn, home.resident_id)
    sms = add_channel(conn, relative, "sms", "+447700900999", position=1)
    push = add_channel(conn, relative, "webpush", PushClient.create(far_end.base_url + "/push/gone").subscription(),
                       position=2)
    email = add_channel(conn, relative, "email", "rahima@example.org", position=3)
    raise_alert(conn, home.home_id, "pull_cord", _now(), device_id="cord-1")

    run_outbox(conn, family_settings, _now())

    assert len(smtp.inbox.messages) == 1
    channels = conn.execute("SELECT id, enabled, disabled_at IS NOT NULL, disabled_reason FROM family_channels "
                            "ORDER BY id").fetchall()
    assert [(c[0], c[1], c[2]) for c in channels] == [(sms, False, True), (push, False, True), (email, True, False)]
    assert "400" in channels[0][3] and "410" in channels[1][3]
    assert _one(conn, "SELECT status, channel_id FROM family_notifications") == ("sent", email)
    log = conn.execute("SELECT channel, attempt, ok, permanent FROM delivery_log WHERE outbox_id = "
                       "(SELECT outbox_id FROM family_notifications) ORDER BY id").fetchall()
    assert log == [("sms", 1, False, True), ("webpush", 1, False, True), ("email", 1, True, False)]


def test_when_no_channel_is_left_the_notification_fails_and_the_operator_is_told(conn, homes, far_end,
                                                                                family_settings):
    home = homes[0]
    far_end.state.refuse_numbers["+447700900999"] = 404
    relative = add_relative(conn, home.resident_id, name="Rahima Begum")
    add_channel(conn, relative, "sms", "+447700900999")
    alert_id = raise_alert(conn, home.home_id, "fall", _now(), device_id="fall-1")

    run_outbox(conn, family_settings, _now())

    assert _one(conn, "SELECT status FROM family_notifications") == ("failed",)
    assert _one(conn, "SELECT status FROM outbox WHERE topic = 'family.notify'") == ("failed",)
    note = _one(conn, "SELECT detail->>'note' FROM alert_audit WHERE alert_id = %s AND rule = 'add_note'", alert_id)[0]
    assert "Rahima" in note and "could not be sent" in note


def test_a_gateway_that_cannot_be_reached_is_retried_with_backoff(conn, homes, far_end, family_settings):
    home = homes[0]
    relative = add_relative(conn, home.resident_id)
    channel = add_channel(conn, relative, "sms", "+447700900123")
    raise_alert(conn, home.home_id, "fall", _now(), device_id="fall-1")
    unreachable = family_settings.model_copy(update={"sms_gateway_url": f"http://127.0.0.1:{free_port()}/sms"})

    first = _now()
    run_outbox(conn, unreachable, first)

    assert _one(conn, "SELECT status FROM family_notifications") == ("pending",)
    assert _one(conn, "SELECT status, attempts FROM outbox WHERE topic = 'family.notify'") == ("pending", 1)
    assert _one(conn, "SELECT enabled FROM family_channels WHERE id = %s", channel) == (True,), \
        "a gateway outage is not the relative's fault"
    run_outbox(conn, family_settings, first + timedelta(seconds=1))
    assert far_end.state.sms_requests() == [], "backing off"

    run_outbox(conn, family_settings, first + timedelta(seconds=6))

    assert len(far_end.state.sms_requests()) == 1
    assert _one(conn, "SELECT status FROM family_notifications") == ("sent",)
    assert conn.execute("SELECT attempt, ok, permanent FROM delivery_log WHERE channel = 'sms' ORDER BY id"
                        ).fetchall() == [(1, False, False), (2, True, False)]


def test_retries_are_bounded_and_the_last_failure_is_put_before_the_operator(conn, homes, family_settings):
    home = homes[0]
    relative = add_relative(conn, home.resident_id, name="Rahima Begum")
    add_channel(conn, relative, "sms", "+447700900123")
    alert_id = raise_alert(conn, home.home_id, "fall", _now(), device_id="fall-1")
    unreachable = family_settings.model_copy(update={"sms_gateway_url": f"http://127.0.0.1:{free_port()}/sms"})
    run_outbox(conn, unreachable, _now())
    conn.execute("UPDATE outbox SET attempts = %s, available_at = now() WHERE topic = 'family.notify'",
                 (MAX_ATTEMPTS - 1,))

    run_outbox(conn, unreachable, _now())

    assert _one(conn, "SELECT status FROM family_notifications") == ("failed",)
    assert _one(conn, "SELECT status, attempts FROM outbox WHERE topic = 'family.notify'") == ("failed", MAX_ATTEMPTS)
    assert _one(conn, "SELECT enabled FROM family_channels") == (True,)
    note = _one(conn, "SELECT detail->>'note' FROM alert_audit WHERE alert_id = %s AND rule = 'add_note'", alert_id)[0]
    assert f"after {MAX_ATTEMPTS} attempts" in note


def _tonight_at(hour: int, minute: int) -> datetime:
    tomorrow = datetime.now(LONDON).date() + timedelta(days=1)
    return datetime.combine(tomorrow, time(hour, minute), tzinfo=LONDON).astimezone(UTC)


def test_quiet_hours_hold_a_wellbeing_alert_until_morning_but_not_an_emergency(conn, homes, far_end,
                                                                               family_settings):
    home = homes[0]
    relative = add_relative(conn, home.resident_id, quiet=(time(22, 0), time(7, 0)))
    add_channel(conn, relative, "sms", "+447700900123")
    raise_alert(conn, home.home_id, "night_wandering", _now())
    raise_alert(conn, home.home_id, "fall", _now(), device_id="fall-1")
    late_evening = _tonight_at(23, 30)
    morning = datetime.combine(late_evening.astimezone(LONDON).date() + timedelta(days=1), time(7, 0),
                               tzinfo=LONDON).astimezone(UTC)

    run_outbox(conn, family_settings, late_evening)

    texts = [r.json()["text"] for r in far_end.state.sms_requests()]
    assert len(texts) == 1 and "fall detector" in texts[0]
    held = _one(conn, "SELECT status, hold_until FROM family_notifications n JOIN alerts a ON a.id = n.alert_id "
                      "WHERE a.kind = 'night_wandering'")
    assert held == ("held", morning)
    run_outbox(conn, family_settings, morning - timedelta(minutes=1))
    assert len(far_end.state.sms_requests()) == 1

    run_outbox(conn, family_settings, morning)

    assert len(far_end.state.sms_requests()) == 2
    assert "moving about" in far_end.state.sms_requests()[1].json()["text"]
    assert {r[1] for r in notifications(conn)} == {"sent"}


def test_a_held_message_is_dropped_if_the_alert_was_dealt_with_overnight(conn, homes, far_end, family_settings):
    home = homes[0]
    relative = add_relative(conn, home.resident_id, quiet=(time(22, 0), time(7, 0)))
    add_channel(conn, relative, "sms", "+447700900123")
    alert_id = raise_alert(conn, home.home_id, "door_open_night", _now())
    run_outbox(conn, family_settings, _tonight_at(23, 30))
    with conn.transaction():
        engine.act(conn, alert_id, Resolve("ops", _tonight_at(23, 45), outcome="resident_ok"))

    run_outbox(conn, family_settings, _tonight_at(23, 30) + timedelta(hours=12))

    assert far_end.state.sms_requests() == []
    assert _one(conn, "SELECT status, last_error FROM family_notifications")[0] == "skipped"


def test_no_consent_withdrawn_consent_other_kinds_and_technical_alerts_send_nothing(conn, homes, far_end,
                                                                                  family_settings):
    home = homes[0]
    for relative in (add_relative(conn, home.resident_id, name="No Consent", consent=False),
                     add_relative(conn, home.resident_id, name="Withdrawn", withdrawn=True),
                     add_relative(conn, home.resident_id, name="Smoke Only", alert_kinds=("smoke",))):
        add_channel(conn, relative, "sms", f"+4477009001{relative.id:02d}")
    raise_alert(conn, home.home_id, "fall", _now(), device_id="fall-1")
    raise_alert(conn, home.home_id, "battery_low", _now(), device_id="pendant-1")

    run_outbox(conn, family_settings, _now())

    assert far_end.state.requests == []
    assert notifications(conn) == []


def test_consent_withdrawn_while_a_message_waits_stops_it(conn, homes, far_end, family_settings):
    home = homes[0]
    relative = add_relative(conn, home.resident_id, quiet=(time(22, 0), time(7, 0)))
    add_channel(conn, relative, "sms", "+447700900123")
    raise_alert(conn, home.home_id, "missed_meal", _now())
    run_outbox(conn, family_settings, _tonight_at(23, 30))
    conn.execute("UPDATE family_members SET consent_withdrawn_at = %s", (_tonight_at(23, 40),))

    run_outbox(conn, family_settings, _tonight_at(23, 30) + timedelta(hours=12))

    assert far_end.state.requests == []
    assert _one(conn, "SELECT status FROM family_notifications") == ("skipped",)


def test_a_fan_out_repeated_after_a_crash_creates_no_second_message(conn, homes, far_end, family_settings):
    home = homes[0]
    relative = add_relative(conn, home.resident_id)
    add_channel(conn, relative, "sms", "+447700900123")
    alert_id = raise_alert(conn, home.home_id, "fall", _now(), device_id="fall-1")

    assert fanout.fan_out(conn, alert_id, _now()) == 1
    assert fanout.fan_out(conn, alert_id, _now()) == 0
    # The alert.raised row is claimed again as if its worker had died before settling it.
    conn.execute("UPDATE outbox SET status = 'pending' WHERE topic = 'alert.raised'")
    run_outbox(conn, family_settings, _now())
    conn.execute("UPDATE outbox SET status = 'pending' WHERE topic = 'alert.raised'")
    run_outbox(conn, family_settings, _now())

    assert len(far_end.state.sms_requests()) == 1
    assert _one(conn, "SELECT count(*) FROM family_notifications") == (1,)
    assert _one(conn, "SELECT count(*), min(dedup_key) FROM outbox WHERE topic = 'family.notify'") == \
        (1, f"family:{alert_id}:{relative.id}")


def test_each_relative_gets_their_own_message_in_their_own_language(conn, homes, smtp, far_end, family_settings):
    home = homes[1]
    son = add_relative(conn, home.resident_id, name="Tomasz Nowak", language="pl")
    add_channel(conn, son, "sms", "+447700900123")
    neighbour = add_relative(conn, home.resident_id, name="Ken Walsh", language="en")
    add_channel(conn, neighbour, "email", "ken@example.org")
    raise_alert(conn, home.home_id, "cold_home", _now())

    run_outbox(conn, family_settings, _now())

    [text] = [r.json()["text"] for r in far_end.state.sms_requests()]
    [email] = smtp.inbox.messages
    assert "bardzo zimno" in text
    assert "It has been very cold at Krysia's home" in email.get_content()
    assert email.get_content().startswith("Hello Ken,")
    assert sorted(notifications(conn)) == sorted([(son.id, "sent", "pl"), (neighbour.id, "sent", "en")])
