from simulators.homes import PERSONAS, ROOMS, home_specs


def test_same_seed_same_homes_and_prefix_stable() -> None:
    assert home_specs(30, seed=7) == home_specs(30, seed=7)
    assert home_specs(10, seed=7) == home_specs(30, seed=7)[:10]


def test_different_seed_different_residents() -> None:
    names_a = [h.resident_name for h in home_specs(20, seed=1)]
    names_b = [h.resident_name for h in home_specs(20, seed=2)]
    assert names_a != names_b


def test_ids_are_numbered_slugs() -> None:
    homes = home_specs(3)
    assert [h.home_id for h in homes] == ["home-0001", "home-0002", "home-0003"]
    assert [h.resident_id for h in homes] == ["res-0001", "res-0002", "res-0003"]


def test_every_home_has_the_required_kit() -> None:
    for home in home_specs(25, heartbeat_interval_s=120):
        kinds = {d.kind for d in home.devices}
        assert {"pendant", "door", "bed", "fridge", "temperature", "smoke", "unit"} <= kinds
        assert {d.room for d in home.devices if d.kind == "pir"} >= set(ROOMS)
        assert len({d.device_id for d in home.devices}) == len(home.devices)
        assert all(d.heartbeat_interval_s == 120 for d in home.devices)
        assert home.persona in PERSONAS
        assert home.resident_name and home.preferred_name and "London" in home.address


def test_names_are_distinct_in_a_normal_sized_estate() -> None:
    homes = home_specs(200)
    assert len({h.resident_name for h in homes}) == 200
    assert len({h.address for h in homes}) == 200


def test_find_and_device_lookup() -> None:
    home = home_specs(1)[0]
    assert home.find("pir", "kitchen").device_id == "pir-kitchen"
    assert home.device("bed-1").kind == "bed"
