"""Sequence gaps and out-of-order delivery are counted per device and shown by the console API."""

from __future__ import annotations

import pytest

from tests.support.home import event

pytestmark = pytest.mark.integration


def _device(api, home_id: str, device_id: str) -> dict:
    response = api.get(f"/api/homes/{home_id}/devices")
    assert response.status_code == 200
    return next(d for d in response.json()["devices"] if d["device_id"] == device_id)


def test_gaps_fill_when_late_events_arrive_and_late_ones_are_counted(console, homes, ingest, unit_factory, api):
    home = homes[0]
    pir = home.find("pir").device_id
    unit = unit_factory(home.home_id)
    sent = 0

    def send(seq: int) -> None:
        nonlocal sent
        unit.publish(pir, event(seq, "motion", value=1, room="lounge"))
        sent += 1
        unit.wait_acks(sent)  # one at a time, so arrival order is the order sent

    for seq in (1, 2, 3, 7, 8):  # 4, 5 and 6 have not arrived
        send(seq)
    shown = _device(api, home.home_id, pir)
    assert (shown["first_seq"], shown["last_seq"], shown["missing_seqs"], shown["out_of_order"]) == (1, 8, 3, 0)

    for seq in (5, 4, 4):  # resent late, the wrong way round, and once twice (a duplicate changes nothing)
        send(seq)
    shown = _device(api, home.home_id, pir)
    assert (shown["missing_seqs"], shown["out_of_order"], shown["stored_count"]) == (1, 2, 7)

    other = _device(api, home.home_id, home.find("pendant").device_id)
    assert (other["missing_seqs"], other["out_of_order"]) == (0, 0)
    assert api.get("/api/homes/no-such-home/devices").status_code == 404
