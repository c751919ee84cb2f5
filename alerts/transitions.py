"""The whole alert lifecycle as one pure function: `transition(state, action) -> Transition`.

No I/O and no clock: every action carries its own time and actor, so each named rule is unit-testable.
Two axes, as in design.md §3: condition (active | cleared) and handling (new | acknowledged | resolved).

Rules, by name:
- open_new:            no unresolved alert for the key + Trigger → new, active, repeat 1
- repeat:              unresolved + Trigger → repeat_count + 1, re-activated if it had cleared
- clear:               active + Clear → cleared (handling unchanged; an operator still resolves it)
- acknowledge:         new + Acknowledge → acknowledged
- escalate:            new emergency + Escalate → escalation_level + 1 (again each period until acknowledged)
- resolve:             new | acknowledged + Resolve(outcome) → resolved (terminal)
- add_note:            unresolved + Note → unchanged state, the note goes to the audit trail
- family_told:         unresolved + FamilyTold → a relative was sent a message; an urgent or wellbeing alert
                       starts waiting for their answer (family_answer_due), once
- family_answer:       urgent/wellbeing + FamilyAnswer(going_round | all_fine) → the answer is audited and the
                       alert stops waiting for one
- family_cannot_help:  urgent/wellbeing + FamilyAnswer(cannot_help) → back to new at the top of the queue
- family_timeout:      answer due and passed + FamilyTimeout → back to new at the top of the queue (requeued_at),
                       escalation level untouched
Anything else is refused with the rule that refused it, e.g. resolved_is_final.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from alerts.model import OUTCOMES, Condition, Handling, Priority


@dataclass(frozen=True)
class AlertState:
    kind: str
    priority: Priority
    condition: Condition
    handling: Handling
    repeat_count: int
    raised_at: datetime
    updated_at: datetime
    version: int = 1
    escalation_level: int = 0
    explanation: str = ""
    first_event_ts: datetime | None = None
    last_event_ts: datetime | None = None
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    escalated_at: datetime | None = None
    cleared_at: datetime | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    outcome: str | None = None
    resolution_note: str | None = None
    family_answer_due: datetime | None = None  # relatives were asked; the alert comes back if nobody answers
    requeued_at: datetime | None = None  # came back to the queue unanswered: shown at the top of its priority


# Actions ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Trigger:
    kind: str
    priority: Priority
    at: datetime
    event_ts: datetime | None = None
    explanation: str = ""
    actor: str = "hub"


@dataclass(frozen=True)
class Clear:
    at: datetime
    reason: str
    actor: str = "hub"


@dataclass(frozen=True)
class Acknowledge:
    actor: str
    at: datetime


@dataclass(frozen=True)
class Escalate:
    at: datetime
    actor: str = "hub"


@dataclass(frozen=True)
class Resolve:
    actor: str
    at: datetime
    outcome: str
    note: str = ""


@dataclass(frozen=True)
class Note:
    actor: str
    at: datetime
    text: str


@dataclass(frozen=True)
class FamilyTold:
    """A relative was sent a message about the alert; `answer_due` is set when their answer is awaited."""

    at: datetime
    relative: str  # "family:12" - who, without their contact details
    channel: str
    answer_due: datetime | None = None
    actor: str = "hub"


FAMILY_ANSWERS = ("going_round", "all_fine", "cannot_help")


@dataclass(frozen=True)
class FamilyAnswer:
    actor: str  # "family:12"
    at: datetime
    answer: str  # one of FAMILY_ANSWERS
    note: str = ""


@dataclass(frozen=True)
class FamilyTimeout:
    at: datetime
    waited_s: float
    actor: str = "hub"


# Relatives are asked to answer for behavioural risks and trends; an emergency stays with the operators.
FAMILY_ANSWERABLE = frozenset({Priority.URGENT, Priority.WELLBEING})

Action = Trigger | Clear | Acknowledge | Escalate | Resolve | Note | FamilyTold | FamilyAnswer | FamilyTimeout


@dataclass(frozen=True)
class Transition:
    before: AlertState | None
    after: AlertState
    rule: str
    action: str
    actor: str
    at: datetime
    detail: dict[str, Any] = field(default_factory=dict)
    # Outbox topic for this change; the outbox worker decides who hears about it.
    topic: str = ""


class TransitionRefused(ValueError):
    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule


def transition(state: AlertState | None, action: Action) -> Transition:
    """Apply one action to the unresolved alert for a dedup key (None: there is none)."""
    if state is not None and state.handling is Handling.RESOLVED:
        # The engine opens a new alert for a trigger after resolution; nothing else touches a resolved one.
        raise TransitionRefused("resolved_is_final", "the alert is resolved; a new trigger opens a new alert")
    match action:
        case Trigger():
            return _open_new(action) if state is None else _repeat(state, action)
        case _ if state is None:
            raise TransitionRefused("no_alert", "there is no unresolved alert to act on")
        case Clear():
            return _clear(state, action)
        case Acknowledge():
            return _acknowledge(state, action)
        case Escalate():
            return _escalate(state, action)
        case Resolve():
            return _resolve(state, action)
        case Note():
            return _add_note(state, action)
        case FamilyTold():
            return _family_told(state, action)
        case FamilyAnswer():
            return _family_answer(state, action)
        case FamilyTimeout():
            return _family_timeout(state, action)
    raise TypeError(f"unknown action {action!r}")


def _bump(state: AlertState, at: datetime, **changes: Any) -> AlertState:
    return replace(state, updated_at=at, version=state.version + 1, **changes)


def _open_new(action: Trigger) -> Transition:
    after = AlertState(
        kind=action.kind, priority=action.priority, condition=Condition.ACTIVE, handling=Handling.NEW,
        repeat_count=1, raised_at=action.at, updated_at=action.at, explanation=action.explanation,
        first_event_ts=action.event_ts, last_event_ts=action.event_ts,
    )
    return Transition(None, after, "open_new", "raise", action.actor, action.at, topic="alert.raised")


def _repeat(state: AlertState, action: Trigger) -> Transition:
    after = _bump(
        state, action.at,
        repeat_count=state.repeat_count + 1,
        condition=Condition.ACTIVE,
        cleared_at=None,
        last_event_ts=action.event_ts or state.last_event_ts,
        explanation=action.explanation or state.explanation,
    )
    detail = {"repeat_count": after.repeat_count}
    if state.condition is Condition.CLEARED:
        detail["reactivated"] = True
    return Transition(state, after, "repeat", "repeat", action.actor, action.at, detail, "alert.repeated")


def _clear(state: AlertState, action: Clear) -> Transition:
    if state.condition is Condition.CLEARED:
        raise TransitionRefused("already_cleared", "the alert's condition has already cleared")
    after = _bump(state, action.at, condition=Condition.CLEARED, cleared_at=action.at)
    return Transition(state, after, "clear", "clear", action.actor, action.at,
                      {"reason": action.reason}, "alert.cleared")


def _acknowledge(state: AlertState, action: Acknowledge) -> Transition:
    if state.handling is not Handling.NEW:
        who = state.acknowledged_by or "someone"
        raise TransitionRefused("already_acknowledged", f"already acknowledged by {who}")
    after = _bump(state, action.at, handling=Handling.ACKNOWLEDGED,
                  acknowledged_at=action.at, acknowledged_by=action.actor)
    return Transition(state, after, "acknowledge", "acknowledge", action.actor, action.at,
                      topic="alert.acknowledged")


def _escalate(state: AlertState, action: Escalate) -> Transition:
    if state.handling is not Handling.NEW:
        raise TransitionRefused("escalate_only_unacknowledged", "only unacknowledged alerts escalate")
    if state.priority is not Priority.EMERGENCY:
        raise TransitionRefused("escalate_only_emergencies", "only emergencies escalate")
    after = _bump(state, action.at, escalation_level=state.escalation_level + 1, escalated_at=action.at)
    return Transition(state, after, "escalate", "escalate", action.actor, action.at,
                      {"level": after.escalation_level}, "alert.escalated")


def _resolve(state: AlertState, action: Resolve) -> Transition:
    if action.outcome not in OUTCOMES:
        raise TransitionRefused("outcome_required", f"outcome must be one of: {', '.join(OUTCOMES)}")
    if action.outcome == "other" and not action.note.strip():
        raise TransitionRefused("note_required_for_other", "an outcome of 'other' needs a note")
    after = _bump(
        state, action.at, handling=Handling.RESOLVED, resolved_at=action.at, resolved_by=action.actor,
        outcome=action.outcome, resolution_note=action.note or None,
        # Resolving straight from new still records who took it on.
        acknowledged_at=state.acknowledged_at or action.at,
        acknowledged_by=state.acknowledged_by or action.actor,
    )
    return Transition(state, after, "resolve", "resolve", action.actor, action.at,
                      {"outcome": action.outcome, "note": action.note}, "alert.resolved")


def _add_note(state: AlertState, action: Note) -> Transition:
    if not action.text.strip():
        raise TransitionRefused("note_empty", "a note needs some text")
    after = _bump(state, action.at)
    return Transition(state, after, "add_note", "note", action.actor, action.at,
                      {"note": action.text}, "alert.noted")


def _back_in_queue(at: datetime) -> dict[str, Any]:
    """Changes that put an alert back in front of operators: new again, marked requeued, nobody holding it."""
    return {"handling": Handling.NEW, "requeued_at": at, "family_answer_due": None,
            "acknowledged_at": None, "acknowledged_by": None}


def _family_told(state: AlertState, action: FamilyTold) -> Transition:
    due = state.family_answer_due
    if action.answer_due is not None and due is None and state.priority in FAMILY_ANSWERABLE:
        due = action.answer_due
    after = _bump(state, action.at, family_answer_due=due)
    detail: dict[str, Any] = {"relative": action.relative, "channel": action.channel}
    if due != state.family_answer_due:
        detail["answer_due"] = due
    return Transition(state, after, "family_told", "family_told", action.actor, action.at, detail,
                      "alert.family_told")


def _family_answer(state: AlertState, action: FamilyAnswer) -> Transition:
    if state.priority not in FAMILY_ANSWERABLE:
        raise TransitionRefused("family_answer_wellbeing_only", "relatives answer urgent and wellbeing alerts only")
    if action.answer not in FAMILY_ANSWERS:
        raise TransitionRefused("family_answer_unknown", f"answer must be one of: {', '.join(FAMILY_ANSWERS)}")
    detail = {"answer": action.answer, "note": action.note}
    if action.answer == "cannot_help":
        # Nobody in the family can go: an operator must act now, whoever had taken it on.
        after = _bump(state, action.at, **_back_in_queue(action.at))
        detail["reason"] = "the relative cannot help; back in the queue"
        return Transition(state, after, "family_cannot_help", "family_answer", action.actor, action.at, detail,
                          "alert.requeued")
    after = _bump(state, action.at, family_answer_due=None)
    return Transition(state, after, "family_answer", "family_answer", action.actor, action.at, detail,
                      "alert.family_answered")


def _family_timeout(state: AlertState, action: FamilyTimeout) -> Transition:
    if state.family_answer_due is None or action.at < state.family_answer_due:
        raise TransitionRefused("family_answer_not_due", "no relative's answer is overdue on this alert")
    minutes = round(action.waited_s / 60)
    after = _bump(state, action.at, **_back_in_queue(action.at))
    detail = {"reason": f"no family answer within {minutes} min; back in the queue", "waited_min": minutes}
    return Transition(state, after, "family_timeout", "requeue", action.actor, action.at, detail, "alert.requeued")


def escalation_due(state: AlertState, now: datetime, after_s: float) -> bool:
    """An unacknowledged emergency escalates after `after_s`, and again every `after_s` until acknowledged."""
    if state.priority is not Priority.EMERGENCY or state.handling is not Handling.NEW:
        return False
    since = state.escalated_at or state.raised_at
    return (now - since).total_seconds() >= after_s
