"""Live behavioural scoring, wired to the database: the one place where the pure models meet I/O.

Every `score_every_s` (60 s) the service reads the events received since its last pass (one query for
all homes), feeds each home's `HomeScorer`, and asks what holds at that home's latest event time. New
episodes become alerts; episodes that no longer hold have their alert's condition cleared. Event time, not
wall time, drives everything, so a replay at any speed raises the same alerts as living through it.

Baselines are retrained nightly, and first trained when a home has none, by the service's `trainer`: worker
processes in `hub alerts` (models.training), so that scoring never waits for them. Each new baseline is
swapped into its home's scorer at the start of the next pass; until then the home keeps the baseline it has,
or population priors (a cold start). Each care day's summary is stored as the day closes, and a start warms
the scorers up from those and a day or two of events (models.warmup).

`device_silent` and `unit_offline` are left to supervision (alerts/supervision.py), which watches the
wall clock live; the models judge them in event time only in evaluation.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from sys import intern
from zoneinfo import ZoneInfo

import psycopg

from models import store, warmup
from models.baselines import Baseline, priors
from models.readings import Reading
from models.score import HomeScorer
from models.summary import DaySummary
from models.training import InlineTrainer, Trainer, train_home
from models.warmup import HISTORY_DAYS, LIVE_KINDS, new_scorer

__all__ = ["HISTORY_DAYS", "LIVE_KINDS", "BehaviourService", "ScoreReport", "new_scorer"]

log = logging.getLogger(__name__)
FETCH_ROWS = 20_000
RECEIPT_OVERLAP = timedelta(seconds=30)  # a batch committed late may carry an earlier received_at
FUTURE_TOLERANCE = timedelta(minutes=5)  # a unit's clock running ahead must not drag a home's event time with it
LOCAL_TZ = ZoneInfo("Europe/London")
WARMUP_HOMES = 500  # homes whose scorers are built from one set of queries
SUMMARY_ROWS = 100_000  # day summaries stored per statement
SUMMARY_SPARE_DAYS = 7  # stored days are kept this long beyond the HISTORY_DAYS a warm-up reads

# By receipt, not by event time: a replayed recording from last year is as new as a live event
# (events_received index; on TimescaleDB each chunk's index answers).
_NEW_EVENTS = """
SELECT home_id, device_id, seq, ts, type, value, room, received_at FROM events
WHERE received_at > %s ORDER BY home_id, ts, device_id, seq
"""
_OVERLAP_EVENTS = "SELECT home_id, device_id, seq, ts, received_at FROM events WHERE received_at > %s"


@dataclass
class ScoreReport:
    homes: int = 0  # homes scored: those with news since the last pass
    readings: int = 0  # new readings fed to their scorers
    raised: int = 0
    cleared: int = 0
    holding: int = 0  # findings that hold at the end of the pass
    # Where the pass went: reading the news (and the active alerts), warming up new homes' scorers,
    # writing alerts and finished days, and scoring (feeding the scorers and asking for their findings).
    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(("read", "warmup", "write"), 0.0))
    warmed_from_summaries: int = 0  # scorers built from stored day summaries and a day or two of events
    warmed_from_events: int = 0  # scorers built from 35 days of events (no stored days)
    warmup_readings: int = 0  # events replayed to build them
    baselines_swapped: int = 0  # new baselines put into live scorers at the start of the pass
    trainings_failed: int = 0  # trainings that ended in failure since the last pass (those homes keep theirs)


@dataclass
class BehaviourService:
    retrain_hour: int = 3  # local time; after this hour each day, every baseline is retrained once
    # Trains baselines: InlineTrainer (here, at once) unless given worker processes (models.training.TrainingPool).
    trainer: Trainer = field(default_factory=InlineTrainer)
    scorers: dict[str, HomeScorer] = field(default_factory=dict)
    event_now: dict[str, datetime] = field(default_factory=dict)
    _watermark: datetime | None = None
    _recent: dict[tuple[str, str, int], datetime] = field(default_factory=dict)
    _held: dict[str, frozenset[str]] = field(default_factory=dict)  # home -> episodes holding at its last pass
    _unstored: list[tuple[str, DaySummary]] = field(default_factory=list)  # days closed, to store after the pass
    _retrained_on: date | None = None
    _feedback_seen: int = 0
    _absences_seen: int = 0

    # -- scorers and baselines ---------------------------------------------------------------------

    def warm_up(self, conn: psycopg.Connection, homes: dict[str, datetime], *, summaries: bool = True,
                report: ScoreReport | None = None) -> None:
        """Build the scorers of `homes` (home -> event time to warm up to), WARMUP_HOMES at a time; store the
        finished days their replays closed. A home with no stored baseline gets population priors (a cold
        start) and is queued for its first training, which an inline trainer does before its warm-up."""
        ids = list(homes)
        for first in range(0, len(ids), WARMUP_HOMES):
            batch = {home_id: homes[home_id] for home_id in ids[first:first + WARMUP_HOMES]}
            with conn.transaction():
                baselines = store.latest_baselines(conn, list(batch))
                untrained = [home_id for home_id in batch if home_id not in baselines]
                if untrained:
                    self.trainer.submit(conn, [(home_id, batch[home_id]) for home_id in untrained], first=True)
                    baselines.update(store.latest_baselines(conn, untrained))
                    for home_id in untrained:
                        baselines.setdefault(home_id, priors(home_id, until=batch[home_id]))
                warmed = warmup.warm_up(conn, batch, baselines, summaries=summaries)
                self._store_days(conn, warmed.new_days)
            self.scorers.update(warmed.scorers)
            if report is not None:
                report.warmed_from_summaries += warmed.from_summaries
                report.warmed_from_events += warmed.from_events
                report.warmup_readings += warmed.readings

    def retrain(self, conn: psycopg.Connection, home_id: str, until: datetime) -> Baseline:
        """Train one home's baseline now, in the caller's transaction, and put it into its scorer."""
        baseline = train_home(conn, home_id, until)
        if home_id in self.scorers:
            self.scorers[home_id].set_baseline(baseline)
        return baseline

    def retrain_if_due(self, conn: psycopg.Connection, wall_now: datetime) -> int:
        """Once a day after `retrain_hour`: queue every home for retraining; how many were queued."""
        local = wall_now.astimezone(LOCAL_TZ)
        if local.hour < self.retrain_hour or self._retrained_on == local.date():
            return 0
        self._retrained_on = local.date()
        if self.trainer.busy():
            log.warning("yesterday's retraining is still running; its homes are not queued again")
        homes = [row[0] for row in conn.execute("SELECT home_id FROM homes ORDER BY home_id")]
        queued = self.trainer.submit(conn, [(home_id, self.event_now.get(home_id, wall_now)) for home_id in homes])
        log.info("retraining %d baselines; homes are scored with the baseline they have until their new one is ready",
                 queued)
        store.forget_day_summaries(conn, local.date() - timedelta(days=HISTORY_DAYS + SUMMARY_SPARE_DAYS))
        return queued

    def _swap_baselines(self, report: ScoreReport) -> None:
        """Put the baselines trained since the last pass into their homes' scorers (a home without a scorer
        reads its newest baseline when it is warmed up)."""
        for trained in self.trainer.finished():
            scorer = self.scorers.get(trained.home_id)
            if trained.baseline is None:
                report.trainings_failed += 1
            elif scorer is not None:
                scorer.set_baseline(trained.baseline)
                report.baselines_swapped += 1

    def _store_days(self, conn: psycopg.Connection, days: list[tuple[str, DaySummary]]) -> None:
        for first in range(0, len(days), SUMMARY_ROWS):
            store.save_day_summaries(conn, days[first:first + SUMMARY_ROWS])

    # -- scoring ----------------------------------------------------------------------------------

    def _first_pass(self, conn: psycopg.Connection, wall_now: datetime) -> dict[str, list[Reading]]:
        """Start from now: every home with events, and no new readings (each scorer warms up on its history)."""
        row = conn.execute("SELECT max(received_at) FROM events").fetchone()
        self._watermark = row[0] if row and row[0] else datetime.now(UTC)
        by_home: dict[str, list[Reading]] = {}
        for home_id, latest in conn.execute("SELECT home_id, max(ts) FROM events WHERE ts <= %s GROUP BY home_id",
                                            (wall_now + FUTURE_TOLERANCE,)):
            by_home[home_id] = []
            self.event_now[home_id] = latest
        # The next pass reads what arrived within the overlap again; what the warm-up reads is not new.
        for home_id, device_id, seq, ts, received_at in conn.execute(_OVERLAP_EVENTS,
                                                                     (self._watermark - RECEIPT_OVERLAP,)):
            latest = self.event_now.get(home_id)
            if latest is not None and ts <= latest:
                self._recent[(home_id, device_id, seq)] = received_at
        return by_home

    def _new_readings(self, conn: psycopg.Connection, wall_now: datetime) -> dict[str, list[Reading]]:
        if self._watermark is None:
            return self._first_pass(conn, wall_now)
        by_home: dict[str, list[Reading]] = {}
        recent, event_now = self._recent, self.event_now
        watermark = self._watermark
        newest_allowed = wall_now + FUTURE_TOLERANCE
        home, readings = "", list[Reading]()
        # Binary rows in batches: decoded in C a batch at a time, without holding every row of a large pass.
        cursor = conn.cursor(binary=True)
        cursor.execute(_NEW_EVENTS, (watermark - RECEIPT_OVERLAP,))
        while rows := cursor.fetchmany(FETCH_ROWS):
            for home_id, device_id, seq, ts, type_, value, room, received_at in rows:
                if (home_id, device_id, seq) in recent:
                    continue
                if home_id != home:  # rows come home by home
                    home = intern(home_id)
                    readings = by_home.setdefault(home, [])
                # One string object per name in the process, not one per row: scorers keep them for every home.
                device_id = intern(device_id)
                recent[(home, device_id, seq)] = received_at
                readings.append(Reading(ts, device_id, intern(type_), value, None if room is None else intern(room)))
                if received_at > watermark:
                    watermark = received_at
                latest = event_now.get(home)
                if (latest is None or ts > latest) and ts <= newest_allowed:
                    event_now[home] = ts
        self._watermark = watermark
        # A row received before the next pass's overlap window is never read again.
        horizon = watermark - RECEIPT_OVERLAP
        self._recent = {k: v for k, v in recent.items() if v >= horizon}
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
        """One pass over every home with news. Each home's alerts change in one transaction.

        The database is asked twice per pass, not per home: the new events for all homes, and the active
        behavioural alerts of all homes. A home's transaction is opened only when one of its alerts is
        raised or cleared, and a finding that already held on the last pass is not raised again (its
        episode is already stored), so a quiet home costs no round trip at all. Sets the session's time
        zone to UTC (the instants are the same; only their Python representation changes)."""
        report = ScoreReport()
        began = time.perf_counter()
        if conn.info.timezone is not UTC:
            # Every reading's time is compared and converted several times: datetimes in datetime.UTC (what
            # psycopg returns for a UTC session) are the cheapest to work with, and mean the same instants.
            conn.execute("SET TIME ZONE 'UTC'")
        self._swap_baselines(report)
        self._refresh_changed_homes(conn)
        news = self._new_readings(conn, wall_now)
        active = store.active_alert_keys(conn) if news else {}
        report.seconds["read"] = time.perf_counter() - began
        self._warm_up_new_homes(conn, news, report)
        for home_id, readings in news.items():
            now = self.event_now.get(home_id)
            if now is None:
                continue
            try:
                self._score_home(conn, home_id, readings, now, wall_now, active.get(home_id, ()), report)
            except psycopg.OperationalError:
                raise
            except Exception:
                # One home's fault must not cost the others their pass; its scorer is rebuilt next time.
                log.exception("scoring %s failed; rebuilding its scorer on the next pass", home_id)
                self.scorers.pop(home_id, None)
                self._held.pop(home_id, None)
                continue
            report.homes += 1
            report.readings += len(readings)
        if self._unstored:
            written = time.perf_counter()
            self._store_closed_days(conn)
            report.seconds["write"] += time.perf_counter() - written
        elapsed = time.perf_counter() - began
        report.seconds["score"] = elapsed - sum(report.seconds.values())
        return report

    @staticmethod
    def _warm_up_to(readings: list[Reading], now: datetime) -> datetime:
        """A new scorer replays the events before the home's first new reading (before its latest one, on the
        first pass, which starts from what is there)."""
        return now - timedelta(seconds=1) if not readings else readings[0].ts

    def _warm_up_new_homes(self, conn: psycopg.Connection, news: dict[str, list[Reading]],
                           report: ScoreReport) -> None:
        """All the scorers this pass needs, in batches (every home's after a start)."""
        homes = {home_id: self._warm_up_to(readings, now) for home_id, readings in news.items()
                 if home_id not in self.scorers and (now := self.event_now.get(home_id)) is not None}
        if not homes:
            return
        began = time.perf_counter()
        try:
            self.warm_up(conn, homes, report=report)
        except psycopg.OperationalError:
            raise
        except Exception:
            # A batch that failed leaves its homes without scorers: each is then warmed up alone as it is scored.
            log.exception("warming up %d homes' scorers together failed; warming each up alone", len(homes))
        report.seconds["warmup"] += time.perf_counter() - began

    def _store_closed_days(self, conn: psycopg.Connection) -> None:
        """Store the days that closed in this pass, for the next start to read back (models.warmup)."""
        days, self._unstored = self._unstored, []
        try:
            self._store_days(conn, days)
        except psycopg.OperationalError:
            self._unstored = days + self._unstored  # stored on the pass after the database is back
            raise
        except Exception:
            # Only a later start is the slower for it: it replays events from the last day that was stored.
            log.exception("storing %d finished days' summaries failed", len(days))

    def _score_home(self, conn: psycopg.Connection, home_id: str, readings: list[Reading], now: datetime,
                    wall_now: datetime, active: Iterable[tuple[str, str]], report: ScoreReport) -> None:
        scorer = self.scorers.get(home_id)
        if scorer is None:
            began = time.perf_counter()
            self.warm_up(conn, {home_id: self._warm_up_to(readings, now)}, report=report)
            scorer = self.scorers[home_id]
            report.seconds["warmup"] += time.perf_counter() - began
        tracker = scorer.tracker
        closed = tracker.days_closed
        scorer.observe(readings)
        holding = scorer.findings(now)
        if tracker.days_closed > closed:  # stored after the pass, for the next start to read back
            self._unstored += [(home_id, day) for day in tracker.history.last(tracker.days_closed - closed)]
        report.holding += len(holding)
        held = self._held.get(home_id, ())
        new = [finding for finding in holding if finding.episode not in held]
        still = {(finding.kind, finding.device_id or "") for finding in holding}
        ended = [key for key in active if key not in still]
        if new or ended:
            began = time.perf_counter()
            with conn.transaction():
                for finding in new:
                    if store.raise_finding(conn, finding, wall_now) is not None:
                        report.raised += 1
                report.cleared += store.clear_alerts(conn, home_id, ended, now, wall_now)
            report.seconds["write"] += time.perf_counter() - began
        if holding:
            self._held[home_id] = frozenset(finding.episode for finding in holding)
        else:
            self._held.pop(home_id, None)

    def refresh_home(self, conn: psycopg.Connection, home_id: str) -> None:
        """Re-read a home's absences and feedback (after the care record or an operator changed them)."""
        scorer = self.scorers.get(home_id)
        if scorer is not None:
            scorer.set_absences(store.absences(conn, home_id))
            scorer.set_adjustments(store.adjustments(conn, home_id))
