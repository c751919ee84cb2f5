"""A resident with three weeks of ordinary days, learned once per session (pure, no services)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

import pytest

from models.baselines import Baseline
from models.readings import Absence, Finding, Reading
from models.score import HomeScorer
from models.train import train
from tests.models.builder import START, at, history

HOME = "home-test"
TRAINED_DAYS = 21
DAY = START + timedelta(days=TRAINED_DAYS)  # the first day scored after training (a Monday)


@pytest.fixture(scope="session")
def past() -> list[Reading]:
    return history(TRAINED_DAYS)


@pytest.fixture(scope="session")
def baseline(past: list[Reading]) -> Baseline:
    return train(HOME, past, at(DAY, "00:00"))


def scored(baseline: Baseline, past: list[Reading], readings: Iterable[Reading], start: datetime, end: datetime,
           *, absences: tuple[Absence, ...] = (), adjustments: dict[str, float] | None = None,
           step_min: int = 5) -> dict[str, Finding]:
    """Stream `readings` (time-ordered) through a scorer that has seen `past`, asking every `step_min`
    minutes of event time; the first finding of each episode."""
    scorer = HomeScorer(HOME, baseline, absences=absences, adjustments=adjustments)
    scorer.observe(past)
    pending = sorted(readings, key=lambda r: r.ts)
    found: dict[str, Finding] = {}
    now, index = start, 0
    while now < end:
        now += timedelta(minutes=step_min)
        upto = index
        while upto < len(pending) and pending[upto].ts <= now:
            upto += 1
        scorer.observe(pending[index:upto])
        index = upto
        for item in scorer.findings(now):
            found.setdefault(item.episode, item)
    return found


def kinds(found: dict[str, Finding]) -> list[str]:
    return sorted(f.kind for f in found.values())


def day_after(offset: int) -> date:
    return DAY + timedelta(days=offset)
