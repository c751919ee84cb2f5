"""Operators' verdicts on behavioural alerts, turned into per-resident, per-kind sensitivity.

An adjustment is a margin factor (1.0 = as learned). A false alarm widens that kind's margin for that
resident by a step, up to a cap; an alert that led to help narrows it back, never below 1.0: feedback
can make a detector more patient with one person, never more trigger-happy than the learned default.
Hard safety limits (cold_home) and technical supervision are not adjustable: a cold home is cold
whatever the operator thought of the last alert.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

Adjustments = Mapping[str, float]  # kind -> margin factor

WIDEN_STEP = 1.3
MAX_FACTOR = 2.5
NARROW_STEP = 1.15
FIXED_KINDS = frozenset({"cold_home", "device_silent", "unit_offline"})

FALSE_OUTCOMES = frozenset({"false_alarm"})
# The resident was fine but checking was reasonable: widen a little.
BENIGN_OUTCOMES = frozenset({"resident_ok"})
GENUINE_OUTCOMES = frozenset({
    "responder_sent", "ambulance_called", "family_contacted", "safeguarding_referral",
})
BENIGN_STEP = 1.1


def factor(adjustments: Adjustments | None, kind: str) -> float:
    """The margin factor a detector applies for `kind` (1.0 without feedback)."""
    if not adjustments or kind in FIXED_KINDS:
        return 1.0
    return min(max(float(adjustments.get(kind, 1.0)), 1.0), MAX_FACTOR)


def apply_feedback(adjustments: Adjustments | None, kind: str, outcome: str) -> dict[str, float]:
    """The adjustments after an operator resolved a `kind` alert with `outcome` (design.md §3 codes).

    Returns a new dict; unknown outcomes (e.g. `other`) change nothing.
    """
    updated = dict(adjustments or {})
    if kind in FIXED_KINDS:
        return updated
    current = factor(updated, kind)
    if outcome in FALSE_OUTCOMES:
        current *= WIDEN_STEP
    elif outcome in BENIGN_OUTCOMES:
        current *= BENIGN_STEP
    elif outcome in GENUINE_OUTCOMES:
        current /= NARROW_STEP
    else:
        return updated
    current = round(min(max(current, 1.0), MAX_FACTOR), 4)
    if current == 1.0:
        updated.pop(kind, None)
    else:
        updated[kind] = current
    return updated


def replay(outcomes: Iterable[tuple[str, str]]) -> dict[str, float]:
    """Adjustments from a resident's feedback history, oldest first: (kind, outcome) pairs."""
    adjustments: dict[str, float] = {}
    for kind, outcome in outcomes:
        adjustments = apply_feedback(adjustments, kind, outcome)
    return adjustments
