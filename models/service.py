"""Live behavioural scoring, wired to the database: the one place where the pure models meet I/O.

Every `score_every_s` (60 s) the service reads the events received since its last pass (one query for
all homes), feeds each home's `HomeScorer`, and asks what holds at that home's latest event time. New
episodes become alerts; episodes that no longer hold have their alert's condition cleared. Baselines
are retrained nightly and whenever a home has none. Event time, not wall time, drives everything, so a
replay at any speed raises the same alerts as living through it.

`device_silent` and `unit_offline` are left to supervision (alerts/supervision.py), which watches the
wall clock live; the models judge them in event time only in evaluation.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg

from models import store
from models.detectors import DETECTORS
from models.readings import Reading
from models.score import HomeScorer
from models.train import DECLINE_HOLDBACK_DAYS, TRAIN_DAYS, train

log = logging.getLogger(__name__)
LIVE_KINDS = tuple(kind for kind in DETECTORS if kind not in ("device_silent", "unit_offline"))
HISTORY_DAYS = 35
RECEIPT_OVERLAP = timedelta(seconds=30)  # a batch committed late may carry an earlier received_at
FUTURE_TOLERANCE = timedelta(minutes=5)  # a unit's clock running ahead must not drag a home's event time with it
LOCAL_TZ = ZoneInfo("Europe/London")

# By receipt, not by event time: a replayed recording from last year is as new as a live event
# (events_received index; on TimescaleDB each chunk's index answers).
_NEW_EVENTS = """
SELECT home_id, device_id, seq, ts, type, value, room, received_at FROM events
WHERE received_at > %s ORDER BY home_id, ts, device_id, seq
"""


@dataclass
class ScoreReport:
    homes: int = 0
    readings: int = 0
    raised: int = 0
    cleared: int = 0


@dataclass
class BehaviourService:
    retrain_hour: int = 3  # local time; after this hour each day, every baseline is retrained once
    scorers: dict[str, HomeScorer] = field(default_factory=dict)
    event_now: dict[str, datetime] = field(default_factory=dict)
    _watermark: datetime | None = None
    _recent: dict[tuple[str, str, int], datetime] = field(default_factory=dict)
    _retrained_on: date | None = None
    _feedback_seen: int = 0
    _absences_seen: int = 0

    # -- scorers ----------------------------------------------------------------------------------

    def _scorer(self, conn: psycopg.Connection, home_id: str, until: datetime) -> HomeScorer:
        scorer = self.scorers.get(home_id)
        if scorer is not None:
            return scorer
        held = store.latest_baseline(conn, home_id)
        baseline = held[0] if held else self.retrain(conn, home_id, until)
        scorer = HomeScorer(home_id, baseline, store.absences(conn, home_id), store.adjustments(conn, home_id),
                            history_days=HISTORY_DAYS, kinds=LIVE_KINDS)
        # Warm up on the days before the first pass, so day-level detectors (decline) have their history.
        last_day = until - timedelta(days=1)
        scorer.observe(store.readings_between(conn, home_id, until - timedelta(days=HISTORY_DAYS), last_day,
                                              heartbeats=False))
        scorer.observe(store.readings_between(conn, home_id, last_day, until))
        self.scorers[home_id] = scorer
        return scorer

    def retrain(self, conn: psycopg.Connection, home_id: str, until: datetime):  # type: ignore[no-untyped-def]
        readings = store.readings_between(conn, home_id, until - timedelta(days=TRAIN_DAYS + DECLINE_HOLDBACK_DAYS + 1),
                                          until, heartbeats=False)
        baseline = train(home_id, readings, until,
                         absences=store.absences(conn, home_id))
        version = store.save_baseline(conn, baseline)
        log.debug("trained %s baseline v%d from %d days%s", home_id, version, baseline.days_used,
                 " (cold start: population priors)" if baseline.cold_start else "")
        if home_id in self.scorers:
            self.scorers[home_id].set_baseline(baseline)
        return baseline

    def retrain_if_due(self, conn: psycopg.Connection, wall_now: datetime) -> int:
        local = wall_now.astimezone(LOCAL_TZ)
        if local.hour < self.retrain_hour or self._retrained_on == local.date():
            return 0
        self._retrained_on = local.date()
        homes = [row[0] for row in conn.execute("SELECT home_id FROM homes ORDER BY home_id")]
        for home_id in homes:
            with conn.transaction():
                self.retrain(conn, home_id, self.event_now.get(home_id, wall_now))
        log.info("retrained %d baselines", len(homes))
        return len(homes)

    # -- scoring ----------------------------------------------------------------------------------

    def _new_readings(self, conn: psycopg.Connection, wall_now: datetime) -> dict[str, list[Reading]]:
        since = (self._watermark - RECEIPT_OVERLAP) if self._watermark else datetime.min.replace(tzinfo=UTC)
        by_home: dict[str, list[Reading]] = defaultdict(list)
        if self._watermark is None:
            # First pass: start from now; each home's scorer warms up from its own history.
            row = conn.execute("SELECT max(received_at) FROM events").fetchone()
            self._watermark = row[0] if row and row[0] else datetime.now(UTC)
            for home_id, latest in conn.execute("SELECT home_id, max(ts) FROM events WHERE ts <= %s GROUP BY home_id",
                                                (wall_now + FUTURE_TOLERANCE,)):
                by_home[home_id] = []
                self.event_now[home_id] = latest
            return by_home
        for home_id, device_id, seq, ts, type_, value, room, received_at in conn.execute(_NEW_EVENTS, (since,)):
            key = (home_id, device_id, seq)
            if key in self._recent:
                continue
            self._recent[key] = received_at
            by_home[home_id].append(Reading(ts, device_id, type_, value, room))
            self._watermark = max(self._watermark, received_at)
            if ts > self.event_now.get(home_id, ts - timedelta(1)) and ts <= wall_now + FUTURE_TOLERANCE:
                self.event_now[home_id] = ts
        horizon = self._watermark - 2 * RECEIPT_OVERLAP
        self._recent = {k: v for k, v in self._recent.items() if v >= horizon}
        return by_home

    def _refresh_changed_homes(self, conn: psycopg.Connection) -> None:
        """Operators' verdicts and registered absences reach the scorers on the next pass."""
        for table, attr in (("model_feedback", "_feedback_seen"), ("absences", "_absences_seen")):
            rows = conn.execute(f"SELECT home_id, max(id) FROM {table} WHERE id > %s GROUP BY home_id",
                                (getattr(self, attr),)).fetchall()
            for home_id, newest in rows:
                self.refresh_home(conn, home_id)
                setattr(self, attr, max(getattr(self, attr), newest))

    def score(self, conn: psycopg.Connection, wall_now: datetime) -> ScoreReport:
        """One pass over every home with news. Each home's alerts change in one transaction."""
        report = ScoreReport()
        self._refresh_changed_homes(conn)
        for home_id, readings in self._new_readings(conn, wall_now).items():
            now = self.event_now.get(home_id)
            if now is None:
                continue
            try:
                with conn.transaction():
                    scorer = self._scorer(conn, home_id, now - timedelta(seconds=1) if not readings else readings[0].ts)
                    scorer.observe(readings)
                    holding = scorer.findings(now)
                    for finding in holding:
                        if store.raise_finding(conn, finding, wall_now) is not None:
                            report.raised += 1
                    report.cleared += store.clear_ended_episodes(conn, home_id, holding, now, wall_now)
            except psycopg.OperationalError:
                raise
            except Exception:
                # One home's fault must not cost the others their pass; its scorer is rebuilt next time.
                log.exception("scoring %s failed; rebuilding its scorer on the next pass", home_id)
                self.scorers.pop(home_id, None)
                continue
            report.homes += 1
            report.readings += len(readings)
        return report

    def refresh_home(self, conn: psycopg.Connection, home_id: str) -> None:
        """Re-read a home's absences and feedback (after the care record or an operator changed them)."""
        scorer = self.scorers.get(home_id)
        if scorer is not None:
            scorer.set_absences(store.absences(conn, home_id))
            scorer.set_adjustments(store.adjustments(conn, home_id))
