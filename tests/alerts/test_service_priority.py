"""The alert engine's behavioural scoring thread gives way to the rest of the hub for a core; the threads
beside it keep their priority."""

from __future__ import annotations

import os
import sys
import threading
from datetime import datetime

import psycopg
import pytest

from alerts import service

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="a nice value per thread is Linux's")


def _priority_in_loop(niceness: int, monkeypatch: pytest.MonkeyPatch) -> int:
    """The nice value `_run_every`'s thread runs its step at (no database: the connection is faked)."""
    seen: list[int] = []
    stop = threading.Event()

    class NoConnection:
        closed = False

        def close(self) -> None:
            pass

    monkeypatch.setattr(service.db, "connect", lambda url, autocommit=False: NoConnection())

    def step(conn: psycopg.Connection, now: datetime) -> None:
        seen.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
        stop.set()

    thread = threading.Thread(target=service._run_every, args=("test", step, 60.0, "unused", stop, niceness))
    thread.start()
    thread.join(10)
    assert seen, "the step ran"
    return seen[0]


def test_a_niced_loop_runs_below_the_process_and_leaves_the_process_as_it_was(
        monkeypatch: pytest.MonkeyPatch) -> None:
    before = os.getpriority(os.PRIO_PROCESS, 0)
    assert _priority_in_loop(5, monkeypatch) == min(before + 5, 19)
    assert os.getpriority(os.PRIO_PROCESS, 0) == before, "only the scoring thread gives way"
    assert _priority_in_loop(0, monkeypatch) == before

