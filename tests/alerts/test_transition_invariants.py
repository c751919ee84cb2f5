"""Invariants of the alert transition function: outbox topics, versions, immutability, escalation
timing, and any sequence of actions."""


from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alerts.model import OUTCOMES, Handling, Priority
from alerts.transitions import (
    Acknowledge,
    Action,
    Clear,
    Escalate,
    Note,
    Resolve,
    Transition,
    TransitionRefused,
    Trigger,
    escalation_due,
    transition,
)
from tests.alerts.lifecycle import ESCALATE_AFTER_S, T0, apply_all, at, raised, refusal_rule

# invariants ------------------------------------------------------------------------------------


TOPIC_CASES = [
    pytest.param((), Trigger("fall", Priority.EMERGENCY, at=at(1)), "alert.repeated", id="repeat"),
    pytest.param((), Clear(at(1), reason="gone"), "alert.cleared", id="clear"),
    pytest.param((), Acknowledge("alice", at(1)), "alert.acknowledged", id="acknowledge"),
    pytest.param((), Escalate(at(60)), "alert.escalated", id="escalate"),
    pytest.param((), Resolve("alice", at(1), outcome="false_alarm"), "alert.resolved", id="resolve"),
    pytest.param((), Note("alice", at(1), text="n"), "alert.noted", id="note"),
    pytest.param((Acknowledge("alice", at(1)),), Resolve("alice", at(2), outcome="resident_ok"), "alert.resolved",
                 id="resolve-after-acknowledge"),
]


@pytest.mark.parametrize(("history", "action", "topic"), TOPIC_CASES)
def test_each_transition_carries_its_outbox_topic_and_bumps_version_by_one(
    history: tuple[Action, ...], action: Action, topic: str
) -> None:
    before = apply_all(raised(kind="fall"), *history)

    change = transition(before, action)

    assert change.topic == topic
    assert change.before is before
    assert change.after is not before
    assert change.after.version == before.version + 1
    assert change.at == action.at


@pytest.mark.parametrize(("history", "action", "topic"), TOPIC_CASES)
def test_transition_never_mutates_the_state_it_was_given(
    history: tuple[Action, ...], action: Action, topic: str
) -> None:
    before = apply_all(raised(kind="fall"), *history)
    snapshot = dataclasses.asdict(before)

    transition(before, action)

    assert dataclasses.asdict(before) == snapshot


def test_alert_state_is_frozen() -> None:
    state = raised()

    with pytest.raises(dataclasses.FrozenInstanceError):
        state.repeat_count = 5  # type: ignore[misc]


def test_a_refused_action_leaves_the_state_untouched() -> None:
    state = apply_all(raised(), Acknowledge("alice", at(5)))
    snapshot = dataclasses.asdict(state)

    refusal_rule(state, Acknowledge("bob", at(6)))

    assert dataclasses.asdict(state) == snapshot


# escalation_due --------------------------------------------------------------------------------


def test_escalation_is_due_exactly_at_the_limit_and_not_before() -> None:
    state = raised()

    assert not escalation_due(state, at(ESCALATE_AFTER_S - 0.001), ESCALATE_AFTER_S)
    assert escalation_due(state, at(ESCALATE_AFTER_S), ESCALATE_AFTER_S)


def test_escalation_is_due_again_one_period_after_the_last_escalation() -> None:
    escalated = apply_all(raised(), Escalate(at(70)))

    assert not escalation_due(escalated, at(70 + ESCALATE_AFTER_S - 0.001), ESCALATE_AFTER_S)
    assert escalation_due(escalated, at(70 + ESCALATE_AFTER_S), ESCALATE_AFTER_S)


def test_escalation_is_never_due_once_acknowledged() -> None:
    acknowledged = apply_all(raised(), Acknowledge("alice", at(10)))

    assert not escalation_due(acknowledged, at(10_000), ESCALATE_AFTER_S)


@pytest.mark.parametrize("priority", [Priority.URGENT, Priority.WELLBEING, Priority.TECHNICAL])
def test_escalation_is_never_due_for_a_non_emergency(priority: Priority) -> None:
    state = raised(kind="no_activity_morning", priority=priority)

    assert not escalation_due(state, at(10_000), ESCALATE_AFTER_S)


# property: any sequence of actions -------------------------------------------------------------

ACTION_KINDS = ("trigger", "clear", "acknowledge", "escalate", "resolve", "note")
STEPS = st.lists(
    st.tuples(
        st.sampled_from(ACTION_KINDS),
        st.sampled_from(["alice", "bob", "hub"]),
        st.sampled_from(list(Priority)),
        st.sampled_from([*OUTCOMES, "", "bogus"]),
        st.sampled_from(["", "  ", "a note"]),
    ),
    max_size=25,
)


def build_action(step: int, kind: str, actor: str, priority: Priority, outcome: str, text: str) -> Action:
    moment = at(60.0 * (step + 1))
    match kind:
        case "trigger":
            return Trigger("fall", priority, at=moment, explanation=text)
        case "clear":
            return Clear(moment, reason="gone", actor=actor)
        case "acknowledge":
            return Acknowledge(actor, moment)
        case "escalate":
            return Escalate(moment, actor=actor)
        case "resolve":
            return Resolve(actor, moment, outcome=outcome, note=text)
        case _:
            return Note(actor, moment, text=text)


@given(initial_priority=st.sampled_from(list(Priority)), steps=STEPS)
def test_any_action_sequence_keeps_version_and_repeat_count_consistent(
    initial_priority: Priority, steps: list[tuple[str, str, Priority, str, str]]
) -> None:
    actions = [build_action(i, *step) for i, step in enumerate(steps)]
    state = transition(None, Trigger("fall", initial_priority, at=T0)).after
    accepted = 0
    triggers_before_resolution = 1
    for action in actions:
        if isinstance(action, Trigger) and state.handling is not Handling.RESOLVED:
            triggers_before_resolution += 1
        try:
            change: Transition = transition(state, action)
        except TransitionRefused:
            continue
        assert change.before is state
        assert change.after.version == state.version + 1
        accepted += 1
        state = change.after

    assert state.version == 1 + accepted
    assert state.repeat_count == triggers_before_resolution
