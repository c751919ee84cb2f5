"""Alert kinds, priorities and outcome codes (design.md §3)."""

from __future__ import annotations

from enum import IntEnum, StrEnum

from ingest.contract import ALARM_TYPES


class Priority(IntEnum):
    EMERGENCY = 1  # alarm class
    URGENT = 2  # behavioural risk
    WELLBEING = 3  # trends
    TECHNICAL = 4


class Condition(StrEnum):
    ACTIVE = "active"
    CLEARED = "cleared"


class Handling(StrEnum):
    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


# Slow trends rather than acute risks: wellbeing priority (design.md §3).
WELLBEING_KINDS = frozenset({"activity_decline"})
TECHNICAL_KINDS = frozenset({"device_silent", "battery_low", "tamper", "mains_fail", "unit_offline", "home_flooding"})

# Technical event type -> the alert kind it raises; the "restored" events clear instead.
TECHNICAL_EVENT_RAISES = {"battery_low": "battery_low", "tamper": "tamper", "mains_fail": "mains_fail"}
TECHNICAL_EVENT_CLEARS = {"mains_restored": "mains_fail"}

OUTCOMES: dict[str, str] = {
    "false_alarm": "False alarm",
    "resident_ok": "Resident OK",
    "responder_sent": "Responder sent",
    "ambulance_called": "Ambulance called",
    "family_contacted": "Family contacted",
    "safeguarding_referral": "Safeguarding referral",
    "technical_fixed": "Technical fault fixed",
    "other": "Other (see note)",
}

KIND_LABELS: dict[str, str] = {
    "pendant_press": "Pendant press",
    "pull_cord": "Pull cord",
    "fall": "Fall detected",
    "smoke": "Smoke alarm",
    "co": "Carbon monoxide",
    "flood": "Flood",
    "heat_high": "High heat",
    "bogus_caller": "Bogus caller",
    "device_silent": "Device silent",
    "battery_low": "Low battery",
    "tamper": "Tamper",
    "mains_fail": "Mains power failed",
    "unit_offline": "Home unit offline",
    "home_flooding": "Home unit flooding",
}


def priority_of(kind: str) -> Priority:
    if kind in ALARM_TYPES:
        return Priority.EMERGENCY
    if kind in TECHNICAL_KINDS:
        return Priority.TECHNICAL
    if kind in WELLBEING_KINDS:
        return Priority.WELLBEING
    return Priority.URGENT


def label_of(kind: str) -> str:
    return KIND_LABELS.get(kind, kind.replace("_", " ").capitalize())
