"""What a relative reads, in their language: gettext catalogues read at run time, Babel for dates and times.

Catalogues are plain `.po` files under `locales/<lang>/LC_MESSAGES/messages.po`, read with Babel's `read_po`
(no compile step). The English text in this module is the msgid; each kind's sentence carries the kind as
its msgctxt. Any string missing from a catalogue, left empty or marked fuzzy, or whose placeholders do not
fit, falls back to English: a relative never gets a blank.

Minimum personal data: a message names the resident by first (or preferred) name only, says what happened
in plain words, when, that the response centre is on it, and links to the family page. No diagnosis, no
address, no key safe, no surname, no detail of the sensors' readings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_skeleton, format_time
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from alerts.family.policy import zone
from alerts.model import Priority

LOCALES_DIR = Path(__file__).parent / "locales"
ENGLISH = "en"
# The service writes dates the British way in English; other languages use their own CLDR defaults.
BABEL_LOCALES = {"en": "en_GB"}
# Tags a care record may hold for a language whose catalogue goes by another name.
ALIASES = {"zh": "zh_Hans", "zh_CN": "zh_Hans", "zh_SG": "zh_Hans", "zh_Hans_CN": "zh_Hans"}

# What happened, one plain sentence per kind (msgctxt = kind).
KIND_SENTENCES: dict[str, str] = {
    "pendant_press": "%(name)s's alarm button was pressed.",
    "pull_cord": "An alarm cord was pulled at %(name)s's home.",
    "fall": "%(name)s's fall detector went off.",
    "smoke": "The smoke alarm went off at %(name)s's home.",
    "co": "The carbon monoxide alarm went off at %(name)s's home.",
    "flood": "A water leak alarm went off at %(name)s's home.",
    "heat_high": "The heat alarm went off at %(name)s's home.",
    "bogus_caller": "The alarm button was pressed at %(name)s's home because of an unwanted caller at the door.",
    "no_activity_morning": "We have not seen %(name)s up and about at the usual time this morning.",
    "prolonged_inactivity": "There has been no movement at %(name)s's home for much longer than usual.",
    "night_wandering": "There has been much more moving about than usual at %(name)s's home during the night.",
    "door_open_night": "The front door at %(name)s's home was opened during the night.",
    "prolonged_bathroom": "%(name)s has been in the bathroom for much longer than usual.",
    "missed_meal": "We have not seen the kitchen used at %(name)s's home around the usual mealtime.",
    "cold_home": "It has been very cold at %(name)s's home for over an hour.",
    "activity_decline": "%(name)s has been less active at home over the past few weeks.",
}
SOMETHING_HAPPENED = "The telecare system raised an alert for %(name)s."

SUBJECT_EMERGENCY = "Telecare alarm: %(name)s"
SUBJECT_CHECK = "Telecare check: %(name)s"
WHEN = "This was at %(time)s on %(date)s."
ON_IT_EMERGENCY = "The response centre has been alerted and is dealing with it now."
ON_IT_CHECK = "The response centre knows and is looking into it."
ASK = "Can you help? Please answer here: %(link)s"
SEE = "See how things are: %(link)s"
GREETING = "Hello %(relative)s,"
WHY_YOU_GET_THIS = ("You get these messages because you asked to be told about alerts for %(name)s. "
                    "To change or stop them, please contact the response centre.")
PERSONAL_LINK = "The link is personal to you: please do not forward this message."

# The family page (console/routes/family.py hands these to the page in the relative's language).
PAGE_STRINGS: dict[str, str] = {
    "heading": "Telecare updates for %(name)s",
    "calm": "Nothing needs attention right now.",
    "open_now": "Open now",
    "recent": "Recent alerts",
    "no_recent": "No recent alerts.",
    "status_new": "The response centre has been alerted.",
    "status_acknowledged": "An operator is dealing with it.",
    "status_resolved": "Dealt with by the response centre.",
    "can_you_help": "Can you help?",
    "answer_going_round": "I'm going round",
    "answer_all_fine": "All fine, I spoke to %(name)s",
    "answer_cannot_help": "I can't help",
    "answer_thanks": "Thank you. The response centre can see your answer.",
    "your_answer": "Your answer: %(answer)s",
    "answer_failed": "Could not send your answer. Please try again, or phone the response centre.",
    "push_turn_on": "Turn on alerts on this phone",
    "push_on": "Alerts are on for this phone.",
    "push_failed": "Notifications could not be turned on.",
    "link_expired_title": "This link has expired",
    "link_expired_body": ("For your safety, links only work for a limited time. "
                          "Please ask the response centre for a new one."),
    "link_unknown_title": "This link is not valid",
    "link_unknown_body": ("Please check you opened the whole link from your message, "
                          "or ask the response centre for a new one."),
    "signed_out": "Please open the link in your latest message from the response centre.",
    "refused": "This page is not available to you.",
}


class Catalogues:
    """The `.po` catalogues in one directory, read once each, with English as the fallback for every string."""

    def __init__(self, directory: Path = LOCALES_DIR) -> None:
        self.directory = directory
        self._loaded: dict[str, Catalog | None] = {}

    def languages(self) -> list[str]:
        return sorted(p.parent.parent.name for p in self.directory.glob("*/LC_MESSAGES/messages.po"))

    def resolve(self, requested: str | None) -> str:
        """The catalogue to write in for a requested tag (BCP 47 or POSIX style), English when there is none."""
        if not requested:
            return ENGLISH
        tag = requested.strip().replace("-", "_")
        available = set(self.languages())
        for candidate in (tag, ALIASES.get(tag), tag.split("_")[0], ALIASES.get(tag.split("_")[0])):
            if candidate and candidate in available:
                return candidate
        return ENGLISH

    def _catalog(self, language: str) -> Catalog | None:
        if language not in self._loaded:
            path = self.directory / language / "LC_MESSAGES" / "messages.po"
            catalog = None
            if path.is_file():
                with path.open("rb") as handle:
                    catalog = read_po(handle, locale=None)
            self._loaded[language] = catalog
        return self._loaded[language]

    def lookup(self, language: str, msgid: str, context: str | None = None) -> str | None:
        """The translation in this catalogue alone, or None when it is missing, empty or fuzzy."""
        catalog = self._catalog(language)
        if catalog is None:
            return None
        message = catalog.get(msgid, context=context)
        if message is None or message.fuzzy or not isinstance(message.string, str) or not message.string.strip():
            return None
        return message.string

    def text(self, language: str, msgid: str, context: str | None = None, **values: str) -> str:
        """Translated and filled in; English (the catalogue, then the msgid itself) when that is not possible."""
        for candidate in (self.lookup(language, msgid, context), self.lookup(ENGLISH, msgid, context), msgid):
            if candidate is None:
                continue
            try:
                return candidate % values if values else candidate
            except (KeyError, ValueError, TypeError):
                continue  # a translation with broken placeholders must not blank the message
        return msgid


@lru_cache(maxsize=1)
def catalogues() -> Catalogues:
    return Catalogues()


def babel_locale(language: str) -> Locale:
    try:
        return Locale.parse(BABEL_LOCALES.get(language, language))
    except (UnknownLocaleError, ValueError):
        return Locale.parse(BABEL_LOCALES[ENGLISH])


def when(at: datetime, timezone: str, language: str) -> dict[str, str]:
    """Local time and day of `at` for this relative, written the way their language writes them."""
    local = at.astimezone(zone(timezone))
    locale = babel_locale(language)
    return {"time": format_time(local, "short", locale=locale),
            "date": format_skeleton("MMMMEEEEd", local, locale=locale)}


def what_happened(kind: str, language: str, name: str, cat: Catalogues | None = None) -> str:
    cat = cat or catalogues()
    if kind in KIND_SENTENCES:
        return cat.text(language, KIND_SENTENCES[kind], context=kind, name=name)
    return cat.text(language, SOMETHING_HAPPENED, name=name)


def page_strings(language: str, name: str, cat: Catalogues | None = None) -> dict[str, str]:
    """Every string of the family page, with the resident's name filled in; `%(answer)s` is left for the page."""
    cat = cat or catalogues()
    return {key: cat.text(language, msgid, name=name, answer="%(answer)s") for key, msgid in PAGE_STRINGS.items()}


