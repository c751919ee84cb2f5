"""The pure alert lifecycle (alerts/transitions.py): every named rule, its refusals, and its invariants."""


from __future__ import annotations

import dataclasses

import pytest

from alerts.model import OUTCOMES, Condition, Handling, Priority
from alerts.transitions import (
    Acknowledge,
    Action,
    Clear,
    Escalate,
    Note,
    Resolve,
    TransitionRefused,
    Trigger,
    transition,
)
from tests.alerts.lifecycle import T0, apply_all, at, raised, refusal_rule

# open_new --------------------------------------------------------------------------------------


def test_open_new_creates_a_new_active_alert_with_repeat_count_one() -> None:
    event_ts = at(-2)
    change = transition(
        None, Trigger("fall", Priority.EMERGENCY, at=T0, event_ts=event_ts, explanation="fall sensor", actor="ingest")
    )

    assert change.rule == "open_new"
    assert change.action == "raise"
    assert change.topic == "alert.raised"
    assert change.before is None
    assert (change.actor, change.at) == ("ingest", T0)
    after = change.after
    assert after.kind == "fall"
    assert after.priority is Priority.EMERGENCY
    assert after.condition is Condition.ACTIVE
    assert after.handling is Handling.NEW
    assert after.repeat_count == 1
    assert after.version == 1
    assert after.escalation_level == 0
    assert after.raised_at == T0 and after.updated_at == T0
    assert after.first_event_ts == event_ts and after.last_event_ts == event_ts
    assert after.explanation == "fall sensor"
    assert after.acknowledged_at is None and after.resolved_at is None and after.cleared_at is None


# repeat ----------------------------------------------------------------------------------------


def test_repeat_increments_repeat_count_and_version_and_updates_explanation_and_last_event_ts() -> None:
    first_event, second_event = at(-5), at(25)
    state = raised(explanation="first press", event_ts=first_event)

    repeat = Trigger("pendant_press", Priority.EMERGENCY, at=at(30), event_ts=second_event, explanation="pressed again")
    change = transition(state, repeat)

    assert change.rule == "repeat"
    assert change.topic == "alert.repeated"
    assert change.detail == {"repeat_count": 2}
    after = change.after
    assert after.repeat_count == 2
    assert after.version == 2
    assert after.updated_at == at(30)
    assert after.raised_at == T0
    assert after.explanation == "pressed again"
    assert after.first_event_ts == first_event
    assert after.last_event_ts == second_event


def test_repeat_without_new_explanation_or_event_ts_keeps_the_previous_ones() -> None:
    state = raised(explanation="first press", event_ts=at(-5))

    after = transition(state, Trigger("pendant_press", Priority.EMERGENCY, at=at(30))).after

    assert after.explanation == "first press"
    assert after.last_event_ts == at(-5)


def test_repeat_reactivates_a_cleared_alert_and_resets_cleared_at() -> None:
    cleared = apply_all(raised(kind="mains_fail", priority=Priority.TECHNICAL), Clear(at(10), reason="restored"))
    assert cleared.cleared_at == at(10)

    change = transition(cleared, Trigger("mains_fail", Priority.TECHNICAL, at=at(20)))

    assert change.rule == "repeat"
    assert change.after.condition is Condition.ACTIVE
    assert change.after.cleared_at is None
    assert change.detail.get("reactivated") is True
    assert change.after.repeat_count == 2


def test_repeat_of_an_active_alert_is_not_reported_as_reactivation() -> None:
    change = transition(raised(), Trigger("pendant_press", Priority.EMERGENCY, at=at(5)))

    assert "reactivated" not in change.detail


def test_repeat_leaves_an_acknowledged_alert_acknowledged() -> None:
    acknowledged = apply_all(raised(), Acknowledge("alice", at(5)))

    after = transition(acknowledged, Trigger("pendant_press", Priority.EMERGENCY, at=at(10))).after

    assert after.handling is Handling.ACKNOWLEDGED
    assert after.acknowledged_by == "alice"


# clear -----------------------------------------------------------------------------------------


def test_clear_marks_the_condition_cleared_and_leaves_handling_for_the_operator() -> None:
    change = transition(raised(), Clear(at(15), reason="smoke gone", actor="ingest"))

    assert change.rule == "clear"
    assert change.action == "clear"
    assert change.topic == "alert.cleared"
    assert change.detail == {"reason": "smoke gone"}
    assert change.actor == "ingest"
    assert change.after.condition is Condition.CLEARED
    assert change.after.cleared_at == at(15)
    assert change.after.handling is Handling.NEW
    assert change.after.version == 2


def test_clear_refuses_an_alert_that_has_already_cleared() -> None:
    cleared = apply_all(raised(), Clear(at(15), reason="gone"))

    assert refusal_rule(cleared, Clear(at(20), reason="gone again")) == "already_cleared"


# acknowledge -----------------------------------------------------------------------------------


def test_acknowledge_records_who_and_when() -> None:
    change = transition(raised(), Acknowledge("alice", at(12)))

    assert change.rule == "acknowledge"
    assert change.topic == "alert.acknowledged"
    assert change.actor == "alice"
    assert change.after.handling is Handling.ACKNOWLEDGED
    assert change.after.acknowledged_by == "alice"
    assert change.after.acknowledged_at == at(12)
    assert change.after.condition is Condition.ACTIVE


def test_acknowledge_refuses_a_second_acknowledgement_and_names_who_took_it() -> None:
    acknowledged = apply_all(raised(), Acknowledge("alice", at(12)))

    with pytest.raises(TransitionRefused, match="alice") as refused:
        transition(acknowledged, Acknowledge("bob", at(13)))

    assert refused.value.rule == "already_acknowledged"


# escalate --------------------------------------------------------------------------------------


