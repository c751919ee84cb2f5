"""The benchmark's own rules: matching, the timer baseline, and a tiny end-to-end run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from models.evaluate import TIMER_HOURS, evaluate, timer_alert
from models.metrics import Raised, prf, verdict
from models.readings import Absence

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def raised(kind: str, at: datetime, device: str | None = None) -> Raised:
    return Raised(kind, f"h:{kind}:{at}", at, at, device, 0.9, "", False)


def test_matching_by_kind_window_and_device() -> None:
    labels = [("prolonged_inactivity", T0, T0 + timedelta(hours=3), ""),
              ("device_silent", T0, T0 + timedelta(hours=2), "pir-kitchen")]
    assert verdict(raised("prolonged_inactivity", T0 + timedelta(hours=3, minutes=30)), labels) == "hit"
    assert verdict(raised("prolonged_inactivity", T0 + timedelta(hours=5)), labels) == "false"
    assert verdict(raised("missed_meal", T0 + timedelta(hours=1)), labels) == "other"
    assert verdict(raised("device_silent", T0 + timedelta(minutes=15), "pir-kitchen"), labels) == "hit"
    assert verdict(raised("device_silent", T0 + timedelta(minutes=15), "bed-1"), labels) == "other"


def test_precision_recall_f1() -> None:
    assert prf(9, 1, 9, 10) == (0.9, 0.9, 0.9)
    assert prf(0, 0, 0, 5) == (None, 0.0, None)


def test_timer_watches_the_day_from_seven() -> None:
    # 2 March is GMT: local time equals UTC.
    last = datetime(2026, 3, 1, 22, 0, tzinfo=UTC)  # went to bed last night
    assert timer_alert(datetime(2026, 3, 2, 10, 55, tzinfo=UTC), last, ()) is None
    spell = timer_alert(datetime(2026, 3, 2, 11, 0, tzinfo=UTC), last, ())
    assert spell == datetime(2026, 3, 2, 7, 0, tzinfo=UTC) and TIMER_HOURS == 4
    assert timer_alert(datetime(2026, 3, 2, 23, 30, tzinfo=UTC), last, ()) is None  # not watching at night
    away = (Absence(datetime(2026, 3, 2, 8, 0, tzinfo=UTC), None),)
    assert timer_alert(datetime(2026, 3, 2, 11, 0, tzinfo=UTC), last, away) is None


def test_a_tiny_benchmark_runs_and_reports_every_kind() -> None:
    result = evaluate(1, 25, seed=3, warmup_days=21, processes=1)
    assert set(result["kinds"]) >= {"no_activity_morning", "activity_decline", "unit_offline"}  # type: ignore[arg-type]
    assert result["homes"] == 1 and result["steps"] > 0
    assert evaluate(1, 25, seed=3, warmup_days=21, processes=1)["kinds"] == result["kinds"]  # reproducible
