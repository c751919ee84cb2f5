"""Simulated care records for the simulator's homes, as a council in East London might hold them:
one resident per home (the same name as `home_specs`), a valid NHS number from the test range 999…,
languages and interpreter needs that fit the resident's community, conditions and risks, a care plan
whose morning visit matches the simulated carer, GP, key safe, and one to three responders: relatives
with a mobile and/or email who read messages in their own language (most, not all, agreed to be told
about alerts), and a neighbour or sheltered-scheme warden who holds a key.

Deterministic: the same (homes, seed) give the same records, and each home's record depends only on that
home and the ones before it. Rendered as a FHIR R4 transaction Bundle or as the hub's CSV import format.
Phone numbers are in Ofcom's drama ranges and email addresses at example.org.
"""

from __future__ import annotations

import io
import random
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from hub.care_record.csv_import import write_csv
from hub.care_record.fhir_build import transaction_bundle
from hub.care_record.model import (
    CareVisit,
    ConditionEntry,
    FamilyContact,
    HomeAccess,
    ResidentRecord,
    ResponderEntry,
    nhs_check_digit,
    uk_e164,
)
from simulators.homes import _COMMUNITIES, HomeSpec
from simulators.residents import resident_for

REFERENCE_DAY = date(2025, 1, 1)  # ages are worked out from a fixed day, so records never drift


@dataclass(frozen=True)
class Speech:
    languages: tuple[str, ...]  # BCP 47, preferred first
    interpreter_share: float
    family_languages: tuple[str, ...]  # what relatives read messages in (BCP 47)
    names: str  # the language, as an operator would say it


_SPEECH = {
    "english": Speech(("en",), 0.0, ("en",), "English"),
    "irish": Speech(("en",), 0.0, ("en",), "English"),
    "caribbean": Speech(("en",), 0.0, ("en",), "English"),
    "jewish": Speech(("en",), 0.0, ("en",), "English"),
    "bengali": Speech(("syl", "bn"), 0.7, ("bn", "en", "en"), "Sylheti (Bengali)"),
    "urdu": Speech(("ur", "pa"), 0.6, ("ur", "en"), "Urdu"),
    "somali": Speech(("so", "ar"), 0.8, ("so", "en"), "Somali"),
    "polish": Speech(("pl",), 0.5, ("pl", "en"), "Polish"),
    "chinese": Speech(("yue", "zh"), 0.8, ("zh-Hans", "en"), "Cantonese"),
}
_URDU_FAMILIES = {"Ahmed", "Ali", "Hussain", "Rahman"}  # names shared with Pakistani families

# Adult children's given names by community: (women, men).
_NEXT_GENERATION = {
    "english": (("Susan", "Karen", "Tracey", "Michelle", "Julie"), ("Gary", "Paul", "Lee", "Darren", "Steven")),
    "irish": (("Siobhan", "Ciara", "Niamh", "Aoife"), ("Declan", "Sean", "Ciaran", "Liam")),
    "caribbean": (("Marcia", "Donna", "Sharon", "Paulette"), ("Andre", "Jermaine", "Marlon", "Dwayne")),
    "jewish": (("Rachel", "Deborah", "Ruth", "Naomi"), ("Daniel", "Jonathan", "David", "Simon")),
    "bengali": (("Shahana", "Rumana", "Salma", "Nazma", "Shirin"), ("Jamal", "Rubel", "Shahid", "Foysal", "Kamal")),
    "urdu": (("Ayesha", "Saima", "Nadia", "Sana"), ("Imran", "Faisal", "Tariq", "Adnan")),
    "somali": (("Idil", "Hibo", "Ayaan", "Warsan"), ("Liban", "Mahad", "Abdiaziz", "Guled")),
    "polish": (("Agnieszka", "Marta", "Katarzyna", "Magda"), ("Tomasz", "Piotr", "Paweł", "Marek")),
    "chinese": (("Ka Yan", "Wing Sze", "Mei Yee", "Hoi Ling"), ("Ho Yin", "Chun Kit", "Ka Ho", "Wai Lun")),
}
_NEIGHBOURS = ("Pat Russell", "Shamima Akhter", "Dave Mortimer", "Lorraine Ogunleye", "Krzysztof Wójcik",
               "Abdi Farah", "Jean Whitlock", "Tony Ng", "Maureen Daly", "Rizwan Qureshi")
