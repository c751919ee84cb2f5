"""The start-up process behind `hub bench detect` (hub.bench_detect): `hub alerts` starting with an empty
BehaviourService against a database that holds every home's baseline and stored day summaries, until every
home has been scored once; then, on the homes with a realistic day or two of events, a home's warm-up from
its stored days against one from 35 days of its events (the fallback, and how every start used to warm up)."""

from __future__ import annotations

import gc
import time
from datetime import datetime, timedelta
from multiprocessing.connection import Connection

from hub import db
from hub.bench_detect_work import vm_kb


def startup_process(pipe: Connection, database_url: str, wall_now: datetime, measured: list[str]) -> None:
    from models.service import BehaviourService, ScoreReport

    gc.collect()
    rss_before = vm_kb("VmRSS")
    service = BehaviourService()
    with db.connect(database_url, autocommit=True) as conn:
        began = time.perf_counter()
        report = service.score(conn, wall_now)
        startup_s = time.perf_counter() - began
        figures = {"s": startup_s, "homes": report.homes, "parts": report.seconds, "raised": report.raised,
                   "holding": report.holding, "from_summaries": report.warmed_from_summaries,
                   "from_events": report.warmed_from_events, "readings": report.warmup_readings,
                   "rss_before_mb": rss_before / 1024, "peak_rss_mb": vm_kb("VmHWM") / 1024}
        untils = {home_id: service.event_now[home_id] - timedelta(seconds=1) for home_id in measured
                  if home_id in service.event_now}
        for name, summaries in (("from_summaries", True), ("from_events", False)):
            warmed, counts = BehaviourService(), ScoreReport()
            began = time.perf_counter()
            warmed.warm_up(conn, untils, summaries=summaries, report=counts)
            figures[f"measured_{name}"] = {"homes": len(warmed.scorers), "s": time.perf_counter() - began,
                                           "readings": counts.warmup_readings}
    pipe.send(figures)
