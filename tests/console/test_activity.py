"""The activity chart's data: local-day × hour grid, today's line and the usual band."""

from __future__ import annotations

from datetime import UTC, date, datetime

from console.activity import shape_activity


def test_counts_land_in_the_local_hour_across_the_clock_change() -> None:
    # 2026-10-25 is the last Sunday of October: 01:30 UTC is 01:30 GMT, the day before 08:00 UTC is 09:00 BST.
    hourly = [(datetime(2026, 10, 24, 8, 0, tzinfo=UTC), 5), (datetime(2026, 10, 25, 1, 30, tzinfo=UTC), 2)]
    shaped = shape_activity(hourly, today=date(2026, 10, 25), days=1)
    assert shaped["days"][0] == {"date": "2026-10-24", "hours": [0] * 9 + [5] + [0] * 14}
    assert shaped["today"]["hours"][1] == 2


def test_the_usual_band_comes_from_the_previous_days_only() -> None:
    hourly = [(datetime(2026, 11, d, 9, tzinfo=UTC), count) for d, count in ((20, 10), (21, 20), (22, 30))]
    hourly.append((datetime(2026, 11, 23, 9, tzinfo=UTC), 99))
    shaped = shape_activity(hourly, today=date(2026, 11, 23), days=3)
    assert shaped["usual"]["median"][9] == 20
    assert shaped["usual"]["low"][9] == 12.0 and shaped["usual"]["high"][9] == 28.0
    assert shaped["today"]["hours"][9] == 99
    assert [d["date"] for d in shaped["days"]] == ["2026-11-20", "2026-11-21", "2026-11-22", "2026-11-23"]
