"""The CSV care-record format: one row per resident, responders as numbered column groups; the
simulator's CSV reads back as the same records; bad cells refuse the row, naming the column."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest

from hub.care_record.csv_import import RESIDENT_COLUMNS, record_to_row, row_to_record
from hub.care_record.model import InvalidNhsNumber, RecordRefused, describe_days, message_language, uk_e164
from simulators.care_records import care_records, csv_text
from simulators.homes import home_specs

ROW = {
    "home_id": "home-0001", "name": "Rahima Begum", "preferred_name": "Rahi", "date_of_birth": "14/03/1941",
    "nhs_number": "943 476 5919", "languages": "syl; bn", "interpreter_needed": "yes",
    "care_visits": "Eastside Homecare|Mon-Fri|08:00, 18:00|020 7946 0123;Bow Shopping|Sat-Sun",
    "conditions": "52448006|Dementia;Osteoarthritis", "risks": "129839007|At risk for falls",
    "key_safe_code": "", "access_notes": "Door sticks",
    "responder2_name": "Mrs Pat Russell", "responder2_kind": "neighbour", "responder2_phone": "020 7946 0999",
    "responder2_holds_key": "yes",
    "responder1_name": "Shahana Miah", "responder1_relationship": "daughter", "responder1_mobile": "07700 900123",
    "responder1_email": "shahana@example.org", "responder1_language": "syl",
    "responder1_consent_at": "2024-05-01 10:30",
    "responder3_name": "",
}


def test_a_row_becomes_a_record() -> None:
    warnings: list[str] = []
    record = row_to_record(ROW, "row 2", warnings).validated()
    assert (record.name, record.preferred_name, record.date_of_birth, record.nhs_number) == (
        "Rahima Begum", "Rahi", date(1941, 3, 14), "9434765919")
    assert (record.languages, record.preferred_language, record.interpreter_needed) == (["syl", "bn"], "syl", True)
    assert [v.as_json() for v in record.care_visits] == [
        {"provider": "Eastside Homecare", "days": "Mon-Fri", "times": "08:00, 18:00", "phone": "020 7946 0123"},
        {"provider": "Bow Shopping", "days": "Sat-Sun", "times": "", "phone": ""}]
    assert [(c.category, c.code, c.display, c.source_id) for c in record.conditions] == [
        ("condition", "52448006", "Dementia", "csv:condition:52448006"),
        ("condition", "", "Osteoarthritis", "csv:condition:osteoarthritis"),
        ("risk", "129839007", "At risk for falls", "csv:risk:129839007")]
    assert record.home.key_safe_code is None, "an empty key safe cell leaves the hub's code alone"
    daughter, neighbour = record.responders
    assert (daughter.position, daughter.kind, daughter.phone) == (1, "family", "07700 900123")
    assert (daughter.family.mobile, daughter.family.language) == ("+447700900123", "bn")
    # 10:30 in London in May is 09:30 UTC
    assert daughter.family.consent_given_at == datetime(2024, 5, 1, 9, 30, tzinfo=UTC)
    assert (neighbour.position, neighbour.kind, neighbour.holds_key, neighbour.family) == (2, "neighbour", True, None)
    assert warnings == []


@pytest.mark.parametrize("column, value, message", [
    ("interpreter_needed", "perhaps", "interpreter_needed is 'perhaps'; write yes or no"),
    ("date_of_birth", "14th March", "YYYY-MM-DD or DD/MM/YYYY"),
    ("responder2_kind", "cousin", "responder2_kind is 'cousin'"),
    ("responder1_consent_at", "last May", "responder1_consent_at is 'last May'"),
])
def test_a_bad_cell_refuses_the_row_naming_the_column(column: str, value: str, message: str) -> None:
    with pytest.raises(RecordRefused, match=message):
        row_to_record({**ROW, column: value}, "row 2", []).validated()


def test_an_invalid_nhs_number_is_refused_naming_the_resident() -> None:
    with pytest.raises(InvalidNhsNumber, match="'9434765918' of Rahima Begum"):
        row_to_record({**ROW, "nhs_number": "9434765918"}, "row 2", []).validated()


def test_a_mobile_that_is_not_a_number_is_a_warning_not_a_channel() -> None:
    warnings: list[str] = []
    record = row_to_record({**ROW, "responder1_mobile": "ask at the desk"}, "row 2", warnings)
    assert record.responders[0].family.mobile is None and record.responders[0].family.email
    assert "responder1_mobile" in warnings[0]


def test_the_simulators_csv_reads_back_as_the_same_records() -> None:
    records = care_records(home_specs(30, seed=5), seed=5)
    rows = list(csv.DictReader(io.StringIO(csv_text(records))))
    assert len(rows) == 30 and set(RESIDENT_COLUMNS) <= set(rows[0])
    for record, row in zip(records, rows, strict=True):
        back = row_to_record(row, "row", []).validated()
        for name in ("home_id", "name", "preferred_name", "date_of_birth", "nhs_number", "mosaic_id", "languages",
                     "preferred_language", "interpreter_needed", "communication_needs", "care_plan_summary",
                     "gp_name", "gp_practice", "gp_phone", "care_visits", "home"):
            assert getattr(back, name) == getattr(record, name), name
        assert [(c.category, c.code, c.display) for c in back.conditions] == [
            (c.category, c.code, c.display) for c in record.conditions]
        assert [(r.name, r.kind, r.phone, r.holds_key, r.family and r.family.consent_given_at)
                for r in back.responders] == [(r.name, r.kind, r.phone, r.holds_key,
                                               r.family and r.family.consent_given_at) for r in record.responders]
        assert record_to_row(back)["responder1_name"] == record.responders[0].name


@pytest.mark.parametrize("codes, text", [
    (["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "Daily"), (["mon", "tue", "wed", "thu", "fri"], "Mon-Fri"),
    (["sat", "sun"], "Sat-Sun"), (["mon", "wed", "fri"], "Mon, Wed, Fri"), (["tue", "wed", "thu"], "Tue-Thu")])
def test_days_read_as_an_operator_says_them(codes: list[str], text: str) -> None:
    from hub.care_record.fhir_build import day_codes

    assert describe_days(codes) == text
    assert day_codes(text) == codes


@pytest.mark.parametrize("raw, e164", [("07700 900123", "+447700900123"), ("+44 (0)7700 900123", "+447700900123"),
                                       ("0044 7700 900123", "+447700900123"), ("020 7946 0000", "+442079460000"),
                                       ("ask at the desk", None), ("123", None)])
def test_phone_numbers_to_e164(raw: str, e164: str | None) -> None:
    assert uk_e164(raw) == e164


@pytest.mark.parametrize("tag, catalogue", [("syl", "bn"), ("bn-GB", "bn"), ("zh-Hans", "zh_Hans"), ("zh", "zh_Hans"),
                                            ("yue", "zh_Hant"), ("PL", "pl"), ("so", "so"), ("", "en")])
def test_relatives_read_messages_in_a_written_language(tag: str, catalogue: str) -> None:
    assert message_language(tag) == catalogue