@dataclass(frozen=True)
class Rendered:
    language: str
    subject: str  # email subject, push title
    body: str  # email body, plain text
    short: str  # SMS and push body


def render(kind: str, priority: int, language: str, *, name: str, relative: str, at: datetime, timezone: str,
           link: str, answerable: bool, cat: Catalogues | None = None) -> Rendered:
    """The message for one relative about one alert."""
    cat = cat or catalogues()
    emergency = priority == Priority.EMERGENCY
    subject = cat.text(language, SUBJECT_EMERGENCY if emergency else SUBJECT_CHECK, name=name)
    what = what_happened(kind, language, name, cat)
    moment = cat.text(language, WHEN, **when(at, timezone, language))
    on_it = cat.text(language, ON_IT_EMERGENCY if emergency else ON_IT_CHECK)
    action = cat.text(language, ASK if answerable else SEE, link=link)
    body = "\n".join([
        cat.text(language, GREETING, relative=relative), "",
        what, moment, on_it, "",
        action, "",
        "-- ",
        cat.text(language, WHY_YOU_GET_THIS, name=name),
        cat.text(language, PERSONAL_LINK), "",
    ])
    # Chinese runs sentences together; the other catalogues' languages put a space between them.
    short = ("" if language.startswith("zh") else " ").join([what, moment, on_it, action])
    return Rendered(language, subject, body, short)


def first_name(full_name: str, preferred_name: str | None) -> str:
    """How a message names the resident: their preferred name, else their first name, never the surname."""
    if preferred_name and preferred_name.strip():
        return preferred_name.strip().split()[0]
    parts = full_name.strip().split()
    return parts[0] if parts else ""
