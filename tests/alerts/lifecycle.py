"""Builders shared by the alert transition tests."""


from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from alerts.model import Priority
from alerts.transitions import (
    Action,
    AlertState,
    TransitionRefused,
    Trigger,
    transition,
)

T0 = datetime(2026, 11, 23, 7, 0, 0, tzinfo=UTC)
ESCALATE_AFTER_S = 60.0


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def raised(
    kind: str = "pendant_press",
    priority: Priority = Priority.EMERGENCY,
    explanation: str = "",
    event_ts: datetime | None = None,
) -> AlertState:
    """A freshly opened alert, raised at T0."""
    return transition(None, Trigger(kind, priority, at=T0, event_ts=event_ts, explanation=explanation)).after


def apply_all(state: AlertState | None, *actions: Action) -> AlertState:
    for action in actions:
        state = transition(state, action).after
    assert state is not None
    return state


def refusal_rule(state: AlertState | None, action: Action) -> str:
    with pytest.raises(TransitionRefused) as refused:
        transition(state, action)
    return refused.value.rule


