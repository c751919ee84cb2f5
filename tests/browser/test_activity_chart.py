"""The alert detail panel's activity chart in real Chromium: the resident's last days as a heatmap and the
alert's day against their usual pattern, plus the detector's confidence and evidence for behavioural alerts."""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from zoneinfo import ZoneInfo

import pytest

from tests.support.browser_session import sign_in_page
from tests.support.home import event

pytestmark = [pytest.mark.integration, pytest.mark.browser, pytest.mark.usefixtures("operator_account")]

LONDON = ZoneInfo("Europe/London")
HISTORY_DAYS = 10


def usual_count(days_back: int, hour: int) -> int:
    """A clear routine: up at seven, breakfast at eight, lunch, tea and bed, a little different each day."""
    return {7: 2 + days_back % 3, 8: 5, 12: 3, 13: 1, 18: 4 + days_back % 2, 22: 2}.get(hour, 0)


def insert_motion(conn, home_id: str, chart_day: date, before_hour: int) -> None:  # type: ignore[no-untyped-def]
    """Motion events for the days before the chart day, and the chart day's morning up to `before_hour`."""
    rows = []
    seq = 10_000
    for days_back in range(HISTORY_DAYS + 1):
        day = chart_day - timedelta(days=days_back)
        for hour in range(24):
            if days_back == 0 and hour >= before_hour:
                break
            for k in range(usual_count(days_back, hour)):
                seq += 1
                local = datetime.combine(day, clock(hour, 3 + 7 * k), LONDON)
                rows.append((home_id, "pir-kitchen", seq, local.astimezone(UTC), "motion", 1, "kitchen"))
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO events (home_id, device_id, seq, ts, type, value, room) "
                        "VALUES (%s, %s, %s, %s, %s, %s, %s)", rows)


def wait_for_alert(conn, home_id: str) -> tuple[int, datetime]:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + 10
    query = "SELECT id, last_event_ts FROM alerts WHERE home_id = %s"
    while (row := conn.execute(query, (home_id,)).fetchone()) is None:
        assert time.monotonic() < deadline, "the pendant press raised no alert"
        time.sleep(0.1)
    return row


def open_alert(page, base_url: str, kind: str) -> None:  # type: ignore[no-untyped-def]
    sign_in_page(page, base_url)
    page.locator(f'tr[data-kind="{kind}"]').click(timeout=10_000)
    page.wait_for_selector('[data-chart="activity"][data-state="ready"]', timeout=10_000)


def test_the_detail_panel_charts_the_residents_day_against_their_usual_pattern(
    page, console, homes, ingest, unit_factory, conn
):
    home = homes[0]
    unit_factory(home.home_id).publish("pendant-1", event(1, "pendant_press"))
    _, last_event = wait_for_alert(conn, home.home_id)
    moment = last_event.astimezone(LONDON)
    chart_day = moment.date()
    insert_motion(conn, home.home_id, chart_day, before_hour=moment.hour)

    open_alert(page, console.base_url, "pendant_press")
    chart = page.locator('[data-chart="activity"]')

    cells = chart.locator("rect[data-hour][data-date]")
    assert cells.count() == 15 * 24
    dates = {(chart_day - timedelta(days=n)).isoformat() for n in range(15)}
    assert set(cells.evaluate_all("cells => cells.map(c => c.dataset.date)")) == dates
    for days_back, hour in [(1, 7), (2, 7), (3, 8), (4, 18), (5, 18), (10, 22), (2, 3), (12, 8)]:
        expected = usual_count(days_back, hour) if days_back <= HISTORY_DAYS else 0
        day = (chart_day - timedelta(days=days_back)).isoformat()
        cell = chart.locator(f'rect[data-date="{day}"][data-hour="{hour}"]')
        assert cell.get_attribute("data-count") == str(expected), (day, hour)
        assert cell.locator("title").text_content().endswith(f"{expected} event{'' if expected == 1 else 's'}")

    band = chart.locator('path[data-series="usual-band"]')
    assert band.count() == 1 and band.get_attribute("d").endswith("Z")
    assert chart.locator('path[data-series="today"]').count() == 1
    marker = chart.locator('[data-marker="alert"]')
    assert marker.count() == 1
    assert "Pendant press" in marker.text_content()
    assert f"{moment:%H:%M}" in marker.text_content()


def insert_alert(conn, home, kind: str, priority: int, first: datetime, explanation: str = "",  # type: ignore[no-untyped-def]
                 **findings: object) -> None:
    """An alert as a detector would have raised it, written directly so the test controls its findings."""
    row = {"home_id": home.home_id, "resident_id": home.resident_id, "kind": kind, "priority": priority,
           "condition": "active", "handling": "new", "explanation": explanation, "first_event_ts": first,
           "last_event_ts": first, "raised_at": first, "updated_at": first, **findings}
    conn.execute(f"INSERT INTO alerts ({', '.join(row)}) VALUES ({', '.join(['%s'] * len(row))})", list(row.values()))


def test_a_behavioural_alert_shows_its_confidence_cold_start_and_evidence(page, console, homes, conn):
    home = homes[1]
    first = datetime.now(UTC) - timedelta(minutes=40)
    evidence = [["bed-1", (first - timedelta(hours=9)).isoformat()], ["pir-kitchen", first.isoformat()],
                ["bed-1", (first - timedelta(hours=1)).isoformat()]]
    insert_alert(conn, home, "no_activity_morning", 2, first, explanation="No movement in the kitchen since bed.",
                 confidence=0.82, cold_start=True, evidence=json.dumps(evidence))
    insert_motion(conn, home.home_id, first.astimezone(LONDON).date(), before_hour=0)

    open_alert(page, console.base_url, "no_activity_morning")
    why = page.locator("#detail-body .why")
    assert "82%" in why.locator(".why-confidence").inner_text()
    assert "fewer than 14 days of this resident's history" in why.locator(".cold-start").inner_text()
    seen = why.locator(".evidence-list li").all_inner_texts()
    kitchen_at = first.astimezone(LONDON).strftime("%H:%M")
    assert seen[0].endswith(kitchen_at) and seen[0].startswith("pir-kitchen")
    assert len(seen) == 2 and seen[1].startswith("bed-1")  # one line per device: its latest sighting
    assert page.locator('[data-chart="activity"] [data-marker="alert"]').count() == 1


def test_the_chart_reports_a_failed_load_retries_and_follows_the_selected_alert(page, console, homes, conn):
    first = datetime.now(UTC) - timedelta(minutes=5)
    insert_alert(conn, homes[0], "battery_low", 4, first)
    insert_alert(conn, homes[1], "night_wandering", 2, first)
    failing = f"**/api/homes/{homes[0].home_id}/activity*"
    page.route(failing, lambda route: route.fulfill(status=503, json={"detail": "database is busy"}))

    sign_in_page(page, console.base_url)
    page.locator('tr[data-kind="battery_low"]').click(timeout=10_000)
    chart = page.locator('[data-chart="activity"]')
    page.wait_for_selector('[data-chart="activity"][data-state="error"]', timeout=10_000)
    assert "Could not load activity: database is busy" in chart.inner_text()

    page.unroute(failing)
    chart.get_by_role("button", name="Retry").click()
    page.wait_for_selector('[data-chart="activity"][data-state="ready"]', timeout=10_000)
    assert "Low battery" in chart.locator('[data-marker="alert"]').text_content()

    page.locator('tr[data-kind="night_wandering"]').click()
    page.wait_for_selector('[data-chart="activity"][data-state="ready"] [data-marker="alert"]', timeout=10_000)
    assert "Night wandering" in chart.locator('[data-marker="alert"]').text_content()
