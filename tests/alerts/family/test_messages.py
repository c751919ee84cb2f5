"""What a relative reads: every kind in every language, never blank, English only where no translation
exists, dates and times written in the language, and the minimum of personal data."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po

from alerts.family import messages
from alerts.family.messages import KIND_SENTENCES, Catalogues, render, what_happened
from alerts.family.policy import FAMILY_KINDS

LANGUAGES = ["en", "bn", "so", "ur", "pl", "zh_Hans"]
TRANSLATED = [lang for lang in LANGUAGES if lang != "en"]
AT = datetime(2026, 7, 1, 9, 5, tzinfo=UTC)  # 10:05 in London (summer time)
LINK = "https://hub.example.org/family/link/tok"


def rendered(kind: str, language: str, priority: int = 2, cat: Catalogues | None = None) -> messages.Rendered:
    return render(kind, priority, language, name="Amina", relative="Rahima", at=AT, timezone="Europe/London",
                  link=LINK, answerable=priority in (2, 3), cat=cat)


def test_the_catalogues_cover_the_required_languages() -> None:
    assert set(LANGUAGES) <= set(messages.catalogues().languages())


def test_every_kind_offered_to_families_has_a_sentence() -> None:
    assert set(KIND_SENTENCES) == FAMILY_KINDS


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", sorted(FAMILY_KINDS))
def test_each_language_renders_each_kind_in_full(language: str, kind: str) -> None:
    message = rendered(kind, language)

    for part in (message.subject, message.body, message.short):
        assert part.strip()
        assert "%(" not in part, "a placeholder was left unfilled"
    assert "Amina" in message.short and "Amina" in message.subject
    assert LINK in message.short and LINK in message.body


@pytest.mark.parametrize("language", TRANSLATED)
@pytest.mark.parametrize("kind", sorted(FAMILY_KINDS))
def test_no_english_where_a_translation_exists(language: str, kind: str) -> None:
    english = what_happened(kind, "en", "Amina")
    translated = what_happened(kind, language, "Amina")
    cat = messages.catalogues()

    assert cat.lookup(language, KIND_SENTENCES[kind], context=kind), f"{language} has no sentence for {kind}"
    assert translated != english
    assert rendered(kind, language).subject != rendered(kind, "en").subject
    for line in (messages.ON_IT_CHECK, messages.ASK, messages.WHY_YOU_GET_THIS):
        assert cat.lookup(language, line), f"{language} lacks {line!r}"


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_page_string_is_translated(language: str) -> None:
    english = messages.page_strings("en", "Amina")
    page = messages.page_strings(language, "Amina")

    assert all(page[key].strip() for key in page)
    for key, msgid in messages.PAGE_STRINGS.items():
        assert messages.catalogues().lookup(language, msgid), f"{language} lacks page string {key}"
    assert page["heading"] != english["heading"]


def test_an_unknown_language_falls_back_to_english() -> None:
    cat = messages.catalogues()

    assert cat.resolve("syl") == "en"
    assert rendered("fall", "syl", priority=1).short == rendered("fall", "en", priority=1).short
    assert what_happened("fall", "fr", "Amina") == "Amina's fall detector went off."


def test_language_tags_from_a_care_record_find_their_catalogue() -> None:
    cat = messages.catalogues()

    assert cat.resolve("zh-Hans") == "zh_Hans"
    assert cat.resolve("zh") == "zh_Hans"
    assert cat.resolve("bn-BD") == "bn"
    assert cat.resolve("pl_PL") == "pl"
    assert cat.resolve("") == "en"


def test_a_kind_missing_from_a_catalogue_falls_back_to_english_not_to_a_blank(tmp_path: Path) -> None:
    shutil.copytree(messages.LOCALES_DIR / "en", tmp_path / "en")
    source = messages.LOCALES_DIR / "pl" / "LC_MESSAGES" / "messages.po"
    with source.open("rb") as handle:
        catalog = read_po(handle)
    catalog.delete(KIND_SENTENCES["fall"], context="fall")
    catalog.get(KIND_SENTENCES["smoke"], context="smoke").string = ""  # left untranslated
    (tmp_path / "pl" / "LC_MESSAGES").mkdir(parents=True)
    with (tmp_path / "pl" / "LC_MESSAGES" / "messages.po").open("wb") as handle:
        write_po(handle, catalog)
    partial = Catalogues(tmp_path)

    assert what_happened("fall", "pl", "Amina", partial) == "Amina's fall detector went off."
    assert what_happened("smoke", "pl", "Amina", partial) == "The smoke alarm went off at Amina's home."
    assert what_happened("co", "pl", "Amina", partial) == what_happened("co", "pl", "Amina")
    assert "Amina's fall detector went off." in rendered("fall", "pl", cat=partial).short


def test_a_translation_with_broken_placeholders_falls_back_to_english(tmp_path: Path) -> None:
    shutil.copytree(messages.LOCALES_DIR / "en", tmp_path / "en")
    (tmp_path / "pl" / "LC_MESSAGES").mkdir(parents=True)
    (tmp_path / "pl" / "LC_MESSAGES" / "messages.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
        'msgctxt "fall"\nmsgid "%(name)s\'s fall detector went off."\nmsgstr "%(imie)s: zadziałał czujnik upadku."\n',
        encoding="utf-8")

    assert what_happened("fall", "pl", "Amina", Catalogues(tmp_path)) == "Amina's fall detector went off."


def test_dates_and_times_are_written_in_the_relatives_language_and_time_zone() -> None:
    english = messages.when(AT, "Europe/London", "en")
    polish = messages.when(AT, "Europe/London", "pl")
    chinese = messages.when(AT, "Europe/London", "zh_Hans")

    assert english == {"time": "10:05", "date": "Wednesday 1 July"}
    assert polish["date"].startswith("śr") and polish["date"].endswith("1 lipca")
    assert "7月1日" in chinese["date"]
    assert messages.when(AT, "Asia/Karachi", "ur")["time"] != english["time"]


def test_emergencies_and_checks_are_worded_differently() -> None:
    emergency = rendered("fall", "en", priority=1)
    check = rendered("no_activity_morning", "en", priority=2)

    assert emergency.subject == "Telecare alarm: Amina"
    assert "dealing with it now" in emergency.short
    assert "See how things are" in emergency.short, "an emergency is not put to the family to answer"
    assert check.subject == "Telecare check: Amina"
    assert "Can you help?" in check.short


def test_only_a_first_name_is_ever_used() -> None:
    assert messages.first_name("Amina Khatun Begum", None) == "Amina"
    assert messages.first_name("Margaret Thompson", "Peggy") == "Peggy"
    assert messages.first_name("Margaret Thompson", "  ") == "Margaret"


def test_chinese_sentences_run_together_without_spaces() -> None:
    short = rendered("fall", "zh_Hans", priority=1).short

    assert "。 " not in short