_WARDENS = ("Sheila Turner", "Nasima Khatun", "Graham Pike", "Beata Nowicka", "Yvonne Grant")
_PRACTICES = (("Whitechapel Road Surgery", "Dr N. Rahman"), ("Jubilee Street Practice", "Dr S. Patel"),
              ("Bow Health Centre", "Dr A. Okafor"), ("Limehouse Medical Practice", "Dr J. Clarke"),
              ("Wapping Group Practice", "Dr M. Kowalczyk"), ("Aldgate Medical Centre", "Dr L. Chen"))
_PROVIDERS = ("Eastside Homecare", "Bow Community Care", "Riverside Care at Home", "Spitalfields Home Support")
_CONDITIONS = (  # (SNOMED CT, display, weight)
    ("44054006", "Type 2 diabetes mellitus", 25), ("52448006", "Dementia", 18),
    ("59621000", "Essential hypertension", 35),
    ("13645005", "Chronic obstructive pulmonary disease", 12), ("396275006", "Osteoarthritis", 25),
    ("49436004", "Atrial fibrillation", 12), ("84114007", "Heart failure", 8), ("49049000", "Parkinson's disease", 5),
    ("230690007", "Stroke", 8), ("64859006", "Osteoporosis", 15), ("15188001", "Hearing loss", 20),
    ("267718000", "Age-related macular degeneration", 8),
)
_KEY_SAFE_PLACES = ("left of the front door", "by the meter cupboard", "under the porch light", "behind the drainpipe")
_ACCESS_EXTRAS = ("Door sticks: lift the handle and push.", "Small friendly dog.", "Door chain on at night.",
                  "Parking: the estate car park, visitor bays.")


def _community(home: HomeSpec, rng: random.Random) -> tuple[str, str, tuple[str, ...], str]:
    """(community, sex, given names, family name) recovered from the name `home_specs` gave the resident."""
    for community, (_, women, men) in _COMMUNITIES.items():
        for sex, (givens, families) in (("female", women), ("male", men)):
            for given, _preferred in givens:
                family = home.resident_name.removeprefix(given + " ")
                if family != home.resident_name and family in families:
                    if community == "bengali" and family in _URDU_FAMILIES and rng.random() < 0.4:
                        community = "urdu"
                    return community, sex, tuple(given.split()), family
    return "english", "female", tuple(home.resident_name.split()[:-1]), home.resident_name.split()[-1]


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _nhs_number(rng: random.Random, taken: set[str]) -> str:
    while True:
        first_nine = f"999{rng.randrange(10**6):06d}"
        check = nhs_check_digit(first_nine)
        if check is not None and (number := f"{first_nine}{check}") not in taken:
            taken.add(number)
            return number


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.replace("ł", "l").replace("Ł", "L"))
    return "".join(c for c in folded if c.isascii() and (c.isalnum() or c in ".-")).lower()


def _mobile(rng: random.Random) -> str:
    return f"07700 900{rng.randrange(1000):03d}"


def _landline(rng: random.Random) -> str:
    return f"020 7946 0{rng.randrange(1000):03d}"


