"""The checker behind `hub verify` and `hub chaos`: each kind of problem is found and counted."""

from __future__ import annotations

from collections import Counter

from hub.verify import AckedEvent, StoredAlert, compare, console_versions_from_recording, read_ledger, write_ledger


def _acked(seq: int, type_: str = "motion", status: str = "stored", latency: float = 0.1,
           reason: str = "") -> AckedEvent:
    device = "pendant-1" if type_ == "pendant_press" else "pir-1"
    return AckedEvent("h1", device, seq, type_, status, 100.0, 100.0 + latency, reason)


def test_a_clean_run_is_ok() -> None:
    acked = [_acked(1), _acked(2, "pendant_press")]
    stored = Counter({("h1", "pir-1", 1): 1, ("h1", "pendant-1", 2): 1})
    alerts = [StoredAlert(1, "h1", "pendant_press", "pendant-1", 3)]
    report = compare(acked, stored, Counter({("h1", "pendant_press", "pendant-1"): 1}), alerts, {1: 3})
    assert report.ok
    assert (report.events_acked, report.alarms_acked, report.alerts) == (2, 1, 1)


def test_lost_duplicated_late_and_unalerted_events_are_reported() -> None:
    acked = [_acked(1), _acked(2, latency=90.0), _acked(3, "pendant_press"), _acked(4, status="rejected")]
    stored = Counter({("h1", "pir-1", 2): 2})  # 1 lost, 2 stored twice, the press stored nowhere
    report = compare(acked, stored, Counter(), [], None)
    assert report.events_lost == [("h1", "pir-1", 1), ("h1", "pendant-1", 3)]
    assert report.events_duplicated == [("h1", "pir-1", 2)]
    assert report.events_late == [("h1", "pir-1", 2)]
    assert report.alarms_without_alert == [("h1", "pendant-1", 3)]
    assert report.events_rejected == 1
    assert not report.ok
    assert report.summary()["events_lost"] == 2


def test_rejections_are_counted_by_cause_and_rejected_alarms_named() -> None:
    acked = [_acked(1, status="rejected", reason="rate limit: home h1 sent more than 20 events/s"),
             _acked(2, status="rejected", reason="rate limit: home h1 sent more than 20 events/s"),
             _acked(3, "pendant_press", status="rejected", reason="device 'pendant-1' is not registered"),
             _acked(4, status="rejected")]
    report = compare(acked, Counter(), Counter(), [], None)
    assert report.events_rejected_by_reason == {"rate limit": 2, "device 'pendant-1' is not registered": 1,
                                                "no reason given": 1}
    assert report.alarms_rejected == [("h1", "pendant-1", 3)]
    assert report.summary()["alarms_rejected"] == 1


def test_console_gaps_and_double_alerts_are_reported() -> None:
    alerts = [StoredAlert(1, "h1", "fall", "f-1", 2), StoredAlert(2, "h1", "smoke", "s-1", 5)]
    report = compare([], Counter(), Counter({("h1", "fall", "f-1"): 2}), alerts, {2: 4})
    assert report.alerts_not_on_console == [1]
    assert report.alerts_stale_on_console == [2]
    assert report.alerts_duplicated == [("h1", "fall", "f-1")]
    assert not report.ok


def test_ledger_and_console_recording_round_trip(tmp_path) -> None:
    path = tmp_path / "ledger.jsonl"
    events = [_acked(1), _acked(2, "pendant_press")]
    assert write_ledger(path, events) == 2
    assert read_ledger(path) == events
    recording = tmp_path / "console.jsonl"
    recording.write_text('{"type": "snapshot", "alerts": [{"id": 1, "version": 2}]}\n'
                         '{"type": "alert", "alert": {"id": 1, "version": 4}}\n'
                         '{"type": "ping"}\n'
                         '{"type": "alert", "alert": {"id": 2, "version": 1}}\n')
    assert console_versions_from_recording(recording) == {1: 4, 2: 1}
