"""Baselines are trained in worker processes beside scoring (models.training): scoring goes on, and raises
alerts, while a retrain is under way; a new baseline reaches the live scorer when it is ready; one home whose
training fails, or kills its worker, costs the others nothing."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from hub.seed import register_homes
from models import store
from models.baselines import Baseline
from models.service import BehaviourService
from models.training import InlineTrainer, Trained, TrainingPool, train_home
from simulators.history import HomeHistory, generate_history, iter_rows
from simulators.homes import home_specs

pytestmark = pytest.mark.integration
COPY_EVENTS = "COPY events (home_id, device_id, seq, ts, type, value, room, received_at) FROM STDIN"
GATE = "HUB_TEST_TRAINING_GATE"  # a path: training waits until it exists (the workers inherit the environment)
SETTLE_S = 120  # a bound on waiting for the workers, never a measurement


def train_when_gate_opens(conn: psycopg.Connection, home_id: str, until: datetime) -> Baseline:
    gate = Path(os.environ[GATE])
    deadline = time.monotonic() + SETTLE_S
    while not gate.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return train_home(conn, home_id, until)


def train_unless_broken(conn: psycopg.Connection, home_id: str, until: datetime) -> Baseline:
    if home_id == "home-0002":
        conn.execute("SELECT 1 / 0")  # a database error for this home
    if home_id == "home-0003":
        os._exit(1)  # this home's training kills its worker process
    return train_home(conn, home_id, until)


def settle(pool: TrainingPool) -> list[Trained]:
    deadline = time.monotonic() + SETTLE_S
    while pool.busy() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not pool.busy(), "the workers did not finish"
    return pool.finished()


@pytest.fixture
def gate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "open"
    monkeypatch.setenv(GATE, str(path))
    return path


@pytest.fixture
def pool_factory(db_url: str) -> Iterator[type[TrainingPool]]:
    pools: list[TrainingPool] = []

    def make(workers: int, train_function) -> TrainingPool:  # type: ignore[no-untyped-def]
        pool = TrainingPool(db_url, workers, train_function=train_function)
        pools.append(pool)
        return pool

    yield make  # type: ignore[misc]
    for pool in pools:
        pool.close()


@pytest.fixture(scope="module")
def history() -> HomeHistory:
    return next(generate_history(1, 40, seed=5))


def test_scoring_raises_alerts_while_a_retrain_is_under_way(conn, history, gate, pool_factory) -> None:
    anomaly = next(a for a in history.anomalies if a.kind == "door_open_night")
    rows = list(iter_rows(history, with_heartbeats=True))
    register_homes(conn, [history.home])
    home = history.home.home_id
    start, end = anomaly.start - timedelta(hours=2), anomaly.end + timedelta(hours=3)
    received = datetime.now(UTC) - timedelta(days=1)

    def arrive(since: datetime, until: datetime) -> None:
        nonlocal received
        received += timedelta(minutes=1)
        with conn.cursor() as cur, cur.copy(COPY_EVENTS) as copy:
            for row in rows:
                if since <= row[3] < until:
                    copy.write_row((*row, received))

    arrive(rows[0][3], start)
    with conn.transaction():
        train_home(conn, home, start)  # last night's baseline
    pool = pool_factory(1, train_when_gate_opens)
    service = BehaviourService(trainer=pool)
    service.score(conn, received)
    before = service.scorers[home].baseline
    assert not before.cold_start

    # The nightly retrain starts, and its worker is held until the gate opens.
    assert service.retrain_if_due(conn, datetime(2026, 3, 20, 4, 0, tzinfo=UTC)) == 1
    assert service.retrain_if_due(conn, datetime(2026, 3, 20, 5, 0, tzinfo=UTC)) == 0, "once a night"
    cursor = start
    while cursor < end:
        arrive(cursor, cursor + timedelta(minutes=10))
        cursor += timedelta(minutes=10)
        service.score(conn, received)
    alerts = conn.execute("SELECT kind, first_event_ts FROM alerts").fetchall()
    assert [kind for kind, _ in alerts] == ["door_open_night"]
    assert abs(alerts[0][1] - anomaly.start) < timedelta(minutes=1)
    assert pool.busy(), "the retrain was still under way while the alert was raised"
    assert service.scorers[home].baseline is before
    assert conn.execute("SELECT count(*) FROM baselines WHERE home_id = %s", (home,)).fetchone() == (1,)

    # The retrained baseline reaches the live scorer on the pass after it is ready.
    gate.touch()
    deadline = time.monotonic() + SETTLE_S
    while service.scorers[home].baseline is before and time.monotonic() < deadline:
        time.sleep(0.05)
        service.score(conn, received)
    assert service.scorers[home].baseline is not before
    assert store.latest_baseline(conn, home) == (service.scorers[home].baseline, 2)


def test_a_new_home_is_scored_on_population_priors_until_its_first_baseline_is_ready(conn, history, gate,
                                                                                      pool_factory) -> None:
    register_homes(conn, [history.home])
    home = history.home.home_id
    received = datetime.now(UTC) - timedelta(days=1)
    cutoff = history.start + timedelta(days=25)
    with conn.cursor() as cur, cur.copy(COPY_EVENTS) as copy:
        for row in iter_rows(history, with_heartbeats=True):
            if row[3] < cutoff:
                copy.write_row((*row, received))
    service = BehaviourService(trainer=pool_factory(1, train_when_gate_opens))
    service.score(conn, received)
    assert service.scorers[home].baseline.cold_start, "population priors, stated as a cold start"
    gate.touch()
    deadline = time.monotonic() + SETTLE_S
    while service.scorers[home].baseline.cold_start and time.monotonic() < deadline:
        time.sleep(0.05)
        service.score(conn, received)
    assert not service.scorers[home].baseline.cold_start


def test_one_home_failing_or_killing_its_worker_costs_the_others_nothing(conn, pool_factory) -> None:
    homes = home_specs(5, seed=3)
    register_homes(conn, homes)
    until = datetime(2026, 3, 1, tzinfo=UTC)
    for spec in homes:
        with conn.transaction():
            train_home(conn, spec.home_id, until)  # each home's current baseline: version 1
    pool = pool_factory(2, train_unless_broken)
    assert pool.submit(conn, [(spec.home_id, until + timedelta(days=1)) for spec in homes]) == 5
    results = {result.home_id: result for result in settle(pool)}

    assert sorted(results) == [spec.home_id for spec in homes], "every home had its turn"
    failed = {home_id: result.error for home_id, result in results.items() if result.baseline is None}
    assert sorted(failed) == ["home-0002", "home-0003"]
    assert "DivisionByZero" in failed["home-0002"] and "died" in failed["home-0003"]
    versions = dict(conn.execute("SELECT home_id, max(version) FROM baselines GROUP BY home_id").fetchall())
    assert {home_id: versions[home_id] for home_id in failed} == {"home-0002": 1, "home-0003": 1}
    # A training that ended as the other worker died can have lost only its result on the way back: it is then
    # done again, and stored a second time.
    assert all(versions[home_id] in (2, 3) for home_id in ("home-0001", "home-0004", "home-0005")), versions

    # The pool is whole again for the next night.
    assert pool.submit(conn, [("home-0001", until + timedelta(days=2))]) == 1
    assert [r.baseline is not None for r in settle(pool)] == [True]


def test_an_inline_trainer_carries_on_past_a_home_that_fails(conn) -> None:
    homes = home_specs(2, seed=3)  # not home-0003, whose training would end this process
    register_homes(conn, homes)
    trainer = InlineTrainer(train_unless_broken)
    trainer.submit(conn, [(spec.home_id, datetime(2026, 3, 1, tzinfo=UTC)) for spec in homes])
    results = trainer.finished()
    assert [(r.home_id, r.baseline is not None) for r in results] == [("home-0001", True), ("home-0002", False)]
    trainer.submit(conn, [("home-0001", datetime(2026, 3, 2, tzinfo=UTC))])
    assert [r.home_id for r in trainer.finished()] == ["home-0001"]