def test_escalate_raises_the_level_and_stamps_escalated_at_each_time() -> None:
    first = transition(raised(), Escalate(at(60)))

    assert first.rule == "escalate"
    assert first.topic == "alert.escalated"
    assert first.detail == {"level": 1}
    assert first.after.escalation_level == 1
    assert first.after.escalated_at == at(60)
    assert first.after.handling is Handling.NEW

    second = transition(first.after, Escalate(at(120)))

    assert second.detail == {"level": 2}
    assert second.after.escalation_level == 2
    assert second.after.escalated_at == at(120)


def test_escalate_is_refused_once_acknowledged() -> None:
    acknowledged = apply_all(raised(), Acknowledge("alice", at(30)))

    assert refusal_rule(acknowledged, Escalate(at(60))) == "escalate_only_unacknowledged"


@pytest.mark.parametrize("priority", [Priority.URGENT, Priority.WELLBEING, Priority.TECHNICAL])
def test_escalate_is_refused_for_anything_but_an_emergency(priority: Priority) -> None:
    state = raised(kind="no_activity_morning", priority=priority)

    assert refusal_rule(state, Escalate(at(600))) == "escalate_only_emergencies"


# resolve ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("outcome", ["", "fixed_itself", "FALSE_ALARM"])
def test_resolve_needs_a_known_outcome_code(outcome: str) -> None:
    assert refusal_rule(raised(), Resolve("alice", at(40), outcome=outcome)) == "outcome_required"


@pytest.mark.parametrize("note", ["", "   \n"])
def test_resolve_with_outcome_other_needs_a_note(note: str) -> None:
    assert refusal_rule(raised(), Resolve("alice", at(40), outcome="other", note=note)) == "note_required_for_other"


def test_resolve_with_outcome_other_and_a_note_is_accepted() -> None:
    after = transition(raised(), Resolve("alice", at(40), outcome="other", note="neighbour pressed it")).after

    assert after.outcome == "other"
    assert after.resolution_note == "neighbour pressed it"


@pytest.mark.parametrize("outcome", sorted(set(OUTCOMES) - {"other"}))
def test_resolve_accepts_every_outcome_code_without_a_note(outcome: str) -> None:
    change = transition(raised(), Resolve("alice", at(40), outcome=outcome))

    assert change.rule == "resolve"
    assert change.topic == "alert.resolved"
    assert change.detail == {"outcome": outcome, "note": ""}
    assert change.after.handling is Handling.RESOLVED
    assert change.after.outcome == outcome
    assert change.after.resolution_note is None


def test_resolve_records_resolver_and_time() -> None:
    acknowledged = apply_all(raised(), Acknowledge("alice", at(10)))

    after = transition(acknowledged, Resolve("bob", at(40), outcome="resident_ok", note="spoke to her")).after

    assert after.handling is Handling.RESOLVED
    assert after.resolved_by == "bob"
    assert after.resolved_at == at(40)
    assert after.resolution_note == "spoke to her"
    assert (after.acknowledged_by, after.acknowledged_at) == ("alice", at(10))


def test_resolving_straight_from_new_records_the_resolver_as_acknowledger() -> None:
    after = transition(raised(), Resolve("carol", at(45), outcome="false_alarm")).after

    assert after.acknowledged_by == "carol"
    assert after.acknowledged_at == at(45)


def test_resolve_leaves_the_condition_as_it_was() -> None:
    cleared = apply_all(raised(), Clear(at(5), reason="gone"))

    assert transition(cleared, Resolve("alice", at(40), outcome="false_alarm")).after.condition is Condition.CLEARED


RESOLVED_REFUSES = [
    pytest.param(Trigger("pendant_press", Priority.EMERGENCY, at=at(100)), id="trigger"),
    pytest.param(Clear(at(100), reason="gone"), id="clear"),
    pytest.param(Acknowledge("bob", at(100)), id="acknowledge"),
    pytest.param(Escalate(at(100)), id="escalate"),
    pytest.param(Resolve("bob", at(100), outcome="false_alarm"), id="resolve"),
    pytest.param(Note("bob", at(100), text="late note"), id="note"),
]


@pytest.mark.parametrize("action", RESOLVED_REFUSES)
def test_a_resolved_alert_refuses_every_action(action: Action) -> None:
    resolved = apply_all(raised(), Resolve("alice", at(40), outcome="resident_ok"))

    assert refusal_rule(resolved, action) == "resolved_is_final"


# add_note --------------------------------------------------------------------------------------


def test_add_note_changes_only_version_and_updated_at() -> None:
    state = apply_all(raised(explanation="why"), Acknowledge("alice", at(10)))

    change = transition(state, Note("alice", at(20), text="called daughter"))

    assert change.rule == "add_note"
    assert change.action == "note"
    assert change.topic == "alert.noted"
    assert change.detail == {"note": "called daughter"}
    assert change.after == dataclasses.replace(state, version=state.version + 1, updated_at=at(20))


@pytest.mark.parametrize("text", ["", "  \t\n"])
def test_add_note_refuses_an_empty_note(text: str) -> None:
    assert refusal_rule(raised(), Note("alice", at(20), text=text)) == "note_empty"


# no alert --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "action",
    [
        pytest.param(Clear(T0, reason="gone"), id="clear"),
        pytest.param(Acknowledge("alice", T0), id="acknowledge"),
        pytest.param(Escalate(T0), id="escalate"),
        pytest.param(Resolve("alice", T0, outcome="false_alarm"), id="resolve"),
        pytest.param(Note("alice", T0, text="hello"), id="note"),
    ],
)
def test_anything_but_a_trigger_without_an_alert_is_refused_as_no_alert(action: Action) -> None:
    assert refusal_rule(None, action) == "no_alert"


