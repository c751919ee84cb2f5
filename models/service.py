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
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from sys import intern
from zoneinfo import ZoneInfo

import psycopg

from models import store
from models.baselines import Baseline
from models.detectors import DETECTORS
from models.feedback import Adjustments
from models.readings import Absence, Reading
from models.score import HomeScorer
from models.train import DECLINE_HOLDBACK_DAYS, TRAIN_DAYS, train

log = logging.getLogger(__name__)
LIVE_KINDS = tuple(kind for kind in DETECTORS if kind not in ("device_silent", "unit_offline"))
HISTORY_DAYS = 35
FETCH_ROWS = 20_000
RECEIPT_OVERLAP = timedelta(seconds=30)  # a batch committed late may carry an earlier received_at
FUTURE_TOLERANCE = timedelta(minutes=5)  # a unit's clock running ahead must not drag a home's event time with it
LOCAL_TZ = ZoneInfo("Europe/London")

# By receipt, not by event time: a replayed recording from last year is as new as a live event
# (events_received index; on TimescaleDB each chunk's index answers).
_NEW_EVENTS = """
SELECT home_id, device_id, seq, ts, type, value, room, received_at FROM events
WHERE received_at > %s ORDER BY home_id, ts, device_id, seq
"""
_OVERLAP_EVENTS = "SELECT home_id, device_id, seq, ts, received_at FROM events WHERE received_at > %s"


def new_scorer(home_id: str, baseline: Baseline, absences: Sequence[Absence], adjustments: Adjustments) -> HomeScorer:
    """A home's live scorer, before its warm-up: without the full daily features only training reads."""
    return HomeScorer(home_id, baseline, absences, adjustments, history_days=HISTORY_DAYS, kinds=LIVE_KINDS,
                      keep_days=False)


@dataclass
class ScoreReport:
    homes: int = 0  # homes scored: those with news since the last pass
    readings: int = 0  # new readings fed to their scorers
    raised: int = 0
    cleared: int = 0
    holding: int = 0  # findings that hold at the end of the pass
    # Where the pass went: reading the news (and the active alerts), warming up new homes' scorers,
    # writing alerts, and scoring (feeding the scorers and asking for their findings).
    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(("read", "warmup", "write"), 0.0))


@dataclass
class BehaviourService:
    retrain_hour: int = 3  # local time; after this hour each day, every baseline is retrained once
    scorers: dict[str, HomeScorer] = field(default_factory=dict)
    event_now: dict[str, datetime] = field(default_factory=dict)
    _watermark: datetime | None = None
    _recent: dict[tuple[str, str, int], datetime] = field(default_factory=dict)
    _held: dict[str, frozenset[str]] = field(default_factory=dict)  # home -> episodes holding at its last pass
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
        scorer = new_scorer(home_id, baseline, store.absences(conn, home_id), store.adjustments(conn, home_id))
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
        self._refresh_changed_homes(conn)
        news = self._new_readings(conn, wall_now)
        active = store.active_alert_keys(conn) if news else {}
        report.seconds["read"] = time.perf_counter() - began
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
        elapsed = time.perf_counter() - began
        report.seconds["score"] = elapsed - sum(report.seconds.values())
        return report

    def _score_home(self, conn: psycopg.Connection, home_id: str, readings: list[Reading], now: datetime,
                    wall_now: datetime, active: Iterable[tuple[str, str]], report: ScoreReport) -> None:
        scorer = self.scorers.get(home_id)
        if scorer is None:
            began = time.perf_counter()
            with conn.transaction():
                scorer = self._scorer(conn, home_id, now - timedelta(seconds=1) if not readings else readings[0].ts)
            report.seconds["warmup"] += time.perf_counter() - began
        scorer.observe(readings)
        holding = scorer.findings(now)
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