def _relative(rng: random.Random, community: str, family_name: str, resident_sex: str, speech: Speech,
              position: int, has_partner: bool) -> ResponderEntry:
    women, men = _NEXT_GENERATION.get(community, _NEXT_GENERATION["english"])
    relationship = rng.choices(("daughter", "son", "niece", "nephew", "granddaughter", "grandson"),
                               (30, 30, 8, 8, 12, 12))[0]
    sex = "female" if relationship in ("daughter", "niece", "granddaughter") else "male"
    surname = family_name
    if community == "bengali" and resident_sex == "female":
        surname = rng.choice(_COMMUNITIES["bengali"][2][1])  # a mother's children carry their father's name
    elif community == "polish":
        surname = surname[:-1] + ("a" if sex == "female" else "i") if surname[-3:] in ("ska", "ski") else surname
    given = rng.choice(women if sex == "female" else men)
    name = f"{given} {surname}"
    mobile = _mobile(rng) if rng.random() < 0.92 else None
    email = f"{_ascii(given)}.{_ascii(surname)}{rng.randrange(10, 99)}@example.org" if rng.random() < 0.75 else None
    family = None
    if mobile or email:
        agreed = rng.random() < 0.8
        consent_at = datetime(2024, 1, 8, 10, tzinfo=UTC) + timedelta(days=rng.randrange(300), hours=rng.randrange(8))
        family = FamilyContact(
            email=email, mobile=uk_e164(mobile) if mobile else None, language=rng.choice(speech.family_languages)
            .replace("-", "_"), consent_given_at=consent_at if agreed else None,
            consent_source=f"fhir:Consent/{_uuid(rng)}" if agreed else "")
    return ResponderEntry(
        name=name, position=position, relationship=relationship, kind="family",
        phone=mobile or _landline(rng), fhir_related_person_id=_uuid(rng), family=family,
        availability=rng.choice(("any time", "weekdays after 18:00", "evenings and weekends",
                                 "works nights: daytime after 14:00", "lives nearby; any time")),
        holds_key=rng.random() < (0.4 if has_partner else 0.6),
    )


def _keyholder(rng: random.Random, home: HomeSpec, position: int) -> ResponderEntry | None:
    block = home.address.split(", ")[1] if home.address.startswith("Flat ") else None
    if block and rng.random() < 0.5:
        return ResponderEntry(
            name=rng.choice(_WARDENS), position=position, relationship=f"Scheme warden, {block}", kind="warden",
            phone=_landline(rng), availability="Mon-Fri 09:00-17:00", holds_key=True,
            fhir_related_person_id=_uuid(rng))
    if rng.random() < 0.6:
        return ResponderEntry(
            name=rng.choice(_NEIGHBOURS), position=position, relationship="neighbour", kind="neighbour",
            phone=_landline(rng), availability=rng.choice(("mostly at home", "daytime", "evenings")),
            holds_key=True, fhir_related_person_id=_uuid(rng))
    return None


def _responders(rng: random.Random, home: HomeSpec, community: str, family_name: str, sex: str, speech: Speech,
                has_partner: bool) -> list[ResponderEntry]:
    relatives = [_relative(rng, community, family_name, sex, speech, n, has_partner)
                 for n in range(1, rng.choice((1, 1, 2)) + 1)]
    keyholder = _keyholder(rng, home, len(relatives) + 1)
    everyone = relatives + ([keyholder] if keyholder else [])
    if keyholder and rng.random() < 0.5:  # the neighbour with the key is often rung first
        everyone = [keyholder, *relatives]
    for position, responder in enumerate(everyone, start=1):
        responder.position = position
    return everyone


def _conditions(rng: random.Random, has_partner: bool) -> list[ConditionEntry]:
    chosen: list[tuple[str, str]] = []
    for _ in range(rng.choice((1, 2, 2, 3))):
        code, display, _ = rng.choices(_CONDITIONS, [w for *_, w in _CONDITIONS])[0]
        if (code, display) not in chosen:
            chosen.append((code, display))
    entries = [ConditionEntry("condition", display, code, source_id=f"Condition/{_uuid(rng)}")
               for code, display in chosen]
    codes = {code for code, _ in chosen}
    risks: list[tuple[str, str]] = []
    if rng.random() < 0.6 or codes & {"49049000", "230690007", "64859006"}:
        risks.append(("129839007", "At risk for falls"))
    if not has_partner:
        risks.append(("105529008", "Lives alone"))
    if "52448006" in codes:
        risks.append(("", "Memory problems: may not remember pressing the pendant"))
    if "13645005" in codes and rng.random() < 0.5:
        risks.append(("", "Home oxygen in use: fire risk, no naked flames"))
    if "44054006" in codes and rng.random() < 0.4:
        risks.append(("", "Insulin: risk of hypos; sugary drink in the fridge"))
    entries += [ConditionEntry("risk", display, code, source_id=f"Flag/{_uuid(rng)}") for code, display in risks]
    return entries


