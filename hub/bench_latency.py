"""`hub bench latency --homes N`: how long a pendant press takes to reach the operator while N homes load the
hub steadily, appended to bench/results.md.

The whole hub runs as in production, each part its own process: `hub ingest` (one or more partitioned
workers), `hub alerts` (escalation, supervision, behavioural scoring, delivery) and `hub serve` (the
console), against a private Mosquitto and a fresh database on DATABASE_URL's server. N homes send a
heartbeat from every device once a minute and daytime activity (hub.bench_homes). Once the load is steady,
pendant presses from different homes go out one by one, and each is timed from the moment its packet
leaves the home's socket to:

- `ws`: the alert's arrival on a signed-in websocket client of /ws/alerts, and
- `page`: its row being painted on the operator page in Debian's Chromium (a MutationObserver marks the
  row and takes the time in a task posted from the next animation frame, after it is drawn).

Both clocks are the machine's wall clock. Peak RSS of every hub process is reported, with the total.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from hub import db
from hub.bench import _percentile, bench_stack, peak_rss_mb, stop_process
from hub.bench_console import console_process, operator_session
from hub.bench_console_page import CHROMIUM_FLAGS, VIEWPORT, chromium_path
from hub.bench_cpu import CpuMeter
from hub.bench_homes import HomeLoad
from hub.mqtt import parse_mqtt_url
from simulators.homes import home_specs

# Installed before the page's scripts: notes when each pendant-press row is first painted (epoch ms).
_ROW_PROBE = """
(() => {
  const painted = {};
  window.__pressRows = painted;
  const afterPaint = (done) => requestAnimationFrame(() => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => done(performance.timeOrigin + performance.now());
    channel.port2.postMessage(null);
  });
  const note = (row) => {
    const id = row.dataset.alertId;
    if (row.dataset.kind === "pendant_press" && !(id in painted)) {
      painted[id] = null;
      afterPaint((at) => { painted[id] = at; });
    }
  };
  // Rows sit in groups inside #alert-rows: look at every row an added node brings.
  const watch = (rows) => new MutationObserver((changes) => {
    for (const change of changes) for (const node of change.addedNodes) {
      if (node.nodeType !== 1) continue;
      if (node.matches("[data-alert-id]")) note(node);
      for (const row of node.querySelectorAll("[data-alert-id]")) note(row);
    }
  }).observe(rows, { childList: true, subtree: true });
  const wait = () => { const rows = document.getElementById("alert-rows"); rows ? watch(rows) : setTimeout(wait, 20); };
  wait();
})();
"""


class SocketWatcher:
    """A signed-in websocket client of /ws/alerts noting when each pendant-press alert first arrives."""

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        self.url, self.headers = url, headers
        self.arrived: dict[str, float] = {}  # home_id → wall time
        self.alert_home: dict[int, str] = {}  # alert id → home_id
        self.messages = 0
        self.reconnects = 0
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), name="bench-ws", daemon=True)

    def start(self, timeout_s: float = 30.0) -> None:
        self._thread.start()
        if not self._ready.wait(timeout_s):
            raise RuntimeError("the websocket client did not get its snapshot")

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    async def _run(self) -> None:
        from websockets.asyncio.client import connect

        while not self._stop.is_set():
            try:
                async with connect(self.url, additional_headers=self.headers, max_size=None) as socket:
                    while not self._stop.is_set():
                        try:
                            raw = await asyncio.wait_for(socket.recv(), 0.5)
                        except TimeoutError:
                            continue
                        self._note(raw, time.time())
            except Exception:  # a resync closes the socket: connect again for a fresh snapshot
                self.reconnects += 1
                await asyncio.sleep(0.2)

    def _note(self, raw: str | bytes, now: float) -> None:
        self.messages += 1
        message = json.loads(raw)
        alerts = message.get("alerts", []) if message.get("type") == "snapshot" else (
            [message["alert"]] if message.get("type") == "alert" else [])
        if message.get("type") == "snapshot":
            self._ready.set()
        for alert in alerts:
            if alert.get("kind") == "pendant_press":
                self.alert_home[alert["id"]] = alert["home_id"]
                self.arrived.setdefault(alert["home_id"], now)


@contextmanager
def alerts_process(env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen([sys.executable, "-m", "hub", "alerts"], env=env, stdout=log,
                                   stderr=subprocess.STDOUT)
        try:
            yield process
        finally:
            stop_process(process)


def _figures(seconds: list[float]) -> dict[str, float]:
    if not seconds:
        return {}
    ms = [s * 1000 for s in seconds]
    return {f"p{p}_ms": round(_percentile(ms, p), 1) for p in (50, 95, 99)} | {"max_ms": round(max(ms), 1)}


def bench_latency(database_url: str, homes: int, presses: int = 200, press_interval_s: float = 0.25,
                  warmup_s: float = 30.0, workers: int = 1, connections: int = 4000, page: bool = True,
                  progress: Callable[[str], None] = print) -> dict[str, Any]:
    progress(f"homes: laying out {homes} homes (16 devices each, heartbeat every 60 s)…")
    specs = home_specs(homes, heartbeat_interval_s=60)
    presses = min(presses, homes)
    pressing = random.Random(7).sample(range(homes), presses)
    progress(f"registering {homes} homes and starting {workers} ingest worker(s)…")
    with bench_stack(database_url, specs, workers=workers) as stack:
        env = {**os.environ, "DATABASE_URL": stack.url, "MQTT_URL": stack.broker_url, "LOG_LEVEL": "WARNING"}
        with alerts_process(env) as alerts, console_process(stack.url) as console, ExitStack() as stack_exit:
            with db.connect(stack.url, autocommit=True) as conn:
                _, cookie, csrf = operator_session(conn, console.base_url)
            watcher = SocketWatcher(console.ws_url, {"Cookie": f"hub_session={cookie}", "X-CSRF-Token": csrf})
            watcher.start()
            load = HomeLoad(parse_mqtt_url(stack.broker_url), specs, connections=connections)
            load.connect(progress)
            load.start()
            watcher_page = PageWatcher(console.base_url, cookie) if page else None
            if watcher_page is not None:
                watcher_page.start()
                stack_exit.callback(watcher_page.painted, lambda _rows: True, 0.0)  # closes Chromium on a failure
            _warm_up(load, warmup_s, progress)
            progress(f"pressing {presses} pendants, one every {press_interval_s:g} s, under the load…")
            hub_processes = {"ingest": [w.pid for w in stack.workers], "alerts": [alerts.pid],
                             "console": [console.process.pid], "load generator": [os.getpid()]}
            with CpuMeter(hub_processes) as cpu:
                for n, home_index in enumerate(pressing, 1):
                    load.press(home_index)
                    time.sleep(press_interval_s)
                    if n % 50 == 0:
                        progress(f"  {n}/{presses} pressed; {len(watcher.arrived)} on the websocket; "
                                 f"load {load.rate_per_s():,.0f} events/s")
            _wait(lambda: len(watcher.arrived) >= presses, 15.0)
            painted = {} if watcher_page is None else watcher_page.painted(
                lambda rows: sum(1 for v in rows.values() if v) >= presses, 15.0)
            rate = load.rate_per_s()
            load.stop_sending()
            progress("load stopped; waiting for the hub to ack everything sent…")
            load.drain()
            load.stop()
            for line in stack.log_lines("last 60s:"):
                progress(f"  ingest: {line}")
            rss = {"ingest": stack.peak_rss_mb(), "alerts": peak_rss_mb(alerts.pid),
                   "console": console.peak_rss_mb()}
            watcher.stop()
        with db.connect(stack.url) as conn:
            stored = conn.execute("SELECT count(*) FROM events").fetchone()[0]  # type: ignore[index]
            raised = dict(conn.execute("SELECT kind, count(*) FROM alerts GROUP BY kind").fetchall())
    sent_at = load.press_sent
    to_ws = [watcher.arrived[h] - sent_at[h] for h in sent_at if h in watcher.arrived]
    to_page = [painted[str(i)] / 1000 - sent_at[h] for i, h in watcher.alert_home.items()
               if painted.get(str(i)) and h in sent_at]
    to_ack = [load.press_acked[h] - sent_at[h] for h in sent_at if h in load.press_acked]
    total_rss = round(sum(rss["ingest"]) + rss["alerts"] + rss["console"], 1)
    return {
        "bench": "latency", "homes": homes, "storage": stack.mode, "workers": workers,
        "connections": load.connection_count, "load_events_per_s": round(rate, 1),
        "presses": len(sent_at), "on_websocket": len(to_ws), "on_page": len(to_page) if page else None,
        "press_to_ack": _figures(to_ack), "press_to_websocket": _figures(to_ws),
        "press_to_page": _figures(to_page) if page else None,
        "events_sent": load.sent, "events_acked": load.acked, "events_stored": stored,
        "lost": load.sent - stored, "acks": dict(load.stats.acks), "alerts_by_kind": raised,
        "websocket_reconnects": watcher.reconnects,
        "cpu_while_pressing": cpu.report(),
        "peak_rss_mb": rss, "hub_peak_rss_mb_total": total_rss, "bench_peak_rss_mb": peak_rss_mb(os.getpid()),
    }


def _warm_up(load: HomeLoad, seconds: float, progress: Callable[[str], None]) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(min(10.0, max(0.0, deadline - time.monotonic())))
        acked = sum(load.stats.acks.values())
        progress(f"warming up: {load.stats.sent:,} events sent ({load.rate_per_s():,.0f}/s), {acked:,} acked")


def _wait(done: Callable[[], bool], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not done() and time.monotonic() < deadline:
        time.sleep(0.1)


class PageWatcher:
    """The operator page open in Chromium on a thread of its own (Playwright's sync API refuses a thread that
    already runs an event loop, a caller's own Playwright included); `painted()` gives its row times."""

    def __init__(self, base_url: str, cookie: str) -> None:
        self.base_url, self.cookie = base_url, cookie
        self._open = threading.Event()
        self._want: tuple[Callable[[dict[str, float]], bool], float] | None = None
        self._asked = threading.Event()
        self._answered = threading.Event()
        self._painted: dict[str, float] = {}
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="bench-page", daemon=True)

    def start(self, timeout_s: float = 90.0) -> None:
        self._thread.start()
        if not self._open.wait(timeout_s) or self._error is not None:
            raise RuntimeError(f"the operator page did not open in Chromium: {self._error}")

    def painted(self, done: Callable[[dict[str, float]], bool], timeout_s: float) -> dict[str, float]:
        """Alert id → epoch ms its row was painted, once `done` says enough are in or `timeout_s` passes; the
        browser is closed afterwards."""
        if self._answered.is_set():
            return self._painted
        self._want = (done, timeout_s)
        self._asked.set()
        self._answered.wait(timeout_s + 30)
        self._thread.join(30)
        return self._painted

    def _run(self) -> None:
        from playwright.sync_api import sync_playwright

        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS,
                                                     headless=True)
                context = browser.new_context(viewport=VIEWPORT)
                context.add_cookies([{"name": "hub_session", "value": self.cookie, "url": self.base_url}])
                context.add_init_script(_ROW_PROBE)
                page = context.new_page()
                page.goto(self.base_url)
                page.wait_for_selector("#alert-rows", state="attached", timeout=60_000)
                self._open.set()
                while not self._asked.wait(0.5):
                    page.wait_for_timeout(100)  # lets Playwright handle the page's events meanwhile
                assert self._want is not None
                done, timeout_s = self._want
                deadline = time.monotonic() + timeout_s
                rows: dict[str, float] = page.evaluate("() => window.__pressRows")
                while not done(rows) and time.monotonic() < deadline:
                    page.wait_for_timeout(200)
                    rows = page.evaluate("() => window.__pressRows")
                self._painted = rows
                browser.close()
        except BaseException as exc:  # reported by start() or as missing rows
            self._error = exc
            self._open.set()
        finally:
            self._answered.set()
