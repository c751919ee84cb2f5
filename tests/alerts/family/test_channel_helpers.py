"""The channels' pure parts: reading SMTP_URL, the deterministic Message-ID, push subscriptions and topics."""

from __future__ import annotations

import json

import pytest

from alerts.channels import DeliveryError, Message
from alerts.channels.email import build_email, message_id, parse_smtp_url
from alerts.channels.webpush import application_server_key, parse_subscription, topic_for
from hub.settings import Settings
from tests.alerts.family.servers import vapid_private_key


def test_smtp_url_plain_starttls_ssl_and_credentials() -> None:
    plain = parse_smtp_url("smtp://mail.example")
    starttls = parse_smtp_url("smtp://user%40council:p%3Ass@mail.example:2525?starttls=1")
    smtps = parse_smtp_url("smtps://mail.example")
    ssl_flag = parse_smtp_url("smtp://mail.example:4650?ssl=true")

    assert (plain.host, plain.port, plain.security, plain.username) == ("mail.example", 25, "plain", None)
    assert (starttls.port, starttls.security, starttls.username, starttls.password) == \
        (2525, "starttls", "user@council", "p:ss")
    assert (smtps.port, smtps.security) == (465, "ssl")
    assert (ssl_flag.port, ssl_flag.security) == (4650, "ssl")
    assert parse_smtp_url("smtp://mail.example?starttls=1").port == 587


@pytest.mark.parametrize("url", ["http://mail.example", "smtp://", "mail.example:25"])
def test_a_bad_smtp_url_is_refused(url: str) -> None:
    with pytest.raises(ValueError):
        parse_smtp_url(url)


def test_message_id_is_the_same_for_the_same_notification() -> None:
    settings = Settings(smtp_from="Response centre <alerts@council.example>")

    assert message_id("hub-family-42", settings) == "<hub-family-42@council.example>"
    assert message_id("hub-family-42", settings) == message_id("hub-family-42", settings)


def test_the_email_carries_language_and_no_auto_replies() -> None:
    message = Message(1, "family.notify", {"to": "a@example.org", "subject": "Telecare alarm: Amina",
                                            "body": "Amina-এর ...", "idempotency_key": "hub-family-9",
                                            "language": "bn"}, "")
    email = build_email(message, Settings(smtp_from="Centre <c@council.example>"))

    assert email["Content-Language"] == "bn"
    assert email["Message-ID"] == "<hub-family-9@council.example>"
    assert email["Auto-Submitted"] == "auto-generated"
    assert "Amina-এর" in email.get_content()


def test_push_topic_fits_rfc_8030() -> None:
    topic = topic_for("hub-family-1234567890123456789012345678901234")

    assert len(topic) <= 32
    assert set(topic) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


@pytest.mark.parametrize("address", ["not json", "[]", json.dumps({"endpoint": "https://push.example/x"}),
                                     json.dumps({"endpoint": "", "keys": {"p256dh": "a", "auth": "b"}})])
def test_a_broken_subscription_is_a_permanent_error(address: str) -> None:
    with pytest.raises(DeliveryError) as error:
        parse_subscription(address)
    assert error.value.permanent


def test_the_browser_gets_the_public_half_of_the_vapid_key() -> None:
    key = application_server_key(vapid_private_key())

    assert key is not None and len(key) == 87  # 65-byte uncompressed P-256 point, base64url without padding
    assert application_server_key("") is None
    assert application_server_key("not-a-key") is None
