"""The operator page in real Chromium: a pendant press appears, is acknowledged and resolved by clicking,
and the page shows when its live connection is lost and converges when it comes back."""

from __future__ import annotations

import pytest

from console.app import create_app
from tests.support.home import event
from tests.support.services import ConsoleServer

pytestmark = [pytest.mark.integration, pytest.mark.browser]


def _sign_in(page, name: str = "Amina Rahman") -> None:  # type: ignore[no-untyped-def]
    page.fill("#operator-name", name)
    page.click("#operator-save")


def test_alert_appears_and_is_acknowledged_and_resolved_by_clicking(page, console, homes, ingest, unit_factory,
                                                                   conn):
    home = homes[0]
    page.goto(console.base_url)
    _sign_in(page)
    page.wait_for_selector("#connection-banner", state="hidden")
    unit_factory(home.home_id).publish("pendant-1", event(1, "pendant_press"))

    row = page.locator('tr[data-kind="pendant_press"]')
    row.wait_for(timeout=10_000)
    assert home.resident_name in row.inner_text()
    assert row.get_attribute("data-handling") == "new"

    row.locator('[data-action="acknowledge"]').click()
    page.wait_for_selector('tr[data-kind="pendant_press"][data-handling="acknowledged"]', timeout=10_000)

    page.locator('tr[data-kind="pendant_press"] [data-action="resolve"]').click()
    page.select_option('select[name="outcome"]', "resident_ok")
    page.fill('textarea[name="note"]', "Spoke to her on the speech unit; pressed by accident.")
    page.click('[data-action="confirm-resolve"]')
    page.wait_for_selector('tr[data-kind="pendant_press"]', state="detached", timeout=10_000)

    # Other alerts may exist (the broker keeps earlier tests' retained unit statuses): look at this one.
    alert_id, handling, outcome, by, note = conn.execute(
        "SELECT id, handling, outcome, resolved_by, resolution_note FROM alerts WHERE kind = 'pendant_press'"
    ).fetchone()
    assert (handling, outcome, by) == ("resolved", "resident_ok", "Amina Rahman")
    assert note.startswith("Spoke to her")
    actions = [r[0] for r in conn.execute(
        "SELECT actor || ':' || action FROM alert_audit WHERE alert_id = %s ORDER BY id", (alert_id,))]
    assert actions == ["hub:raise", "Amina Rahman:acknowledge", "Amina Rahman:resolve"]


def test_banner_shows_when_the_live_connection_is_lost_and_the_page_converges_after(
    page, settings, db_url, broker, homes, ingest, unit_factory
):
    first = ConsoleServer(create_app(settings, db_url, broker.url))
    with first:
        page.goto(first.base_url)
        _sign_in(page)
        page.wait_for_selector("#connection-banner", state="hidden")
    # The console is gone: the operator must be told the queue may be stale.
    page.wait_for_selector("#connection-banner", state="visible", timeout=10_000)
    unit = unit_factory(homes[1].home_id)
    unit.publish("pendant-1", event(1, "fall"))  # raised while the page cannot hear
    unit.wait_acks(1)
    with ConsoleServer(create_app(settings, db_url, broker.url), port=first.port):
        page.wait_for_selector("#connection-banner", state="hidden", timeout=15_000)
        page.locator('tr[data-kind="fall"]').wait_for(timeout=10_000)
