"""Live scoring of one home: feed it readings as they arrive, ask what holds at an event time.

    scorer = HomeScorer("home-0001", baseline, absences=absences, adjustments=adjustments)
    scorer.observe(new_readings)          # only readings not seen before, in time order
    scorer.observe_heartbeat("pir-kitchen", ts)
    for finding in scorer.findings(now): ...   # `now` in event time, never the wall clock

Memory is bounded: the tracker keeps the live state plus `history_days` of daily summaries, never
the readings themselves; `keep_days=False` (the live service, for thousands of homes) drops the full
DayFeatures detectors never read (models.tracker). Scoring the same episode again returns the same
`episode` key.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta

from models.baselines import Baseline
from models.detectors import DETECTORS
from models.features import DayFeatures, Tracker
from models.feedback import Adjustments
from models.readings import Absence, Finding, Reading
from models.summary import DaySummary

# A slow trend has no natural instant to key on; keep its first key while it keeps being found.
STICKY_KINDS: Mapping[str, timedelta] = {"activity_decline": timedelta(days=3)}


class HomeScorer:
    __slots__ = ("_sticky", "absences", "adjustments", "baseline", "home_id", "kinds", "tracker")

    def __init__(self, home_id: str, baseline: Baseline, absences: Sequence[Absence] = (),
                 adjustments: Adjustments | None = None, *, heartbeat_interval_s: float = 300.0,
                 heartbeat_intervals: Mapping[str, float] | None = None, unit_device: str = "unit",
                 history_days: int = 35, kinds: Iterable[str] | None = None, keep_days: bool = True) -> None:
        if baseline.home_id != home_id:
            raise ValueError(f"baseline is for {baseline.home_id}, not {home_id}")
        self.home_id = home_id
        self.baseline = baseline
        self.absences: tuple[Absence, ...] = tuple(absences)
        self.adjustments: dict[str, float] = dict(adjustments or {})
        self.tracker = Tracker(baseline.tracker_params(), history_days, unit_device=unit_device,
                               intervals=dict(heartbeat_intervals or {}), default_interval=heartbeat_interval_s,
                               keep_days=keep_days)
        self.kinds = tuple(kinds) if kinds is not None else tuple(DETECTORS)
        self._sticky: dict[str, tuple[str, datetime, datetime]] = {}  # kind -> (episode, onset, last found)

    # -- inputs ---------------------------------------------------------------------------------------

    def observe(self, readings: Iterable[Reading]) -> None:
        """New readings in time order (a reading older than the latest seen is still counted, in order given)."""
        observe = self.tracker.observe
        for reading in readings:
            if reading.type == "heartbeat":
                self.tracker.heartbeat(reading.device_id, reading.ts)
            else:
                observe(reading)

    def observe_heartbeat(self, device_id: str, ts: datetime) -> None:
        """Proof of life from a device ('' or the unit's id: the home unit itself)."""
        self.tracker.heartbeat(device_id, ts)

    def set_baseline(self, baseline: Baseline) -> None:
        """A retrained baseline; the live state and daily history carry over."""
        self.baseline = baseline
        self.tracker.params = baseline.tracker_params()

    def restore_days(self, summaries: Iterable[DaySummary]) -> None:
        """Finished days as they were summarised before a restart (models.summary), oldest first, in place of
        replaying their readings; a replay of readings afterwards leaves these days as they are."""
        history = self.tracker.history
        for summary in summaries:
            if summary.day.toordinal() > history.newest_ordinal():
                history.append(summary)
                self.tracker.days_closed += 1

    def set_absences(self, absences: Sequence[Absence]) -> None:
        self.absences = tuple(absences)

    def set_adjustments(self, adjustments: Adjustments | None) -> None:
        self.adjustments = dict(adjustments or {})

    # -- outputs --------------------------------------------------------------------------------------

    @property
    def days(self) -> list[DayFeatures]:
        """The finished days' full features (empty without `keep_days`)."""
        return list(self.tracker.days)

    def findings(self, now: datetime) -> list[Finding]:
        """Findings whose condition holds at event time `now`."""
        self.tracker.advance(now)
        found: list[Finding] = []
        for kind in self.kinds:
            for item in DETECTORS[kind].detect(self.baseline, self.tracker, self.absences, now, self.adjustments):
                found.append(self._stable(item, now))
        return found

    def _stable(self, item: Finding, now: datetime) -> Finding:
        hold = STICKY_KINDS.get(item.kind)
        if hold is None:
            return item
        previous = self._sticky.get(item.kind)
        if previous is not None and now - previous[2] <= hold:
            episode, onset, _ = previous
            self._sticky[item.kind] = (episode, onset, now)
            return Finding(**{**_fields(item), "episode": episode, "onset": onset})
        self._sticky[item.kind] = (item.episode, item.onset, now)
        return item


def _fields(item: Finding) -> dict[str, object]:
    return {name: getattr(item, name) for name in item.__dataclass_fields__}
