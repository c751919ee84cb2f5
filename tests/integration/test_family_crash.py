"""Killing `hub alerts` right after the far end accepted a family message (failpoint family.after_send) sends
no duplicate: the SMS gateway sees the same idempotency key again and delivers once; an email is never resent
and is marked 'uncertain', with a note on the alert so an operator can phone."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from alerts.outbox import CLAIM_TIMEOUT
from hub.failpoints import CRASH_EXIT_CODE
from hub.settings import Settings
from tests.alerts.family.rows import add_channel, add_relative, raise_alert, run_outbox
from tests.alerts.family.servers import HttpFarEnd, SmtpServer

pytestmark = pytest.mark.integration


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


@pytest.fixture
def far_end() -> Iterator[HttpFarEnd]:
    with HttpFarEnd() as server:
        yield server


def _crash_after_send(db_url: str, settings: Settings, log_path: Path) -> None:
    """Run the real `hub alerts` process until it dies at the failpoint."""
    env = {**os.environ, "DATABASE_URL": db_url, "HUB_ENV": "development", "HUB_FAILPOINT": "family.after_send",
           "SMTP_URL": settings.smtp_url or "", "SMS_GATEWAY_URL": settings.sms_gateway_url or "",
           "SMS_GATEWAY_TOKEN": settings.sms_gateway_token, "PUBLIC_BASE_URL": settings.public_base_url,
           "SCORE_EVERY_S": "3600", "NOTIFY_WEBHOOK_URL": "", "FHIR_BASE_URL": ""}
    with log_path.open("w") as log:
        process = subprocess.Popen([sys.executable, "-m", "hub", "alerts"], env=env, stdout=subprocess.DEVNULL,
                                   stderr=log)
        try:
            code = process.wait(timeout=90)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
            raise AssertionError("hub alerts never reached the failpoint:\n" + log_path.read_text()[-3000:]) from None
    assert code == CRASH_EXIT_CODE, log_path.read_text()[-3000:]
    assert "failpoint family.after_send" in log_path.read_text()


def _after_the_claim_went_stale() -> datetime:
    return datetime.now(UTC) + CLAIM_TIMEOUT + timedelta(seconds=5)


def test_sms_resent_after_a_crash_reaches_the_phone_once(conn, db_url, homes, far_end, tmp_path):
    settings = Settings(sms_gateway_url=far_end.sms_url, sms_gateway_token="gateway-token",
                        public_base_url="https://hub.example.org")
    home = homes[0]
    relative = add_relative(conn, home.resident_id)
    add_channel(conn, relative, "sms", "+447700900123")
    alert_id = raise_alert(conn, home.home_id, "no_activity_morning", datetime.now(UTC))

    _crash_after_send(db_url, settings, tmp_path / "alerts.log")

    assert len(far_end.state.sms_delivered) == 1, "the gateway had the text when the worker died"
    [(notification_id, status)] = conn.execute("SELECT id, status FROM family_notifications").fetchall()
    assert status == "sending"
    run_outbox(conn, settings, _after_the_claim_went_stale())

    keys = [r.headers["idempotency-key"] for r in far_end.state.sms_requests()]
    assert keys == [f"hub-family-{notification_id}"] * 2, "resent once, with the same key"
    assert len(far_end.state.sms_delivered) == 1, "and the phone got it once"
    assert conn.execute("SELECT status FROM family_notifications").fetchone() == ("sent",)
    assert conn.execute("SELECT channel, attempt, ok FROM delivery_log WHERE channel = 'sms'").fetchall() == \
        [("sms", 2, True)]
    rules = [r[0] for r in conn.execute("SELECT rule FROM alert_audit WHERE alert_id = %s ORDER BY id", (alert_id,))]
    assert rules == ["open_new", "family_told"]


def test_email_interrupted_by_a_crash_is_not_resent_but_marked_uncertain(conn, db_url, homes, smtp, tmp_path):
    settings = Settings(smtp_url=smtp.url, public_base_url="https://hub.example.org")
    home = homes[0]
    relative = add_relative(conn, home.resident_id, name="Rahima Begum")
    add_channel(conn, relative, "email", "rahima@example.org")
    alert_id = raise_alert(conn, home.home_id, "no_activity_morning", datetime.now(UTC))

    _crash_after_send(db_url, settings, tmp_path / "alerts.log")

    assert len(smtp.inbox.messages) == 1
    run_outbox(conn, settings, _after_the_claim_went_stale())
    run_outbox(conn, settings, _after_the_claim_went_stale() + timedelta(hours=1))

    assert len(smtp.inbox.messages) == 1, "SMTP does not deduplicate: never sent again"
    status, last_error = conn.execute("SELECT status, last_error FROM family_notifications").fetchone()
    assert status == "uncertain"
    assert "may or may not have arrived" in last_error
    [(ok, permanent, error)] = conn.execute(
        "SELECT ok, permanent, error FROM delivery_log WHERE channel = 'email'").fetchall()
    assert (ok, permanent) == (False, True) and error.startswith("uncertain:")
    assert conn.execute("SELECT status FROM outbox WHERE topic = 'family.notify'").fetchone() == ("failed",)
    note = conn.execute("SELECT detail->>'note' FROM alert_audit WHERE alert_id = %s AND rule = 'add_note'",
                        (alert_id,)).fetchone()[0]
    assert "Rahima" in note and "Please phone them" in note
    assert conn.execute("SELECT enabled FROM family_channels").fetchone() == (True,), \
        "the address is not known to be wrong"
