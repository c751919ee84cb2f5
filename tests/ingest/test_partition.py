"""Partitioning homes across ingest workers: every home to exactly one worker, stable, and followed."""

from __future__ import annotations

import pytest

from ingest.partition import HomeSubscriptions, Partition, chunks, home_filter, partition_of


def test_every_home_belongs_to_exactly_one_worker_and_the_split_is_even_enough() -> None:
    homes = [f"home-{i:05d}" for i in range(20_000)]
    workers = [Partition(i, 3) for i in range(3)]
    owners = [[w.index for w in workers if w.owns(h)] for h in homes]
    assert all(len(o) == 1 for o in owners)
    shares = [sum(1 for o in owners if o == [i]) for i in range(3)]
    assert min(shares) > 0.3 * len(homes)


def test_the_hash_is_stable_across_processes() -> None:
    # CRC-32, not Python's salted hash(): a fixed value, whatever PYTHONHASHSEED is.
    assert partition_of("home-0001", 1000) == 28  # crc32(b"home-0001") = 3651729028
    assert partition_of("home-0001", 2) == 0


@pytest.mark.parametrize("spec", ["2/2", "-1/2", "0/0", "a/b", "1", ""])
def test_a_bad_partition_spec_is_refused_with_the_form_to_use(spec: str) -> None:
    with pytest.raises(ValueError, match="I/N"):
        Partition.parse(spec)


def test_client_ids_differ_per_worker_so_each_keeps_its_own_session() -> None:
    assert Partition.parse("0/1").client_id("hub-ingest") == "hub-ingest"
    ids = {Partition(i, 4).client_id("hub-ingest") for i in range(4)}
    assert len(ids) == 4


def test_subscriptions_follow_registered_homes() -> None:
    part = Partition(0, 2)
    subs = HomeSubscriptions(part)
    homes = [f"h{i}" for i in range(40)]
    added, removed = subs.changes(homes)
    assert added == {h for h in homes if part.owns(h)} and not removed
    subs.applied(added, removed)
    gone = sorted(added)[0]
    later = [h for h in homes if h != gone] + ["h-new-1", "h-new-2"]
    added2, removed2 = subs.changes(later)
    assert removed2 == {gone}
    assert added2 == {h for h in ("h-new-1", "h-new-2") if part.owns(h)}


def test_filters_are_sent_in_bounded_chunks() -> None:
    filters = [home_filter(f"h{i}") for i in range(1201)]
    parts = chunks(filters, 500)
    assert [len(p) for p in parts] == [500, 500, 201]
    assert sorted(f for p in parts for f in p) == sorted(filters)
    assert home_filter("h1") == "tec/v1/h1/#"
