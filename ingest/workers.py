"""`hub ingest --workers N`: N partitioned ingest processes on one machine, kept running.

One Python process tops out at one core (the GIL), so a machine with more cores runs one worker per
core, each owning a share of the homes (ingest.partition). This supervisor starts them, starts a worker
again if it dies (its session on the broker still holds its unacked messages, so nothing is lost while
it is down), and stops them all on SIGTERM. Across machines run `hub ingest --partition I/N` on each.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
import time

log = logging.getLogger(__name__)


def worker_command(index: int, count: int) -> list[str]:
    return [sys.executable, "-m", "hub", "ingest", "--partition", f"{index}/{count}"]


def supervise(count: int, stop: threading.Event, restart_after_s: float = 1.0) -> None:
    """Run `count` workers until `stop` is set; a worker that exits is started again."""
    workers: dict[int, subprocess.Popen[bytes]] = {i: subprocess.Popen(worker_command(i, count)) for i in range(count)}
    log.info("started %d ingest workers: %s", count, ", ".join(str(w.pid) for w in workers.values()))
    try:
        while not stop.wait(0.5):
            for index, worker in list(workers.items()):
                if worker.poll() is not None:
                    log.error("ingest worker %d/%d (pid %d) exited with %s; starting it again",
                              index, count, worker.pid, worker.returncode)
                    time.sleep(restart_after_s)
                    workers[index] = subprocess.Popen(worker_command(index, count))
    finally:
        for worker in workers.values():
            if worker.poll() is None:
                worker.terminate()
        for worker in workers.values():
            try:
                worker.wait(15)
            except subprocess.TimeoutExpired:
                worker.kill()
