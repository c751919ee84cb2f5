"""`hub bench console`: the operator console with K open alerts and C live clients, appended to bench/results.md.

In a fresh database on DATABASE_URL's server (dropped afterwards): K open alerts across simulated homes,
raised and partly acknowledged through the real alert engine (hub.bench_console_alerts), an operator account,
and a real `hub serve` process. Then:

- first render (hub.bench_console_page): the signed-in operator page in Debian's Chromium, loaded afresh a few
  times, from navigation start until the Open count shows K and the first screenful of the queue is painted;
  and the page's own time to paint one live change with K rows on it;
- fan-out (hub.bench_console_fanout): C websocket clients on /ws/alerts, each holding its snapshot, then M
  changes committed through the engine; commit → arrival at every client, and every delivery counted.

Figures, not assertions: the tests time nothing. No broker or ingest runs: the console needs neither.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import psycopg

from hub import accounts, db
from hub.bench import _percentile, peak_rss_mb, stop_process, throwaway_database
from hub.bench_console_alerts import AlertChanges, SeededQueue, seed_open_alerts
from hub.embedded import free_port

OPERATOR = "bench-operator"


@dataclass
class Console:
    process: subprocess.Popen[bytes]
    base_url: str
    log: Any  # the process's output, shown if it fails

    @property
    def ws_url(self) -> str:
        return self.base_url.replace("http://", "ws://") + "/ws/alerts"

    def peak_rss_mb(self) -> float:
        return peak_rss_mb(self.process.pid)


@contextmanager
def console_process(url: str, ws_compression: bool | None = None, timeout_s: float = 60.0) -> Iterator[Console]:
    """`hub serve` on a free port, with no broker configured, returned once /readyz answers 200.
    `ws_compression` overrides CONSOLE_WS_COMPRESSION when given."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "MQTT_URL": "", "LOG_LEVEL": "WARNING"}
    if ws_compression is not None:
        env["CONSOLE_WS_COMPRESSION"] = "true" if ws_compression else "false"
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen([sys.executable, "-m", "hub", "serve", "--host", "127.0.0.1", "--port", str(port)],
                                   env=env, stdout=log, stderr=subprocess.STDOUT)
        console = Console(process, f"http://127.0.0.1:{port}", log)
        try:
            _wait_ready(console, timeout_s)
            yield console
        finally:
            stop_process(process)


def _wait_ready(console: Console, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if console.process.poll() is not None:
            break
        try:
            if httpx.get(console.base_url + "/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    console.log.seek(0)
    raise RuntimeError("the console did not become ready:\n" + console.log.read().decode(errors="replace")[-3000:])


def operator_session(conn: psycopg.Connection, base_url: str) -> tuple[str, str, str]:
    """An operator account made as `hub user add` makes it, signed in: (actor name, session cookie, CSRF token)."""
    password = accounts.generate_password()
    user = accounts.create_user(conn, OPERATOR, "operator", password, "Bench Operator")
    answer = httpx.post(f"{base_url}/api/login", json={"username": OPERATOR, "password": password}, timeout=30)
    answer.raise_for_status()
    return user.actor, answer.cookies["hub_session"], answer.json()["csrf_token"]


def _in_own_thread(work: Callable[..., Any], *args: Any) -> Any:
    """Runs `work` on a new thread: Playwright's sync API and an event loop of our own each refuse a thread
    that already runs an event loop (a caller's own Playwright, say)."""
    with ThreadPoolExecutor(1, thread_name_prefix="bench-console") as thread:
        return thread.submit(work, *args).result()


def _open_alerts(conn: psycopg.Connection) -> dict[int, str]:
    return dict(conn.execute("SELECT id, handling::text FROM alerts WHERE handling <> 'resolved'").fetchall())


def _summary(values: list[float]) -> dict[str, float]:
    return {"p50": round(_percentile(values, 50), 1), "max": round(max(values), 1)} if values else {}


def _page_figures(run: Any) -> dict[str, Any]:
    loads = run.loads
    return {
        "first_render_ms": _summary([load["rendered"] for load in loads]),
        "all_rows_ms": _summary([load["all_rows"] for load in loads]),
        "ws_open_ms": _summary([load["ws_open"] for load in loads]),
        "snapshot_received_ms": _summary([load["snapshot_received"] for load in loads]),
        "page_loads": len(loads),
        "page_rows": min((load["rows"] for load in loads), default=0),
        "page_open_count": min((load["open_count"] for load in loads), default=0),
        "page_main_thread_ms": {key: round(_percentile([load[key] for load in loads], 50), 1)
                                for key in ("script_ms", "layout_ms", "style_ms")} if loads else {},
        "page_dom_nodes": max((load["dom_nodes"] for load in loads), default=0),
        "page_js_heap_mb": max((load["js_heap_mb"] for load in loads), default=0),
        "page_delta_paint_ms": ({"p50": round(_percentile(run.delta_paint_ms, 50), 1),
                                 "max": round(max(run.delta_paint_ms), 1), "changes": len(run.delta_paint_ms)}
                                if run.delta_paint_ms else {}),
        "page_rows_match_after_changes": run.rows_match,
        "browser_renderer_peak_rss_mb": run.renderer_peak_rss_mb,
    }


def bench_console(database_url: str, alerts: int, clients: int, changes: int = 200, changes_per_s: float = 20.0,
                  loads: int = 5, page_changes: int = 20, ws_compression: bool | None = None,
                  progress: Callable[[str], None] = print) -> dict[str, Any]:
    from hub.bench_console_fanout import fan_out
    from hub.bench_console_page import measure_page
    from hub.settings import Settings

    compressed = Settings().console_ws_compression if ws_compression is None else ws_compression

    with throwaway_database(database_url) as (url, mode):
        with db.connect(url) as conn:
            progress(f"seeding {alerts} open alerts through the alert engine…")
            started = time.perf_counter()
            queue: SeededQueue = seed_open_alerts(conn, alerts, OPERATOR, progress=progress)
            progress(f"  {queue.open_alerts} open ({len(queue.acknowledged_ids)} acknowledged) in "
                     f"{len(queue.specs)} homes, {time.perf_counter() - started:.1f} s")
        with console_process(url, compressed) as console, db.connect(url, autocommit=True) as conn:
            progress(f"console up at {console.base_url} (pid {console.process.pid})")
            actor, cookie, csrf = operator_session(conn, console.base_url)
            queue.operator_actor = actor
            altering = AlertChanges(queue)

            def make_page_changes(count: int) -> dict[int, str]:
                for _ in range(count):
                    altering.make(conn)
                    time.sleep(0.25)  # one at a time: the page's cost per change, not a backlog
                return _open_alerts(conn)

            page = None
            if loads:
                progress(f"first render: {loads} loads of the signed-in page in Chromium…")
                page = _in_own_thread(measure_page, console.base_url, cookie, alerts, loads, make_page_changes,
                                      page_changes, progress)
            headers = {"Cookie": f"hub_session={cookie}", "X-CSRF-Token": csrf}
            open_before_fanout = len(_open_alerts(conn))
            fanout = _in_own_thread(fan_out, console.ws_url, url, headers, clients, altering, changes,
                                    changes_per_s, console.process.pid, progress)
            console_rss = console.peak_rss_mb()
    return {
        "bench": "console", "alerts": alerts, "clients": clients, "storage": mode, "ws_compression": compressed,
        **(_page_figures(page) if page else {}),
        "open_alerts_at_fanout": open_before_fanout, **fanout,
        "console_peak_rss_mb": console_rss,
        "bench_client_peak_rss_mb": peak_rss_mb(os.getpid()),
    }
