"""The operator page in real Chromium for `hub bench console`: time to first render of a long queue, and the
page's own cost of applying one live change to it.

Rendered means: the Open tab's count shows all K alerts and the first screenful of the queue (its rows down
to the bottom of the 1400×900 viewport, or all K when fewer fit) has been painted. Whether the page also
holds a row for every one of the K alerts (so scrolling and the arrow keys reach each) is timed separately,
as `all_rows_ms`. Times are the page's own clock from navigation start; "painted" is taken in a task posted
from the requestAnimationFrame callback that first sees the state, which runs once that frame is drawn.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

# As tests/browser/conftest.py: Debian's Chromium, nothing downloaded, no GPU, no background traffic.
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--autoplay-policy=no-user-gesture-required",
]
VIEWPORT = {"width": 1400, "height": 900}

# Installed before the page's own scripts. Notes when the live feed opens and its first message (the
# snapshot) arrives, when the first screenful and then every row is painted, and for each later message
# how long the page took from receiving it to painting the result.
_PROBE = """
(() => {
  const expected = %(expected)d;
  const marks = { deltas: [] };
  window.__benchMarks = marks;
  const afterPaint = (done) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => done(performance.now());
    channel.port2.postMessage(null);
  };
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener("open", () => { marks.ws_open ??= performance.now(); });
      this.addEventListener("message", (event) => {
        const at = performance.now();
        if (marks.snapshot_received === undefined) { marks.snapshot_received = at; return; }
        if (!event.data.startsWith('{"type":"alert"')) return;
        requestAnimationFrame(() => afterPaint((painted) => marks.deltas.push(painted - at)));
      });
    }
  };
  let rows = null;
  const check = () => {
    const count = document.getElementById("tab-count-open");
    const queue = document.getElementById("queue");
    rows ??= document.getElementById("alert-rows")?.getElementsByTagName("tr");
    if (count && rows && queue && count.textContent === String(expected)) {
      const last = rows[rows.length - 1];
      const screenFull = () => last && last.getBoundingClientRect().bottom >= queue.getBoundingClientRect().bottom;
      if (marks.rendered === undefined && (rows.length >= expected || screenFull())) {
        marks.rendered = null;
        marks.rows_at_render = rows.length;
        afterPaint((at) => { marks.rendered = at; });
      }
      if (marks.all_rows === undefined && rows.length >= expected) {
        marks.all_rows = null;
        afterPaint((at) => { marks.all_rows = at; });
      }
    }
    if (marks.all_rows === undefined) requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
})();
"""


def chromium_path() -> str:
    for candidate in ("chromium", "chromium-browser", "google-chrome"):
        if found := shutil.which(candidate):
            return found
    raise RuntimeError("Chromium is not installed (apt-get install chromium)")


def _descendants(root: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    parents[int(entry)] = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found, frontier = [], [root]
    while frontier:
        pid = frontier.pop()
        children = [child for child, parent in parents.items() if parent == pid]
        found.extend(children)
        frontier.extend(children)
    return found


def renderer_peak_rss_mb() -> float:
    """The largest peak RSS among Chromium's renderer processes started by this process (the page's)."""
    from hub.bench import peak_rss_mb

    peaks = [0.0]
    for pid in _descendants(os.getpid()):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                if b"--type=renderer" in cmdline.read():
                    peaks.append(peak_rss_mb(pid))
        except OSError:
            continue
    return max(peaks)


@dataclass
class PageRun:
    loads: list[dict[str, Any]] = field(default_factory=list)  # per load: the marks and Chromium's metrics
    delta_paint_ms: list[float] = field(default_factory=list)  # per live change: message in → painted
    rows_match: bool | None = None  # after the live changes: the page's rows are the database's open alerts
    renderer_peak_rss_mb: float = 0.0


_ROWS = """() => Object.fromEntries(Array.from(document.querySelectorAll('#alert-rows tr[data-alert-id]'),
                                            (tr) => [tr.dataset.alertId, tr.dataset.handling]))"""


def _rows_converge(page: Any, expected: dict[int, str], timeout_s: float = 30.0) -> bool:
    wanted = {str(alert_id): handling for alert_id, handling in expected.items()}
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if page.evaluate(_ROWS) == wanted:
            return True
        page.wait_for_timeout(200)
    return False


@contextmanager
def _browser() -> Any:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def _load(context: Any, base_url: str, expected: int, timeout_ms: float) -> tuple[Any, dict[str, Any]]:
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Performance.enable")
    page.goto(base_url, wait_until="commit")
    page.wait_for_function("() => typeof window.__benchMarks?.all_rows === 'number'", polling=50,
                           timeout=timeout_ms)
    marks = page.evaluate("() => window.__benchMarks")
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    load = {key: round(marks[key], 1) for key in ("ws_open", "snapshot_received", "rendered", "all_rows")}
    load.update({
        "rows_at_render": marks["rows_at_render"],
        "rows": page.locator("#alert-rows tr[data-alert-id]").count(),
        "open_count": int(page.locator("#tab-count-open").inner_text()),
        # Main-thread time Chromium spent, in total since navigation, by kind of work.
        "script_ms": round(metrics.get("ScriptDuration", 0) * 1000, 1),
        "layout_ms": round(metrics.get("LayoutDuration", 0) * 1000, 1),
        "style_ms": round(metrics.get("RecalcStyleDuration", 0) * 1000, 1),
        "dom_nodes": int(metrics.get("Nodes", 0)),
        "js_heap_mb": round(metrics.get("JSHeapUsedSize", 0) / 2**20, 1),
    })
    return page, load


def measure_page(base_url: str, session_cookie: str, expected: int, loads: int,
                 make_changes: Callable[[int], dict[int, str]], page_changes: int,
                 progress: Callable[[str], None] = print) -> PageRun:
    """`loads` fresh loads of the signed-in page, each until all `expected` alerts are painted; then, on the
    last one, `make_changes(page_changes)` live changes and how long the page took to paint each.
    `make_changes` returns the open alerts afterwards (id → handling), which the page's rows must then show."""
    run = PageRun()
    timeout_ms = max(60_000.0, expected * 30.0)  # generous: a slow page is a figure, not a failure
    with _browser() as browser:
        context = browser.new_context(viewport=VIEWPORT)
        context.add_cookies([{"name": "hub_session", "value": session_cookie, "url": base_url}])
        context.add_init_script(_PROBE % {"expected": expected})
        page = None
        for index in range(loads):
            if page is not None:
                page.close()
            page, load = _load(context, base_url, expected, timeout_ms)
            run.loads.append(load)
            run.renderer_peak_rss_mb = max(run.renderer_peak_rss_mb, renderer_peak_rss_mb())
            progress(f"  load {index + 1}/{loads}: first screenful painted at {load['rendered']:.0f} ms, "
                     f"all {load['rows']} rows at {load['all_rows']:.0f} ms (snapshot in at "
                     f"{load['snapshot_received']:.0f} ms)")
        if page is not None and page_changes:
            open_after = make_changes(page_changes)
            page.wait_for_function(f"() => window.__benchMarks.deltas.length >= {page_changes}", polling=100,
                                   timeout=timeout_ms)
            run.rows_match = _rows_converge(page, open_after)
            run.delta_paint_ms = page.evaluate("() => window.__benchMarks.deltas")
            run.renderer_peak_rss_mb = max(run.renderer_peak_rss_mb, renderer_peak_rss_mb())
        context.close()
    return run
