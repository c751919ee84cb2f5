"""Alert kinds → priorities and labels (alerts/model.py, design.md §3)."""

from __future__ import annotations

import pytest

from alerts.model import Priority, label_of, priority_of

# Written out from design.md §2 and §3 rather than imported, so a change to the code's sets shows up here.
DESIGN_ALARM_TYPES = ["pendant_press", "pull_cord", "fall", "smoke", "co", "flood", "heat_high", "bogus_caller"]
DESIGN_TECHNICAL_KINDS = ["device_silent", "battery_low", "tamper", "mains_fail", "unit_offline"]
DESIGN_BEHAVIOURAL_RISK_KINDS = [
    "no_activity_morning", "night_wandering", "door_open_night", "prolonged_bathroom", "missed_meal", "cold_home",
]


@pytest.mark.parametrize("kind", DESIGN_ALARM_TYPES)
def test_every_alarm_type_is_an_emergency(kind: str) -> None:
    assert priority_of(kind) is Priority.EMERGENCY


@pytest.mark.parametrize("kind", DESIGN_TECHNICAL_KINDS)
def test_every_technical_kind_is_technical_priority(kind: str) -> None:
    assert priority_of(kind) is Priority.TECHNICAL


@pytest.mark.parametrize("kind", DESIGN_BEHAVIOURAL_RISK_KINDS)
def test_behavioural_risk_kinds_are_urgent(kind: str) -> None:
    assert priority_of(kind) is Priority.URGENT


def test_priority_numbers_match_the_design() -> None:
    priorities = (Priority.EMERGENCY, Priority.URGENT, Priority.WELLBEING, Priority.TECHNICAL)

    assert [int(p) for p in priorities] == [1, 2, 3, 4]


@pytest.mark.parametrize(
    ("kind", "label"),
    [("pendant_press", "Pendant press"), ("co", "Carbon monoxide"), ("unit_offline", "Home unit offline")],
)
def test_known_kinds_have_their_own_label(kind: str, label: str) -> None:
    assert label_of(kind) == label


@pytest.mark.parametrize("kind", DESIGN_ALARM_TYPES + DESIGN_TECHNICAL_KINDS)
def test_every_alarm_and_technical_kind_has_a_readable_label(kind: str) -> None:
    label = label_of(kind)

    assert "_" not in label
    assert label[:1].isupper()


@pytest.mark.parametrize(
    ("kind", "label"),
    [("no_activity_morning", "No activity morning"), ("night_wandering", "Night wandering"), ("x", "X")],
)
def test_unknown_kinds_fall_back_to_a_label_made_from_the_kind(kind: str, label: str) -> None:
    assert label_of(kind) == label


def test_a_slow_trend_is_a_wellbeing_alert_not_an_urgent_one() -> None:
    assert priority_of("activity_decline") is Priority.WELLBEING
