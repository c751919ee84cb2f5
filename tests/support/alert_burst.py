"""A burst of alerts for live-stream fault tests, and a websocket client that keeps its state as the page does.

`AlertBurst` presses pendants, pull cords and fall detectors in many homes over MQTT while an operator
acknowledges, annotates and resolves alerts over the REST API, so alerts are raised, repeated and
changed version after version. `AlertMirror` follows /ws/alerts like console/static/live-feed.js and
store.js: a snapshot replaces its state, a delta is applied only when its version is higher than the
one held, a resolved alert is dropped (and its version remembered so an older delta cannot bring it
back), and a lost link is retried at once with a short backoff.
"""

from __future__ import annotations

import json
import random
import threading
from typing import Any

import httpx
import psycopg
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect as ws_connect

from simulators.homes import HomeSpec
from tests.support.home import TestUnit, event

ALARMS = (("pendant", "pendant_press"), ("pull_cord", "pull_cord"), ("pendant", "fall"))
OUTCOMES = ("resident_ok", "false_alarm", "responder_sent")


def unresolved_versions(conn: psycopg.Connection) -> dict[int, int]:
    """What the mirror must converge to: every unresolved alert at its latest version."""
    return dict(conn.execute("SELECT id, version FROM alerts WHERE handling <> 'resolved'").fetchall())


class AlertMirror:
    def __init__(self, url: str, headers: dict[str, str]) -> None:
        self.headers = headers  # a signed-in operator's session cookie
        self.url = url
        self.snapshots = 0
        self.deltas = 0  # deltas applied (newer than what was held)
        self.endings: list[int | None] = []  # close code the server sent per lost link; None: no close frame
        self._alerts: dict[int, dict[str, Any]] = {}
        self._tombstones: dict[int, int] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="alert-mirror", daemon=True)

    def start(self) -> AlertMirror:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)

    def versions(self) -> dict[int, int]:
        with self._lock:
            return {alert_id: alert["version"] for alert_id, alert in self._alerts.items()}

    def _run(self) -> None:
        backoff = 0.2
        while not self._stop.is_set():
            try:
                with ws_connect(self.url, open_timeout=5, close_timeout=1, additional_headers=self.headers) as socket:
                    while not self._stop.is_set():
                        try:
                            raw = socket.recv(timeout=0.5)
                        except TimeoutError:
                            continue
                        self._on_message(json.loads(raw))
                        backoff = 0.2
            except ConnectionClosed as closed:
                with self._lock:
                    self.endings.append(closed.rcvd.code if closed.rcvd is not None else None)
            except (OSError, TimeoutError):
                pass  # could not connect: try again
            self._stop.wait(backoff)
            backoff = min(backoff * 2, 2.0)

    def _on_message(self, message: dict[str, Any]) -> None:
        with self._lock:
            if message.get("type") == "snapshot":
                self._replace(message["alerts"])
            elif message.get("type") == "alert":
                self._apply(message["alert"])

    def _replace(self, alerts: list[dict[str, Any]]) -> None:
        previous = self._alerts
        self._alerts = {a["id"]: a for a in alerts if a["handling"] != "resolved"}
        for alert_id in self._alerts:
            self._tombstones.pop(alert_id, None)
        for alert_id, old in previous.items():
            if alert_id not in self._alerts:
                self._tombstones[alert_id] = old["version"]
        self.snapshots += 1

    def _apply(self, alert: dict[str, Any]) -> None:
        alert_id, version = alert["id"], alert["version"]
        if alert_id in self._tombstones and version <= self._tombstones[alert_id]:
            return
        held = self._alerts.get(alert_id)
        if held is not None and version <= held["version"]:
            return
        if alert["handling"] == "resolved":
            self._alerts.pop(alert_id, None)
            self._tombstones[alert_id] = version
        else:
            self._alerts[alert_id] = alert
        self.deltas += 1


class AlertBurst:
    """Alarms from many homes, plus an operator working the queue, until `stop()`."""

    def __init__(self, specs: list[HomeSpec], broker_url: str, protocol: str, console_url: str,
                 headers: dict[str, str], seed: int = 1) -> None:
        self.specs = specs
        self.headers = headers  # a signed-in operator's session cookie and CSRF token
        self.console_url = console_url
        self.published = 0
        self.operator_actions = 0
        self.server_errors: list[str] = []
        self._rng = random.Random(seed)
        self._seqs: dict[tuple[str, str], int] = {}
        self._stop = threading.Event()
        self._unit = TestUnit(broker_url, protocol, specs[0].home_id)  # publishes on every home's topics
        self._threads = [threading.Thread(target=self._press, name="burst-alarms", daemon=True),
                         threading.Thread(target=self._operate, name="burst-operator", daemon=True)]

    def start(self) -> AlertBurst:
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(15)
        self._unit.close()

    def _press(self) -> None:
        while not self._stop.wait(0.01):
            spec = self._rng.choice(self.specs)
            device_kind, event_type = self._rng.choice(ALARMS)
            device_id = spec.find(device_kind).device_id
            seq = self._seqs[(spec.home_id, device_id)] = self._seqs.get((spec.home_id, device_id), 0) + 1
            self._unit.publish(device_id, event(seq, event_type), topic=f"tec/v1/{spec.home_id}/{device_id}/event")
            self.published += 1

    def _operate(self) -> None:
        with httpx.Client(base_url=self.console_url, headers=self.headers, timeout=10) as api:
            while not self._stop.wait(0.02):
                open_alerts = api.get("/api/alerts", params={"state": "open"}).json()["alerts"]
                if not open_alerts:
                    continue
                alert = self._rng.choice(open_alerts)
                roll = self._rng.random()
                if alert["handling"] == "new" and roll < 0.5:
                    response = api.post(f"/api/alerts/{alert['id']}/acknowledge", json={"operator": "Amina"})
                elif roll < 0.7:
                    response = api.post(f"/api/alerts/{alert['id']}/notes",
                                        json={"operator": "Amina", "text": "Called the resident"})
                else:
                    response = api.post(f"/api/alerts/{alert['id']}/resolve",
                                        json={"operator": "Amina", "outcome": self._rng.choice(OUTCOMES)})
                if response.status_code >= 500:
                    self.server_errors.append(f"{response.request.url}: {response.status_code}")
                elif response.status_code == 200:
                    self.operator_actions += 1