def _hhmm(hours: float) -> str:
    minutes = int(round(hours * 60 / 15) * 15) % (24 * 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _record(home: HomeSpec, seed: int, taken_nhs: set[str], taken_mosaic: set[str]) -> ResidentRecord:
    rng = random.Random(f"care-records:{seed}:{home.home_id}")
    community, sex, _given, family_name = _community(home, rng)
    speech = _SPEECH[community]
    household = resident_for(home, seed)
    interpreter = rng.random() < speech.interpreter_share
    languages = list(speech.languages) + (["en"] if not interpreter and speech.languages[0] != "en" else [])
    mosaic = f"{rng.randrange(100000, 999999)}"
    while mosaic in taken_mosaic:
        mosaic = f"{rng.randrange(100000, 999999)}"
    taken_mosaic.add(mosaic)
    conditions = _conditions(rng, household.partner)
    condition_codes = {c.code for c in conditions}
    needs = []
    if interpreter:
        needs.append(f"Speaks {speech.names}; needs an interpreter: use the interpreting line.")
    if "15188001" in condition_codes:
        needs.append("Hard of hearing: face them and speak slowly.")
    if "52448006" in condition_codes:
        needs.append("Living with dementia: short, simple questions.")
    visits = []
    if household.carer_h is not None:
        visits.append(CareVisit(rng.choice(_PROVIDERS), "Daily", _hhmm(household.carer_h), _landline(rng)))
    if rng.random() < 0.3:
        visits.append(CareVisit(rng.choice(_PROVIDERS), "Mon, Wed, Fri", "13:00", _landline(rng)))
    practice, doctor = rng.choice(_PRACTICES)
    responders = _responders(rng, home, community, family_name, sex, speech, household.partner)
    key_safe = f"{rng.randrange(10000):04d}" if rng.random() < 0.7 else None
    access = [f"Key safe {rng.choice(_KEY_SAFE_PLACES)}." if key_safe else "No key safe: use a keyholder."]
    if home.address.startswith("Flat "):
        access.append(f"Entry phone: press {home.address.split(',')[0].removeprefix('Flat ')} then wait.")
        if rng.random() < 0.3:
            access.append("Stairs only: the lift is often out of order.")
    if rng.random() < 0.4:
        access.append(rng.choice(_ACCESS_EXTRAS))
    summary = ["Telecare: pendant with fall detection, smoke alarm and activity sensors."]
    if visits:
        summary.append("Home care visits as listed.")
    if household.partner:
        summary.append("Lives with a partner, who may answer the call.")
    summary.append(f"Non-emergencies: ring {responders[0].name} ({responders[0].relationship}) first.")
    age_days = rng.randrange(68 * 365, 97 * 365)
    return ResidentRecord(
        source="fhir", source_ref=home.home_id, home_id=home.home_id, name=home.resident_name,
        preferred_name=home.preferred_name, date_of_birth=REFERENCE_DAY - timedelta(days=age_days),
        nhs_number=_nhs_number(rng, taken_nhs), mosaic_id=mosaic, fhir_patient_id=_uuid(rng),
        languages=languages, preferred_language=languages[0], interpreter_needed=interpreter,
        communication_needs=" ".join(needs), care_plan_summary=" ".join(summary), gp_name=doctor,
        gp_practice=practice, gp_phone=_landline(rng), care_visits=visits,
        home=HomeAccess(address=home.address, postcode=" ".join(home.address.split()[-2:]),
                        access_notes=" ".join(access), key_safe_code=key_safe),
        conditions=conditions, responders=responders,
    )


def care_records(homes: list[HomeSpec], seed: int = 1) -> list[ResidentRecord]:
    """One care record per home, in the homes' order."""
    taken_nhs: set[str] = set()
    taken_mosaic: set[str] = set()
    return [_record(home, seed, taken_nhs, taken_mosaic) for home in homes]


def fhir_bundle(records: list[ResidentRecord], home_identifier_system: str) -> dict[str, Any]:
    return transaction_bundle(records, home_identifier_system)


def csv_text(records: list[ResidentRecord]) -> str:
    out = io.StringIO()
    write_csv(records, out)
    return out.getvalue()
