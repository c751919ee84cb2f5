"""Per-home rate limit for activity and technical events (a token bucket per home), and the report of
which homes are flooding.

Why: one faulty unit or sensor (a stuck motion detector, a unit replaying its buffer in a loop) can
send thousands of events a second. Storing them all would slow ingest for every other home. Events
over the limit are not stored as events but kept byte for byte as dead letters with the reason, and the
unit is told `rejected`; the home is flagged to operators as a technical alert. Alarm-class events are
never counted and never limited (design.md §2): a pendant press from a flooding home still goes through.

Pure logic: the caller passes the clock, so tests drive time directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class _Bucket:
    tokens: float
    updated: float
    throttled: int = 0  # events refused since the last report
    throttled_total: int = 0
    last_throttled: float | None = None
    flagged: bool = False  # an alert is open for this home
    last_reported: float | None = None


@dataclass(frozen=True)
class FloodReport:
    home_id: str
    throttled: int  # refused since the previous report for this home
    throttled_total: int


@dataclass
class HomeRateLimiter:
    """`rate_per_s` sustained events a second per home, bursts up to `burst` (a unit flushing the
    events it buffered while its link was down must get through)."""

    rate_per_s: float
    burst: float
    report_every_s: float = 60.0  # at most one flood report per home this often (alert repeat count)
    quiet_after_s: float = 600.0  # a flagged home clears after this long without being limited
    _buckets: dict[str, _Bucket] = field(default_factory=dict)

    def admit(self, home_id: str, now: float) -> bool:
        """Count one activity or technical event from `home_id`; False when it is over the limit."""
        bucket = self._buckets.get(home_id)
        if bucket is None:
            bucket = self._buckets[home_id] = _Bucket(tokens=self.burst, updated=now)
        else:
            bucket.tokens = min(self.burst, bucket.tokens + max(0.0, now - bucket.updated) * self.rate_per_s)
            bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return True
        bucket.throttled += 1
        bucket.throttled_total += 1
        bucket.last_throttled = now
        return False

    def due_reports(self, now: float) -> list[FloodReport]:
        """Homes limited since their last report, at most one report per home per `report_every_s`."""
        reports = []
        for home_id, bucket in self._buckets.items():
            if not bucket.throttled:
                continue
            if bucket.last_reported is not None and now - bucket.last_reported < self.report_every_s:
                continue
            reports.append(FloodReport(home_id, bucket.throttled, bucket.throttled_total))
            bucket.throttled = 0
            bucket.last_reported = now
            bucket.flagged = True
        return reports

    def recovered(self, now: float) -> list[str]:
        """Flagged homes that have not been limited for `quiet_after_s`: their alert can clear."""
        calm = []
        for home_id, bucket in self._buckets.items():
            if bucket.flagged and not bucket.throttled and (
                    bucket.last_throttled is None or now - bucket.last_throttled >= self.quiet_after_s):
                bucket.flagged = False
                bucket.throttled_total = 0
                calm.append(home_id)
        return calm

    def forget_idle(self, now: float) -> None:
        """Drop full, unflagged buckets so the table does not grow with every home ever heard."""
        idle_after = self.burst / self.rate_per_s if self.rate_per_s > 0 else float("inf")
        for home_id in [h for h, b in self._buckets.items()
                        if not b.flagged and not b.throttled and now - b.updated >= idle_after]:
            del self._buckets[home_id]
