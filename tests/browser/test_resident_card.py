"""The resident card on the alert detail in real Chromium: who, risks, language and responders with call
links in order; the key safe code hidden until acknowledgement and an explicit reveal; the family's answers
and failing channels; notes from the panel; resolving only with an outcome; a home with no care record; and
the page at 1280×800 and on a phone-sized screen."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.support.browser_session import OPERATOR, OPERATOR_ACTOR, sign_in_page
from tests.support.care import (
    CareRecord,
    access_log,
    add_channel,
    add_family_member,
    add_home_without_record,
    add_notification,
    add_response,
    raise_alert,
    write_care_record,
)

pytestmark = [pytest.mark.integration, pytest.mark.browser, pytest.mark.usefixtures("operator_account")]


def sign_in(page, base_url: str) -> None:  # type: ignore[no-untyped-def]
    sign_in_page(page, base_url)


def open_card(page, alert_id: int) -> object:  # type: ignore[no-untyped-def]
    page.locator(f'tr[data-alert-id="{alert_id}"]').click(timeout=10_000)
    card = page.locator('[data-card="resident"]')
    page.wait_for_selector('[data-card="resident"][data-state="ready"], [data-card="resident"][data-state="unlinked"]',
                           timeout=10_000)
    return card


@pytest.fixture
def seeded(conn, homes):  # type: ignore[no-untyped-def]
    home = homes[0]
    write_care_record(conn, home.home_id, home.resident_id, CareRecord())
    return home


def test_the_card_shows_the_resident_and_reveals_the_key_safe_only_after_acknowledging(page, console, conn, seeded):
    alert_id = raise_alert(conn, seeded.home_id)
    sign_in(page, console.base_url)
    card = open_card(page, alert_id)

    assert card.locator("[data-resident-name]").inner_text() == seeded.resident_name
    assert "943 476 5919" in card.inner_text()
    assert card.locator("[data-interpreter]").inner_text() == "INTERPRETER NEEDED — Sylheti"
    assert card.locator("[data-language]").inner_text().endswith("Sylheti (preferred), Bengali, English")
    assert card.locator("[data-risk]").all_inner_texts() == ["Falls risk", "Lives alone"]
    assert "Door sticks" in card.locator("[data-access-notes]").inner_text()
    responders = card.locator("[data-responder]")
    assert [responders.nth(i).locator(".rc-responder-name").inner_text() for i in range(3)] == [
        "Rahima Begum", "Tower Hamlets mobile responders", "Ken Walsh"]
    assert responders.locator("a[data-call]").evaluate_all("links => links.map(a => a.getAttribute('href'))") == [
        "tel:07700900123", "tel:03001234567", "tel:+447700900456"]
    assert responders.nth(0).locator("[data-holds-key]").count() == 1
    assert responders.nth(2).locator("[data-holds-key]").count() == 0
    assert access_log(conn, seeded.resident_id) == [
        (f"operator:{OPERATOR}", "view_record", seeded.resident_id, alert_id, f"alert {alert_id} (pendant_press)")]

    reveal = card.locator('[data-action="reveal-key-safe"]')
    assert reveal.is_disabled()
    assert "Acknowledge the alert first" in card.locator(".keysafe-hint").inner_text()
    assert page.locator("[data-keysafe-code]").count() == 0
    assert "2580" not in page.content()

    page.locator('#detail-panel [data-panel-action="acknowledge"]').click()
    page.wait_for_selector('[data-action="reveal-key-safe"]:not([disabled])', timeout=10_000)
    reveal.click()
    code = page.locator("[data-keysafe-code]")
    code.wait_for(timeout=10_000)
    assert code.inner_text() == "2580"
    assert code.evaluate("node => getComputedStyle(node).userSelect") == "none"
    page.locator("#detail-panel .audit").get_by_text(f"Key safe code revealed to {OPERATOR}").wait_for(timeout=10_000)
    assert [row[1] for row in access_log(conn, seeded.resident_id)] == ["view_record", "reveal_key_safe"]

    page.locator('[data-action="hide-key-safe"]').click()
    assert page.locator("[data-keysafe-code]").count() == 0
    assert not reveal.is_disabled()
    # Redraws of the panel (the audit refresh after the note) did not fetch, and log, the card again.
    assert [row[1] for row in access_log(conn, seeded.resident_id)
            if row[1] != "view_family_status"] == ["view_record", "reveal_key_safe"]


def test_the_family_answer_and_a_disabled_channel_are_shown(page, console, conn, seeded, homes):
    requeued = raise_alert(conn, seeded.home_id, "no_activity_morning")
    conn.execute("UPDATE alerts SET family_answer_due = now() - interval '5 minutes', requeued_at = now(), "
                 "version = version + 1 WHERE id = %s", (requeued,))
    rahima = add_family_member(conn, seeded.resident_id, "Rahima Begum", "bn")
    sms = add_channel(conn, rahima, "sms", "+447700900123")
    add_channel(conn, rahima, "email", "rahima@example.invalid", disabled_reason="550 mailbox unavailable")
    add_notification(conn, requeued, rahima, sms, "sent")
    add_response(conn, requeued, rahima, "cannot_help", "I am in Leeds until Friday")
    waiting = raise_alert(conn, homes[1].home_id, "activity_decline")
    conn.execute("UPDATE alerts SET family_answer_due = %s WHERE id = %s",
                 (datetime.now(UTC) + timedelta(minutes=25), waiting))

    sign_in(page, console.base_url)
    row = page.locator(f'tr[data-alert-id="{requeued}"]')
    assert row.locator("[data-requeued]").inner_text(timeout=10_000) == "Back in queue: no family answer"
    due = page.locator(f'tr[data-alert-id="{waiting}"] [data-family-due]')
    assert re.fullmatch(r"Family · 2[45]:\d\d left", due.inner_text())

    open_card(page, requeued)
    family = page.locator('[data-card="family"]')
    assert family.locator('[data-family="requeued"]').inner_text().startswith("Back in queue: no family answer")
    assert family.locator('[data-family="channel-disabled"]').inner_text() == (
        "Email to Rahima Begum failing: 550 mailbox unavailable — channel disabled")
    answer = family.locator('[data-family-response="cannot_help"]').inner_text()
    assert "Rahima Begum: Cannot help" in answer and "I am in Leeds until Friday" in answer
    assert "Text message" in family.locator('[data-family-notification="sent"]').inner_text()


def test_notes_from_the_panel_reach_the_history_and_resolving_needs_an_outcome(page, console, conn, seeded):
    alert_id = raise_alert(conn, seeded.home_id)
    sign_in(page, console.base_url)
    open_card(page, alert_id)

    page.fill("[data-note-input]", "Daughter on her way, ETA 15 min")
    page.click('[data-action="add-note"]')
    page.locator("#detail-panel .audit").get_by_text("Daughter on her way, ETA 15 min").wait_for(timeout=10_000)
    assert page.locator("[data-note-input]").input_value() == ""
    notes = conn.execute("SELECT actor, detail->>'note' FROM alert_audit WHERE alert_id = %s AND action = 'note'",
                         (alert_id,)).fetchall()
    assert notes == [(OPERATOR_ACTOR, "Daughter on her way, ETA 15 min")]

    page.locator('#detail-panel [data-panel-action="resolve"]').click()
    page.click('[data-action="confirm-resolve"]')
    assert page.locator("#resolve-error").inner_text() == "Choose an outcome before resolving."
    assert page.locator("#resolve-dialog").is_visible()
    assert conn.execute("SELECT handling FROM alerts WHERE id = %s", (alert_id,)).fetchone()[0] == "new"
    page.select_option('select[name="outcome"]', "responder_sent")
    page.click('[data-action="confirm-resolve"]')
    page.wait_for_selector(f'tr[data-alert-id="{alert_id}"]', state="detached", timeout=10_000)
    assert conn.execute("SELECT outcome FROM alerts WHERE id = %s", (alert_id,)).fetchone()[0] == "responder_sent"


def test_a_home_without_a_care_record_says_so(page, console, conn, homes):
    add_home_without_record(conn, "home-unlinked")
    alert_id = raise_alert(conn, "home-unlinked")
    sign_in(page, console.base_url)
    page.locator(f'tr[data-alert-id="{alert_id}"]').click(timeout=10_000)
    page.wait_for_selector('[data-card="resident"][data-state="unlinked"]', timeout=10_000)
    assert page.locator("[data-card-missing]").inner_text() == (
        "No care record linked to home home-unlinked — check the council record")
    assert access_log(conn) == [(f"operator:{OPERATOR}", "view_record", None, alert_id,
                                 f"alert {alert_id} (pendant_press)")]


@pytest.mark.parametrize(("width", "height"), [(1280, 800), (390, 844)])
def test_the_card_fits_the_screen(browser, console, conn, seeded, width, height):
    alert_id = raise_alert(conn, seeded.home_id)
    context = browser.new_context(viewport={"width": width, "height": height})
    try:
        page = context.new_page()
        sign_in(page, console.base_url)
        open_card(page, alert_id)
        body = page.locator("#detail-body")
        overflow = body.evaluate("node => node.scrollWidth - node.clientWidth")
        assert overflow <= 0, f"the detail panel scrolls sideways by {overflow}px at {width}×{height}"
        call = page.locator('[data-responder="1"] a[data-call]')
        call.scroll_into_view_if_needed()
        box = call.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
        assert box["height"] >= 30  # a target big enough to hit in a hurry
    finally:
        context.close()
