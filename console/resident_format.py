"""Pure shaping of care-record values for the operator's resident card: age, NHS number, phone links,
language names and the plain sentences the card shows. No I/O, so each rule is unit-testable."""

from __future__ import annotations

import re
from datetime import date

from babel import Locale, UnknownLocaleError

# Names a UK response centre uses, where CLDR's English names differ or CLDR has none.
_LANGUAGE_NAMES = {
    "bn": "Bengali",
    "syl": "Sylheti",
    "bfi": "British Sign Language",
    "sgn-gb": "British Sign Language",
    "bsl": "British Sign Language",
    "ise": "Irish Sign Language",
}
_ENGLISH = Locale("en", "GB")

FAMILY_ANSWERS = {
    "going_round": "Going round",
    "all_fine": "All fine",
    "cannot_help": "Cannot help",
}

_CHANNEL_NAMES = {"email": "Email", "sms": "Text message", "webpush": "Push notification"}


def age_on(date_of_birth: date | None, today: date) -> int | None:
    """Completed years on `today`; a 29 February birthday counts from 1 March in other years."""
    if date_of_birth is None:
        return None
    had_birthday = (today.month, today.day) >= (date_of_birth.month, date_of_birth.day)
    return today.year - date_of_birth.year - (0 if had_birthday else 1)


def format_nhs_number(nhs_number: str | None) -> str | None:
    """The 3-3-4 grouping NHS staff read aloud, e.g. "943 476 5919"."""
    if not nhs_number:
        return None
    digits = re.sub(r"\D", "", nhs_number)
    if len(digits) != 10:
        return nhs_number
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}"


def tel_uri(phone: str | None) -> str | None:
    """A tel: link the console's phone integration can dial: digits and a leading +, nothing else."""
    if not phone:
        return None
    # "+44 (0)20 ..." : the bracketed trunk zero is not dialled after a country code.
    cleaned = re.sub(r"[^\d+]", "", re.sub(r"\(0\)", "", phone))
    cleaned = cleaned[0] + cleaned[1:].replace("+", "") if cleaned else cleaned
    return f"tel:{cleaned}" if re.search(r"\d{3,}", cleaned) else None


def language_name(tag: str) -> str:
    """English name of a BCP 47 tag (bn → Bengali, zh-Hans → Chinese (Simplified)); the tag if unknown."""
    key = tag.strip().lower().replace("_", "-")
    if key in _LANGUAGE_NAMES:
        return _LANGUAGE_NAMES[key]
    try:
        name = Locale.parse(tag.replace("-", "_")).get_display_name(_ENGLISH)
    except (ValueError, UnknownLocaleError):
        name = None
    return name or tag


def languages_view(preferred: str, spoken: list[str], interpreter_needed: bool) -> dict[str, object]:
    """Preferred language first, then the others spoken, each with its English name."""
    tags = [preferred] + [tag for tag in spoken if tag != preferred]
    return {
        "preferred": {"tag": preferred, "name": language_name(preferred)},
        "spoken": [{"tag": tag, "name": language_name(tag)} for tag in tags],
        "interpreter_needed": interpreter_needed,
    }


def no_record_message(home_id: str) -> str:
    return f"No care record linked to home {home_id} — check the council record"


def channel_name(channel: str) -> str:
    return _CHANNEL_NAMES.get(channel, channel)


def disabled_channel_warning(channel: str, member_name: str, reason: str | None) -> str:
    """e.g. "Email to Rahima Begum failing: mailbox does not exist — channel disabled"."""
    why = reason or "permanent delivery error"
    return f"{channel_name(channel)} to {member_name} failing: {why} — channel disabled"


def key_safe_note(operator: str) -> str:
    """The note the alert's audit trail carries for every key safe reveal (never the code itself)."""
    return f"Key safe code revealed to {operator}"
