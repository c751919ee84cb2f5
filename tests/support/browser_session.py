"""Signing in to the operator page in a real browser, through its own form."""

from __future__ import annotations

from tests.support.accounts import PASSWORD

OPERATOR = "Amina Rahman"
OPERATOR_USERNAME = "amina"
OPERATOR_ACTOR = f"{OPERATOR} ({OPERATOR_USERNAME})"  # as alert audit trails name her


def sign_in_page(page, base_url: str, username: str = OPERATOR_USERNAME,  # type: ignore[no-untyped-def]
                 password: str = PASSWORD) -> None:
    page.goto(base_url)
    page.wait_for_selector("#login-screen", state="visible", timeout=10_000)
    page.fill("#login-username", username)
    page.fill("#login-password", password)
    page.click("#login-submit")
    page.wait_for_selector("#login-screen", state="hidden", timeout=10_000)
