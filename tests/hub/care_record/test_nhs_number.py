"""NHS numbers: the modulus-11 check digit, the numbers that can never be issued, and refusals that name
the resident and the number."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.care_record.model import (
    InvalidNhsNumber,
    ResidentRecord,
    is_valid_nhs_number,
    nhs_check_digit,
    nhs_number_problem,
    validated_nhs_number,
)

nine_digits = st.text(alphabet="0123456789", min_size=9, max_size=9)


def _valid(first_nine: str) -> str | None:
    check = nhs_check_digit(first_nine)
    return None if check is None else first_nine + str(check)


@pytest.mark.parametrize("number", ["9434765919", "943 476 5919", "943-476-5919", "4010232137", "9990000018"])
def test_known_valid_numbers(number: str) -> None:
    assert is_valid_nhs_number(number)


def test_worked_example_of_the_check_digit() -> None:
    # 9*10 + 4*9 + 3*8 + 4*7 + 7*6 + 6*5 + 5*4 + 9*3 + 1*2 = 299; 299 mod 11 = 2; 11 - 2 = 9
    assert nhs_check_digit("943476591") == 9
    assert nhs_check_digit("000000000") == 0  # 11 - 0 = 11 counts as 0


def test_a_check_of_ten_means_no_number_starts_with_those_digits() -> None:
    first_nine = next(f"999{n:06d}" for n in range(10**6) if nhs_check_digit(f"999{n:06d}") is None)
    for last in "0123456789":
        assert not is_valid_nhs_number(first_nine + last)
    assert "would be 10" in nhs_number_problem(first_nine + "0")


@pytest.mark.parametrize("number, why", [
    ("9434765918", "check digit is 8 but the modulus-11 check gives 9"),
    ("943476591", "must be 10 digits"),
    ("94347659190", "must be 10 digits"),
    ("94347659A9", "must be 10 digits"),
])
def test_invalid_numbers_say_why(number: str, why: str) -> None:
    assert why in nhs_number_problem(number)


def test_refusal_names_the_resident_and_the_number() -> None:
    with pytest.raises(InvalidNhsNumber) as refused:
        validated_nhs_number("943 476 5918", "Rahima Begum")
    assert "Rahima Begum" in str(refused.value) and "943 476 5918" in str(refused.value)
    record = ResidentRecord(source="csv", source_ref="row 3", home_id="home-0001", name="Doris Walker",
                            nhs_number="1234567890")
    with pytest.raises(InvalidNhsNumber, match="'1234567890' of Doris Walker"):
        record.validated()


def test_blank_is_no_number_and_spaces_are_normalised() -> None:
    assert validated_nhs_number("  ", "x") is None
    assert validated_nhs_number(None, "x") is None
    assert validated_nhs_number("943 476 5919", "x") == "9434765919"


@given(nine_digits)
def test_every_computed_check_digit_makes_a_valid_number(first_nine: str) -> None:
    number = _valid(first_nine)
    if number is not None:
        assert is_valid_nhs_number(number)
    else:
        assert not any(is_valid_nhs_number(first_nine + d) for d in "0123456789")


@given(nine_digits, st.integers(0, 9), st.integers(1, 9))
def test_any_single_digit_error_is_caught(first_nine: str, position: int, delta: int) -> None:
    number = _valid(first_nine)
    if number is None:
        return
    wrong = number[:position] + str((int(number[position]) + delta) % 10) + number[position + 1:]
    assert not is_valid_nhs_number(wrong)


@given(nine_digits, st.integers(0, 8))
def test_any_swap_of_adjacent_different_digits_is_caught(first_nine: str, position: int) -> None:
    number = _valid(first_nine)
    if number is None or number[position] == number[position + 1]:
        return
    swapped = number[:position] + number[position + 1] + number[position] + number[position + 2:]
    assert not is_valid_nhs_number(swapped)
