"""Pairing the two copies of an alarm heard on both MQTT sessions: stored once, told to the unit once."""

from __future__ import annotations

from ingest.alarm_session import AlarmCopies, alarm_device_filters, device_filter
from ingest.partition import Partition
from ingest.writer import Outcome, Received

TOPIC = "tec/v1/home-0001/pendant-1/event"
PRESS = b'{"v":1,"seq":3,"ts":"2026-12-01T07:00:00Z","type":"pendant_press"}'


def _copy(session: str, payload: bytes = PRESS, urgent: bool = True) -> Received:
    return Received(TOPIC, payload, mid=7, session=session, urgent=urgent)


def _stored(message: Received, status: str = "stored") -> Outcome:
    return Outcome(message, status, "home-0001", "pendant-1", 3)  # type: ignore[arg-type]


def test_second_copy_takes_the_first_outcome_and_is_marked_a_twin():
    copies = AlarmCopies()
    first = _copy("alarm")
    to_store, settled, later = copies.split([first])
    assert to_store == [first] and settled == [] and later == []
    copies.note([_stored(first)])

    second = _copy("main")
    to_store, settled, later = copies.split([second])
    assert to_store == [] and later == []
    [twin] = settled
    assert twin.message is second and twin.status == "stored" and twin.twin and twin.seq == 3


def test_a_rejected_alarm_is_dead_lettered_once_and_its_twin_carries_the_reason():
    copies = AlarmCopies()
    first = _copy("main")
    copies.split([first])
    copies.note([Outcome(first, "rejected", "home-0001", "pendant-1", 3, reason="bad ts")])
    [twin] = copies.split([_copy("alarm")])[1]
    assert twin.status == "rejected" and twin.reason == "bad ts" and twin.message.session == "alarm"


def test_both_copies_in_one_batch_wait_for_the_first_outcome():
    copies = AlarmCopies()
    a, m = _copy("alarm"), _copy("main")
    to_store, settled, later = copies.split([a, m])
    assert to_store == [a] and settled == [] and later == [m]


def test_a_retry_after_the_pair_is_a_new_message_and_activity_is_never_paired():
    copies = AlarmCopies()
    first = _copy("alarm")
    copies.split([first])
    copies.note([_stored(first)])
    copies.split([_copy("main")])  # pairs and forgets
    retry = _copy("alarm")
    assert copies.split([retry])[0] == [retry]  # stored again (and found a duplicate by the writer)

    motion = _copy("main", b'{"type":"motion"}', urgent=False)
    copies.note([_stored(motion)])
    assert copies.split([_copy("main", b'{"type":"motion"}', urgent=False)])[1] == []


def test_held_outcomes_are_not_remembered_and_unpaired_firsts_expire():
    copies = AlarmCopies(keep_s=0.0)
    first = _copy("alarm")
    copies.note([Outcome(first, "stored", hold=True)])
    assert copies.split([_copy("main")])[1] == []
    copies.note([_stored(first)])
    copies.note([])  # keep_s 0: expired at the next note
    assert copies.split([_copy("main")])[1] == []


def test_only_owned_alarm_devices_get_a_filter():
    rows = [("home-0001", "pendant-1"), ("home-0002", "pendant-1"), ("home-0003", "smoke-hall")]
    everything = alarm_device_filters(rows, Partition())
    assert everything == {device_filter(h, d) for h, d in rows}
    halves = [alarm_device_filters(rows, Partition(i, 2)) for i in (0, 1)]
    assert halves[0] | halves[1] == everything and not halves[0] & halves[1]
