"""The outbox worker's pure helpers: who is told (channels_for), what they read (describe), when to retry."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from alerts.outbox import backoff, channels_for, describe
from hub.settings import Settings

SETTINGS_ENV = ("DATABASE_URL", "MQTT_URL", "HUB_SECRET_KEY", "MQTT_PASSWORD", "HUB_ENV", "NOTIFY_WEBHOOK_URL")
NON_ESCALATION_TOPICS = ["alert.raised", "alert.repeated", "alert.cleared", "alert.acknowledged", "alert.resolved",
                         "alert.noted"]
RESIDENT_NAME = "Margaret Thompson"


@pytest.fixture(autouse=True)
def isolated_settings_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in SETTINGS_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def escalation_payload(level: int = 2, **extra: object) -> dict[str, object]:
    """Shaped like the outbox row alerts/engine.py writes."""
    return {
        "alert_id": 917, "home_id": "home-0042", "device_id": "pendant-1", "kind": "pendant_press", "priority": 1,
        "version": 4, "action": "escalate", "actor": "hub", "at": "2026-11-23T07:42:12+00:00",
        "detail": {"level": level}, **extra,
    }


# channels_for ----------------------------------------------------------------------------------


def test_escalations_go_to_the_log_only_when_no_webhook_is_configured() -> None:
    assert channels_for("alert.escalated", Settings(notify_webhook_url=None)) == ["log"]


def test_escalations_also_go_to_the_webhook_when_one_is_configured() -> None:
    settings = Settings(notify_webhook_url="https://pager.example.org/hook")

    assert sorted(channels_for("alert.escalated", settings)) == ["log", "webhook"]


@pytest.mark.parametrize("topic", NON_ESCALATION_TOPICS)
def test_other_changes_notify_no_channel(topic: str) -> None:
    assert channels_for(topic, Settings(notify_webhook_url="https://pager.example.org/hook")) == []


# describe --------------------------------------------------------------------------------------


def test_escalation_text_names_the_home_level_kind_and_alert() -> None:
    text = describe("alert.escalated", escalation_payload(level=3))

    assert "home-0042" in text
    assert "level 3" in text
    assert "Pendant press" in text
    assert "917" in text


def test_escalation_text_never_repeats_a_resident_name_even_if_the_payload_carried_one() -> None:
    payload = escalation_payload(resident_name=RESIDENT_NAME, resident={"name": RESIDENT_NAME})

    assert RESIDENT_NAME not in describe("alert.escalated", payload)


@pytest.mark.parametrize("topic", NON_ESCALATION_TOPICS)
def test_other_change_text_names_home_and_action_without_a_resident_name(topic: str) -> None:
    payload = {**escalation_payload(resident_name=RESIDENT_NAME), "action": "acknowledge", "detail": {}}

    text = describe(topic, payload)

    assert "home-0042" in text
    assert "acknowledge" in text
    assert "ESCALATION" not in text
    assert RESIDENT_NAME not in text


# backoff ---------------------------------------------------------------------------------------


def test_backoff_starts_at_five_seconds_and_doubles() -> None:
    assert [backoff(n) for n in (1, 2, 3, 4)] == [timedelta(seconds=s) for s in (5, 10, 20, 40)]


def test_backoff_never_shrinks_and_is_capped_at_ten_minutes() -> None:
    delays = [backoff(n) for n in range(1, 40)]

    assert delays == sorted(delays)
    assert max(delays) == timedelta(seconds=600)
    assert backoff(8) == timedelta(seconds=600)
    assert backoff(39) == timedelta(seconds=600)
