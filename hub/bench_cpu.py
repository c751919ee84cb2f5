"""Where a benchmark's CPU went: seconds of CPU per process group over a run, read from /proc.

On a small machine the hub shares its cores with the broker and the database, so a throughput figure says
little on its own; next to it, how busy each part was tells which one limits it, and how close the whole
machine was to its physical limit (cores × seconds).
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Mapping

_TICKS = os.sysconf("SC_CLK_TCK")


def _process_ticks() -> dict[int, tuple[str, int]]:
    """pid → (command name, user + system ticks so far), for every process still there."""
    found: dict[int, tuple[str, int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                raw = stat.read()
        except OSError:
            continue
        name = raw[raw.index("(") + 1:raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2:].split()
        found[int(entry)] = (name, int(fields[11]) + int(fields[12]))
    return found


class CpuMeter:
    """`with CpuMeter(groups) as meter: ...` then `meter.report()`: CPU seconds per named group of pids
    (everything else grouped by command name), the run's wall time and the machine's cores."""

    def __init__(self, groups: Mapping[str, list[int]] | None = None) -> None:
        self.groups = {pid: name for name, pids in (groups or {}).items() for pid in pids}
        self._before: dict[int, tuple[str, int]] = {}
        self._after: dict[int, tuple[str, int]] = {}
        self._started = self._ended = 0.0

    def __enter__(self) -> CpuMeter:
        self._before = _process_ticks()
        self._started = time.monotonic()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._after = _process_ticks()
        self._ended = time.monotonic()

    def report(self) -> dict[str, object]:
        used: Counter[str] = Counter()
        for pid, (name, ticks) in self._after.items():
            spent = ticks - self._before.get(pid, (name, 0))[1]
            if spent > 0:
                used[self.groups.get(pid, name)] += spent
        wall = self._ended - self._started
        cores = os.cpu_count() or 1
        seconds = {name: round(ticks / _TICKS, 1) for name, ticks in used.most_common() if ticks / _TICKS >= 0.1}
        return {"wall_s": round(wall, 1), "cores": cores, "cpu_s": seconds,
                "machine_busy": round(sum(used.values()) / _TICKS / (wall * cores), 2) if wall else 0.0}
