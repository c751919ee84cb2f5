"""The family rules of the pure transition function: family_told, family_answer, family_cannot_help and
family_timeout (alerts/transitions.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from alerts.model import Handling, Priority
from alerts.transitions import (
    Acknowledge,
    FamilyAnswer,
    FamilyTimeout,
    FamilyTold,
    Resolve,
    transition,
)
from tests.alerts.lifecycle import apply_all, at, raised, refusal_rule

TIMEOUT = timedelta(minutes=30)


def wellbeing(kind: str = "no_activity_morning", priority: Priority = Priority.URGENT):
    return raised(kind=kind, priority=priority)


def told(state, seconds: float = 10, due: bool = True):
    return transition(state, FamilyTold(at=at(seconds), relative="family:3", channel="sms",
                                        answer_due=at(seconds) + TIMEOUT if due else None))


def test_telling_a_relative_about_a_wellbeing_alert_starts_waiting_for_their_answer() -> None:
    change = told(wellbeing())

    assert change.rule == "family_told"
    assert change.topic == "alert.family_told"
    assert change.after.family_answer_due == at(10) + TIMEOUT
    assert change.after.handling is Handling.NEW
    assert change.detail == {"relative": "family:3", "channel": "sms", "answer_due": at(10) + TIMEOUT}


def test_a_second_relative_told_does_not_push_the_answer_back() -> None:
    first = told(wellbeing(), seconds=10).after

    second = told(first, seconds=300)

    assert second.after.family_answer_due == at(10) + TIMEOUT
    assert "answer_due" not in second.detail


def test_telling_a_relative_about_an_emergency_never_waits_for_them() -> None:
    change = told(raised(kind="fall", priority=Priority.EMERGENCY))

    assert change.rule == "family_told"
    assert change.after.family_answer_due is None


@pytest.mark.parametrize("answer", ["going_round", "all_fine"])
def test_an_answer_is_audited_and_the_alert_stops_waiting(answer: str) -> None:
    state = apply_all(wellbeing(), Acknowledge("alice", at(5)),
                      FamilyTold(at=at(10), relative="family:3", channel="sms", answer_due=at(10) + TIMEOUT))

    change = transition(state, FamilyAnswer(actor="family:3", at=at(60), answer=answer, note="on my way"))

    assert (change.rule, change.action, change.actor) == ("family_answer", "family_answer", "family:3")
    assert change.detail == {"answer": answer, "note": "on my way"}
    assert change.after.family_answer_due is None
    assert change.after.handling is Handling.ACKNOWLEDGED, "the operator still holds it"
    assert change.after.version == state.version + 1


def test_cannot_help_puts_the_alert_straight_back_at_the_top_of_the_queue() -> None:
    state = apply_all(wellbeing(), Acknowledge("alice", at(5)),
                      FamilyTold(at=at(10), relative="family:3", channel="sms", answer_due=at(10) + TIMEOUT))

    change = transition(state, FamilyAnswer(actor="family:3", at=at(60), answer="cannot_help"))

    assert change.rule == "family_cannot_help"
    assert change.topic == "alert.requeued"
    assert change.after.handling is Handling.NEW
    assert change.after.requeued_at == at(60)
    assert (change.after.acknowledged_by, change.after.acknowledged_at) == (None, None)
    assert change.after.family_answer_due is None


def test_relatives_do_not_answer_emergencies() -> None:
    state = raised(kind="fall", priority=Priority.EMERGENCY)

    assert refusal_rule(state, FamilyAnswer(actor="family:3", at=at(60), answer="going_round")) == \
        "family_answer_wellbeing_only"


def test_an_unknown_answer_is_refused() -> None:
    assert refusal_rule(wellbeing(), FamilyAnswer(actor="family:3", at=at(60), answer="maybe")) == \
        "family_answer_unknown"


def test_an_answer_to_a_resolved_alert_is_refused() -> None:
    state = apply_all(wellbeing(), Resolve("alice", at(30), outcome="resident_ok"))

    assert refusal_rule(state, FamilyAnswer(actor="family:3", at=at(60), answer="all_fine")) == "resolved_is_final"


def test_no_answer_in_time_requeues_an_acknowledged_alert() -> None:
    state = apply_all(wellbeing(), Acknowledge("alice", at(5)),
                      FamilyTold(at=at(10), relative="family:3", channel="email", answer_due=at(10) + TIMEOUT))
    late = at(10) + TIMEOUT

    change = transition(state, FamilyTimeout(at=late, waited_s=TIMEOUT.total_seconds()))

    assert (change.rule, change.action, change.topic) == ("family_timeout", "requeue", "alert.requeued")
    assert change.after.handling is Handling.NEW
    assert change.after.requeued_at == late
    assert change.after.family_answer_due is None
    assert change.after.escalation_level == state.escalation_level
    assert change.detail["reason"] == "no family answer within 30 min; back in the queue"


def test_no_answer_in_time_marks_an_untouched_alert_requeued_too() -> None:
    state = told(wellbeing(), seconds=10).after

    change = transition(state, FamilyTimeout(at=at(10) + TIMEOUT, waited_s=1800))

    assert change.after.handling is Handling.NEW
    assert change.after.requeued_at == at(10) + TIMEOUT


def test_the_timeout_waits_for_the_due_time_and_for_a_pending_question() -> None:
    asked = told(wellbeing(), seconds=10).after

    assert refusal_rule(asked, FamilyTimeout(at=at(10) + TIMEOUT - timedelta(seconds=1), waited_s=1800)) == \
        "family_answer_not_due"
    assert refusal_rule(wellbeing(), FamilyTimeout(at=at(9999), waited_s=1800)) == "family_answer_not_due"


def test_requeueing_never_touches_the_escalation_level() -> None:
    state = replace(told(wellbeing(), seconds=10).after, escalation_level=2)

    timed_out = transition(state, FamilyTimeout(at=at(10) + TIMEOUT, waited_s=1800))
    cannot_help = transition(state, FamilyAnswer(actor="family:3", at=at(60), answer="cannot_help"))

    assert timed_out.after.escalation_level == 2
    assert cannot_help.after.escalation_level == 2
