"""Pure shaping of care-record values for the resident card."""

from __future__ import annotations

from datetime import date

import pytest

from console.resident_format import (
    age_on,
    disabled_channel_warning,
    format_nhs_number,
    language_name,
    languages_view,
    tel_uri,
)


@pytest.mark.parametrize(("born", "today", "age"), [
    (date(1941, 3, 14), date(2026, 3, 13), 84),
    (date(1941, 3, 14), date(2026, 3, 14), 85),
    (date(1940, 2, 29), date(2026, 2, 28), 85),
    (date(1940, 2, 29), date(2026, 3, 1), 86),
])
def test_age_counts_completed_years(born: date, today: date, age: int) -> None:
    assert age_on(born, today) == age


def test_no_date_of_birth_no_age() -> None:
    assert age_on(None, date(2026, 1, 1)) is None


def test_nhs_numbers_are_grouped_3_3_4() -> None:
    assert format_nhs_number("9434765919") == "943 476 5919"
    assert format_nhs_number(None) is None


@pytest.mark.parametrize(("phone", "uri"), [
    ("07700 900123", "tel:07700900123"),
    ("+44 (0)20 7946-0011", "tel:+442079460011"),
    ("020 7946 0011 ext", "tel:02079460011"),
    ("", None),
    ("ask the warden", None),
])
def test_phone_numbers_become_dialable_tel_links(phone: str, uri: str | None) -> None:
    assert tel_uri(phone) == uri


def test_languages_are_named_in_english_preferred_first() -> None:
    assert language_name("bn") == "Bengali"
    assert language_name("syl") == "Sylheti"
    assert language_name("zh-Hans") == "Chinese (Simplified)"
    assert language_name("so") == "Somali"
    assert language_name("qqq") == "qqq"
    view = languages_view("so", ["en", "so"], True)
    assert [s["tag"] for s in view["spoken"]] == ["so", "en"]  # type: ignore[index]
    assert view["interpreter_needed"] is True


def test_a_disabled_channel_is_a_plain_warning() -> None:
    assert disabled_channel_warning("email", "Rahima Begum", "550 no such user") == \
        "Email to Rahima Begum failing: 550 no such user — channel disabled"
