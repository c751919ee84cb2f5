"""The benchmark's own rules: matching, the timer baseline, and a tiny end-to-end run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from models.evaluate import TIMER_HOURS, evaluate, timer_alert
from models.metrics import HomeResult, Raised, at_home_deadline, prf, summarise, verdict
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


def test_a_hospital_stay_stops_the_decline_clock() -> None:
    stay = (T0 + timedelta(days=2), T0 + timedelta(days=5))
    assert at_home_deadline([], T0) == T0 + timedelta(days=7)
    assert at_home_deadline([stay], T0) == T0 + timedelta(days=10)
    assert at_home_deadline([(T0 - timedelta(days=3), T0 + timedelta(days=1))], T0) == T0 + timedelta(days=8)
    later = (T0 + timedelta(days=8), T0 + timedelta(days=9))  # begins only once the first stay moved the deadline
    assert at_home_deadline([stay, later], T0) == T0 + timedelta(days=11)


def test_decline_timing_is_reported_in_calendar_days_and_days_at_home() -> None:
    onset, stay = T0, (T0 + timedelta(days=1), T0 + timedelta(days=4))
    home = HomeResult(
        home_id="h", labelled_days=30, anomalies=[("activity_decline", onset, onset + timedelta(days=30), "")],
        traps=[("hospital_stay", *stay)], raised=[raised("activity_decline", onset + timedelta(days=8))], timer=[],
        absences=[stay])
    decline = summarise([home], homes=1, days=30, seed=1, warmup_days=0, step_min=5, seconds=0,
                        processes=1)["kinds"]["activity_decline"]  # type: ignore[index]
    assert decline["within_7_days"] == 0 and decline["within_7d"] == 0.0
    assert decline["within_7_days_at_home"] == 1 and decline["within_7d_at_home"] == 1.0
    assert decline["ttd_at_home_median_min"] == 5 * 1440
    assert decline["pass"] is True  # the week is counted at home: the stay stops the clock

    home.raised = [raised("activity_decline", onset + timedelta(days=11))]  # 8 days at home: too late
    decline = summarise([home], homes=1, days=30, seed=1, warmup_days=0, step_min=5, seconds=0,
                        processes=1)["kinds"]["activity_decline"]  # type: ignore[index]
    assert decline["within_7_days_at_home"] == 0 and decline["pass"] is False


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
