"""The operator page in real Chromium: a pendant press appears, is acknowledged and resolved by clicking,
and the page shows when its live connection is lost and converges when it comes back."""

from __future__ import annotations

import pytest

from console.app import create_app
from tests.support.accounts import PASSWORD
from tests.support.browser_session import OPERATOR, OPERATOR_ACTOR, OPERATOR_USERNAME, sign_in_page
from tests.support.care import raise_alert
from tests.support.home import event
from tests.support.services import ConsoleServer

pytestmark = [pytest.mark.integration, pytest.mark.browser]


def test_alert_appears_and_is_acknowledged_and_resolved_by_clicking(page, console, homes, ingest, unit_factory,
                                                                   conn, operator_account):
    home = homes[0]
    sign_in_page(page, console.base_url)
    assert page.locator("#operator-display").inner_text() == OPERATOR
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
    assert (handling, outcome, by) == ("resolved", "resident_ok", OPERATOR_ACTOR)
    assert note.startswith("Spoke to her")
    actions = [r[0] for r in conn.execute(
        "SELECT actor || ':' || action FROM alert_audit WHERE alert_id = %s ORDER BY id", (alert_id,))]
    assert actions == ["hub:raise", f"{OPERATOR_ACTOR}:acknowledge", f"{OPERATOR_ACTOR}:resolve"]


def test_banner_shows_when_the_live_connection_is_lost_and_the_page_converges_after(
    page, settings, db_url, broker, homes, ingest, unit_factory, operator_account
):
    first = ConsoleServer(create_app(settings, db_url, broker.url))
    with first:
        sign_in_page(page, first.base_url)
        page.wait_for_selector("#connection-banner", state="hidden")
    # The console is gone: the operator must be told the queue may be stale.
    page.wait_for_selector("#connection-banner", state="visible", timeout=10_000)
    unit = unit_factory(homes[1].home_id)
    unit.publish("pendant-1", event(1, "fall"))  # raised while the page cannot hear
    unit.wait_acks(1)
    with ConsoleServer(create_app(settings, db_url, broker.url), port=first.port):
        page.wait_for_selector("#connection-banner", state="hidden", timeout=15_000)
        page.locator('tr[data-kind="fall"]').wait_for(timeout=10_000)


def test_sign_in_through_the_form_see_the_queue_and_sign_out(page, console, conn, homes, operator_account):
    alert_id = raise_alert(conn, homes[0].home_id)
    page.goto(console.base_url)
    page.wait_for_selector("#login-screen", state="visible", timeout=10_000)
    assert page.locator("#login-hint").is_hidden()  # accounts exist: no set-up hint
    assert page.locator(f'tr[data-alert-id="{alert_id}"]').count() == 0  # nothing before signing in

    page.fill("#login-username", OPERATOR_USERNAME)
    page.fill("#login-password", "not the password")
    page.click("#login-submit")
    page.wait_for_selector("#login-error", state="visible", timeout=10_000)
    assert page.locator("#login-error").inner_text() == "Wrong username or password"

    page.fill("#login-password", PASSWORD)
    page.click("#login-submit")
    page.locator(f'tr[data-alert-id="{alert_id}"]').wait_for(timeout=10_000)
    assert page.locator("#operator-display").inner_text() == OPERATOR

    page.click("#logout")
    page.wait_for_selector("#login-screen", state="visible", timeout=10_000)
    assert page.locator(f'tr[data-alert-id="{alert_id}"]').count() == 0  # the queue is cleared
    assert conn.execute("SELECT count(*) FROM sessions").fetchone()[0] == 0
    page.reload()
    page.wait_for_selector("#login-screen", state="visible", timeout=10_000)


def test_the_form_says_how_to_create_the_first_account(page, console):
    page.goto(console.base_url)
    hint = page.locator("#login-hint")
    hint.wait_for(state="visible", timeout=10_000)
    assert "hub user add NAME --role admin" in hint.inner_text()


def test_an_ended_session_brings_the_form_back(page, console, conn, homes, operator_account):
    sign_in_page(page, console.base_url)
    page.wait_for_selector("#connection-banner", state="hidden", timeout=10_000)
    conn.execute("DELETE FROM sessions")  # e.g. an admin disabled the account, or the session expired
    raise_alert(conn, homes[0].home_id)
    page.locator('tr[data-kind="pendant_press"]').first.click(timeout=10_000)  # the detail's GET answers 401
    page.wait_for_selector("#login-screen", state="visible", timeout=10_000)
