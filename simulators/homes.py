"""Deterministic home layouts: who lives where and which devices the home unit relays.

`hub seed` registers these homes in the database and the simulator drives the same ones, so the
ids here are the contract between them. Names and addresses are invented; only the mix of
communities is meant to look like East London.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

PERSONAS: tuple[str, ...] = ("early_riser", "late_riser", "night_toilet", "goes_out", "homebody")

ROOMS: tuple[str, ...] = ("bedroom", "kitchen", "bathroom", "lounge", "hallway")
FRONT_DOOR_ROOM = "front_door"  # a door event's `room` names the door (design.md §2)


@dataclass(frozen=True)
class DeviceSpec:
    device_id: str
    kind: str
    room: str | None
    heartbeat_interval_s: int


@dataclass(frozen=True)
class HomeSpec:
    home_id: str
    resident_id: str
    resident_name: str
    preferred_name: str
    address: str
    persona: str
    devices: tuple[DeviceSpec, ...]

    def device(self, device_id: str) -> DeviceSpec:
        for spec in self.devices:
            if spec.device_id == device_id:
                return spec
        raise KeyError(f"{self.home_id} has no device {device_id!r}")

    def find(self, kind: str, room: str | None = None) -> DeviceSpec:
        """The first device of `kind` (in `room`, when given)."""
        for spec in self.devices:
            if spec.kind == kind and (room is None or spec.room == room):
                return spec
        raise KeyError(f"{self.home_id} has no {kind} device" + (f" in {room}" if room else ""))


# (given name, preferred name) per community and sex, plus family names. Bengali women's family
# names differ from men's by custom (Begum, Khatun), hence the per-sex family lists there.
_Names = tuple[tuple[tuple[str, str], ...], tuple[str, ...]]
_COMMUNITIES: dict[str, tuple[int, _Names, _Names]] = {
    "english": (30, (
        (("Margaret", "Peggy"), ("Doris", "Doris"), ("Elizabeth", "Betty"), ("Dorothy", "Dot"),
         ("Joan", "Joan"), ("Patricia", "Pat"), ("Kathleen", "Kath"), ("Irene", "Rene"),
         ("Violet", "Vi"), ("Sylvia", "Sylvia")),
        ("Cooper", "Turner", "Harris", "Walker", "Bennett", "Clarke", "Watts", "Fletcher", "Mills", "Barker"),
    ), (
        (("William", "Bill"), ("Albert", "Bert"), ("Edward", "Ted"), ("Robert", "Bob"),
         ("Frederick", "Fred"), ("Ronald", "Ron"), ("Leonard", "Len"), ("George", "George"),
         ("Arthur", "Arthur"), ("Kenneth", "Ken")),
        ("Cooper", "Turner", "Harris", "Walker", "Bennett", "Clarke", "Watts", "Fletcher", "Mills", "Barker"),
    )),
    "bengali": (30, (
        (("Rahima", "Rahima"), ("Jahanara", "Jahanara"), ("Rokeya", "Rokeya"), ("Amina", "Amina"),
         ("Shahida", "Shahida"), ("Nurjahan", "Nurjahan"), ("Rashida", "Rashida"), ("Hafsa", "Hafsa"),
         ("Momtaz", "Momtaz"), ("Sufia", "Sufia")),
        ("Begum", "Khatun", "Bibi", "Begum", "Khatun"),
    ), (
        (("Abdul Karim", "Karim"), ("Mohammed Ashik", "Ashik"), ("Abdul Mannan", "Mannan"),
         ("Shamsul", "Shamsul"), ("Nurul", "Nurul"), ("Mohammed Abdul", "Abdul"), ("Siraj", "Siraj"),
         ("Anwar", "Anwar"), ("Habibur", "Habib"), ("Moinul", "Moinul")),
        ("Miah", "Uddin", "Ahmed", "Rahman", "Ali", "Hussain", "Islam", "Chowdhury"),
    )),
    "somali": (8, (
        (("Fadumo", "Fadumo"), ("Hodan", "Hodan"), ("Khadra", "Khadra"), ("Asha", "Asha"),
         ("Halimo", "Halimo"), ("Sahra", "Sahra")),
        ("Warsame", "Abdi", "Osman", "Nur", "Jama", "Hirsi", "Yusuf", "Egal"),
    ), (
        (("Abdirahman", "Abdi"), ("Yusuf", "Yusuf"), ("Ismail", "Ismail"), ("Hassan", "Hassan"),
         ("Abdullahi", "Abdullahi"), ("Omar", "Omar")),
        ("Warsame", "Abdi", "Osman", "Nur", "Jama", "Hirsi", "Yusuf", "Egal"),
    )),
    "polish": (8, (
        (("Zofia", "Zosia"), ("Krystyna", "Krysia"), ("Halina", "Hala"), ("Danuta", "Danka"),
         ("Barbara", "Basia"), ("Irena", "Irena")),
        ("Kowalska", "Nowak", "Wiśniewska", "Zielińska", "Lewandowska", "Kamińska"),
    ), (
        (("Stanisław", "Stan"), ("Józef", "Józek"), ("Tadeusz", "Tadek"), ("Kazimierz", "Kazik"),
         ("Zbigniew", "Zbyszek"), ("Jan", "Jan")),
        ("Kowalski", "Nowak", "Wiśniewski", "Zieliński", "Lewandowski", "Kamiński"),
    )),
    "chinese": (7, (
        (("Mei Ling", "Mei Ling"), ("Siu Fong", "Siu Fong"), ("Lai Ying", "Lai Ying"), ("Yuk Lan", "Yuk Lan"),
         ("Wai Man", "Wai Man")),
        ("Wong", "Chan", "Lee", "Cheung", "Lau", "Ng", "Tang"),
    ), (
        (("Kwok Wing", "Wing"), ("Chi Keung", "Keung"), ("Wai Kit", "Kit"), ("Man Hon", "Hon"),
         ("Siu Ming", "Ming")),
        ("Wong", "Chan", "Lee", "Cheung", "Lau", "Ng", "Tang"),
    )),
    "irish": (6, (
        (("Bridget", "Bridie"), ("Mary", "Mary"), ("Nora", "Nora"), ("Eileen", "Eileen"), ("Maureen", "Mo")),
        ("Murphy", "Kelly", "O'Brien", "Doyle", "Byrne", "Walsh", "Keane"),
    ), (
        (("Patrick", "Pat"), ("Michael", "Mick"), ("Seamus", "Seamus"), ("Thomas", "Tom"),
         ("Francis", "Frank")),
        ("Murphy", "Kelly", "O'Brien", "Doyle", "Byrne", "Walsh", "Keane"),
    )),
    "caribbean": (6, (
        (("Gloria", "Gloria"), ("Cynthia", "Cyn"), ("Hyacinth", "Hy"), ("Beverley", "Bev"),
         ("Myrtle", "Myrtle")),
        ("Campbell", "Brown", "Thompson", "Francis", "Clarke", "Edwards", "Grant"),
    ), (
        (("Winston", "Winston"), ("Delroy", "Delroy"), ("Clifton", "Cliff"), ("Lloyd", "Lloyd"),
         ("Errol", "Errol")),
        ("Campbell", "Brown", "Thompson", "Francis", "Clarke", "Edwards", "Grant"),
    )),
    "jewish": (5, (
        (("Esther", "Essie"), ("Miriam", "Mim"), ("Rose", "Rosie"), ("Hannah", "Hannah")),
        ("Cohen", "Levy", "Shapiro", "Goldberg", "Rosen"),
    ), (
        (("Harold", "Harry"), ("Solomon", "Sol"), ("Morris", "Morrie"), ("Samuel", "Sam")),
        ("Cohen", "Levy", "Shapiro", "Goldberg", "Rosen"),
    )),
}

# Invented street and block names placed in real postcode districts.
_STREETS = (
    "Tallow Street", "Cordwainer Row", "Silkweaver Lane", "Lamplighter Walk", "Bargeman Street",
    "Chandler's Yard", "Hopfield Road", "Tenter Row", "Cooperage Street", "Sailmaker Close",
    "Pewter Lane", "Rope Walk Gardens", "Mulberry Terrace", "Dyer's Passage", "Gasholder Way",
)
_BLOCKS = (
    "Gannet House", "Heron Court", "Cormorant House", "Kingfisher Court", "Swift House",
    "Linnet Lodge", "Wren Court", "Plover House",
)
_DISTRICTS = (
    ("E1", "Whitechapel"), ("E1", "Stepney"), ("E1W", "Wapping"), ("E2", "Bethnal Green"),
    ("E3", "Bow"), ("E14", "Poplar"), ("E14", "Limehouse"), ("EC3N", "Aldgate"), ("EC2M", "Bishopsgate"),
)
_POSTCODE_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # letters used in the inward part of UK postcodes
_DISTINCT_TRIES = 50


def _resident_name(rng: random.Random) -> tuple[str, str]:
    communities = list(_COMMUNITIES)
    weights = [_COMMUNITIES[name][0] for name in communities]
    _, women, men = _COMMUNITIES[rng.choices(communities, weights)[0]]
    given_names, family_names = rng.choice((women, men))
    given, preferred = rng.choice(given_names)
    return f"{given} {rng.choice(family_names)}", preferred


def _address(rng: random.Random) -> str:
    district, area = rng.choice(_DISTRICTS)
    postcode = f"{district} {rng.randint(1, 9)}{rng.choice(_POSTCODE_LETTERS)}{rng.choice(_POSTCODE_LETTERS)}"
    street = rng.choice(_STREETS)
    if rng.random() < 0.6:  # most older residents here live in flats, many in sheltered blocks
        return f"Flat {rng.randint(1, 48)}, {rng.choice(_BLOCKS)}, {street}, {area}, London {postcode}"
    return f"{rng.randint(1, 120)} {street}, {area}, London {postcode}"


def standard_devices(heartbeat_interval_s: int = 300) -> tuple[DeviceSpec, ...]:
    """The kit every simulated home has: a wearable, one PIR per room, door, bed, chair, fridge, toilet,
    kettle plug, temperature and safety sensors."""
    layout: list[tuple[str, str, str | None]] = [
        ("unit", "unit", "hallway"),
        ("pendant-1", "pendant", None),  # worn, so in no fixed room; it also detects falls
        ("pullcord-bathroom", "pull_cord", "bathroom"),
        *((f"pir-{room}", "pir", room) for room in ROOMS),
        ("door-front", "door", FRONT_DOOR_ROOM),
        ("bed-1", "bed", "bedroom"),
        ("fridge-1", "fridge", "kitchen"),
        ("chair-lounge", "chair", "lounge"),    # pressure pad: sitting and standing up
        ("toilet-1", "toilet", "bathroom"),     # flush sensor
        ("plug-kettle", "power", "kitchen"),    # smart plug: watts drawn by the kettle
        ("temp-lounge", "temperature", "lounge"),
        ("smoke-hall", "smoke", "hallway"),
    ]
    return tuple(DeviceSpec(device_id, kind, room, heartbeat_interval_s) for device_id, kind, room in layout)


def home_specs(count: int, seed: int = 1, heartbeat_interval_s: int = 300) -> list[HomeSpec]:
    """`count` homes `home-0001`…; the same arguments always give the same homes, and a smaller
    `count` gives a prefix of a larger one."""
    rng = random.Random(f"telecare-homes:{seed}")
    devices = standard_devices(heartbeat_interval_s)
    seen_names: set[str] = set()
    seen_addresses: set[str] = set()
    homes: list[HomeSpec] = []
    for i in range(1, count + 1):
        # Distinct names keep the operator console unambiguous, until the name pool runs out.
        name, preferred = _resident_name(rng)
        for _ in range(_DISTINCT_TRIES):
            if name not in seen_names:
                break
            name, preferred = _resident_name(rng)
        address = _address(rng)
        for _ in range(_DISTINCT_TRIES):
            if address not in seen_addresses:
                break
            address = _address(rng)
        seen_names.add(name)
        seen_addresses.add(address)
        homes.append(HomeSpec(
            home_id=f"home-{i:04d}",
            resident_id=f"res-{i:04d}",
            resident_name=name,
            preferred_name=preferred,
            address=address,
            persona=rng.choice(PERSONAS),
            devices=devices,
        ))
    return homes
