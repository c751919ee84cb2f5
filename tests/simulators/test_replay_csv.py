from datetime import UTC, datetime
from pathlib import Path

import pytest

from simulators.history import generate_history
from simulators.replay import COLUMNS, CsvError, read_csv, replay_csv, write_csv

HEADER = ",".join(COLUMNS)


def _file(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "recorded.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_reads_events_with_typed_values(tmp_path: Path) -> None:
    path = _file(tmp_path, HEADER,
                 "2026-11-23T07:41:12.345Z,home-0001,pir-kitchen,motion,1,kitchen",
                 "2026-11-23T07:41:12.345+00:00,home-0001,temp-lounge,temperature,19.5,lounge",
                 "",
                 "2026-11-23T08:45:00+01:00,home-0002,pendant-1,pendant_press,,")
    first, second, third = read_csv(path)
    assert first.ts == datetime(2026, 11, 23, 7, 41, 12, 345000, tzinfo=UTC) and first.line == 2
    assert (first.home_id, first.device_id, first.type, first.value, first.room) == (
        "home-0001", "pir-kitchen", "motion", 1, "kitchen")
    assert isinstance(first.value, int) and second.value == 19.5
    assert (third.value, third.room, third.line) == (None, None, 5)
    assert third.ts == datetime(2026, 11, 23, 7, 45, tzinfo=UTC)


def test_columns_may_come_in_any_order(tmp_path: Path) -> None:
    path = _file(tmp_path, "home_id,ts,type,device_id,room,value",
                 "home-0001,2026-11-23T07:41:12Z,door,door-front,front_door,1")
    (event,) = read_csv(path)
    assert (event.device_id, event.type, event.value, event.room) == ("door-front", "door", 1, "front_door")


@pytest.mark.parametrize(("lines", "line", "problem"), [
    pytest.param([], 1, "empty file", id="empty"),
    pytest.param(["ts,home_id,device_id,type,value"], 1, "missing column room", id="missing-column"),
    pytest.param([HEADER, "2026-11-23T07:41:12Z,home-0001,pir-kitchen,motion,1"], 2, "expected 6 fields, found 5",
                 id="short-row"),
    pytest.param([HEADER, "2026-11-23T07:41:12Z,home-0001,pir-kitchen,motion,1,kitchen",
                  "yesterday,home-0001,pir-kitchen,motion,1,kitchen"], 3, "bad ts 'yesterday'", id="bad-ts"),
    pytest.param([HEADER, "2026-11-23T07:41:12,home-0001,pir-kitchen,motion,1,kitchen"], 2, "no time zone",
                 id="naive-ts"),
    pytest.param([HEADER, "2026-11-23T07:41:12Z,home-0001,pir-kitchen,motion,1,kitchen",
                  "2026-11-23T07:45:00Z,home-0001,pir-kitchen,motion,1,kitchen",
                  "2026-11-23T07:44:59Z,home-0001,pir-lounge,motion,1,lounge"], 4, "out of order", id="out-of-order"),
    pytest.param([HEADER, "2026-11-23T07:41:12Z,home/0001,pir-kitchen,motion,1,kitchen"], 2, "bad home_id",
                 id="bad-home"),
    pytest.param([HEADER, "2026-11-23T07:41:12Z,home-0001,,motion,1,kitchen"], 2, "bad device_id", id="no-device"),
    pytest.param([HEADER, "2026-11-23T07:41:12Z,home-0001,pir-kitchen,motion,on,kitchen"], 2, "bad value 'on'",
                 id="bad-value"),
    pytest.param([HEADER, "2026-11-23T07:41:12Z,home-0001,pir-kitchen,motion,nan,kitchen"], 2, "bad value 'nan'",
                 id="nan-value"),
])
def test_errors_name_the_line_and_the_problem(tmp_path: Path, lines: list[str], line: int, problem: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("\n".join(lines) + ("\n" if lines else ""), encoding="utf-8")
    with pytest.raises(CsvError) as caught:
        read_csv(path)
    assert caught.value.line == line
    assert problem in str(caught.value) and str(caught.value).startswith(f"{path}:{line}: ")


def test_a_bad_file_is_refused_before_anything_is_sent(tmp_path: Path) -> None:
    path = _file(tmp_path, HEADER, "2026-11-23T07:41:12Z,home-0001,pir-kitchen,motion,1,kitchen",
                 "2026-11-23T07:40:00Z,home-0001,pir-kitchen,motion,1,kitchen")
    with pytest.raises(CsvError, match="out of order"):
        replay_csv(path, "mqtt://127.0.0.1:1", speed="max")  # no broker there: it must fail on the file first


def test_write_then_read_round_trip(tmp_path: Path) -> None:
    histories = list(generate_history(2, 5, seed=9, warmup_days=1))
    path = tmp_path / "history.csv"
    assert write_csv(histories, path) == sum(len(h.readings) for h in histories)
    events = read_csv(path)
    assert [e.ts for e in events] == sorted(e.ts for e in events)
    for history in histories:
        mine = [(e.ts, e.device_id, e.type, e.value, e.room) for e in events if e.home_id == history.home.home_id]
        assert mine == [(r.ts, r.device_id, r.type, r.value, r.room) for r in history.readings]
    single = tmp_path / "one.csv"
    write_csv(histories[0], single)
    assert len(read_csv(single)) == len(histories[0].readings)
