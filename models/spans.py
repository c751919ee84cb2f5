"""Spans of time kept for a whole care day in every home, packed: two 8-byte integers a span.

The kitchen stays missed_meal adds up run to fifty a day; as a list of datetime pairs they cost some
160 bytes each, in every home the live service holds. Microseconds since the epoch subtract exactly as
the datetimes do, so the minutes added up are the same to the last bit.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _us(ts: datetime) -> int:
    return (ts - _EPOCH) // _MICROSECOND


def _minutes(start_us: int, end_us: int) -> float:
    # As (end - start).total_seconds() / 60 of the datetimes: microseconds / 10**6, then / 60.
    return (end_us - start_us) / 1_000_000 / 60


class Spans:
    __slots__ = ("_us",)

    def __init__(self) -> None:
        self._us = array("q")

    def append(self, start: datetime, end: datetime) -> None:
        self._us.extend((_us(start), _us(end)))

    def __len__(self) -> int:
        return len(self._us) // 2

    def __iter__(self) -> Iterator[tuple[datetime, datetime]]:
        values = self._us
        for i in range(0, len(values), 2):
            yield _EPOCH + values[i] * _MICROSECOND, _EPOCH + values[i + 1] * _MICROSECOND

    def minutes_within(self, start: datetime, end: datetime, ongoing: datetime | None = None) -> float:
        """Minutes of the spans (and of one still `ongoing` since then, up to `end`) inside [start, end],
        added up in the order they were kept."""
        start_us, end_us = _us(start), _us(end)
        values = self._us
        total = 0.0
        for i in range(0, len(values), 2):
            total += max(_minutes(max(values[i], start_us), min(values[i + 1], end_us)), 0.0)
        if ongoing is not None:
            total += max(_minutes(max(_us(ongoing), start_us), end_us), 0.0)
        return total
