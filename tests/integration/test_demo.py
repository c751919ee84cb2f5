"""`hub demo` on the embedded defaults: it starts, alerts from simulated homes reach the console, it exits cleanly."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx
import pytest

from hub.embedded import free_port

pytestmark = pytest.mark.integration


def test_demo_runs_on_embedded_services_and_shows_live_alerts(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "MQTT_URL", "MQTT_PROTOCOL")}
    demo = subprocess.Popen(
        [sys.executable, "-m", "hub", "demo", "--port", str(port), "--homes", "5", "--duration", "25",
         "--alarms-per-day", "8000"],
        env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        deadline = time.monotonic() + 60
        alerts: list = []
        while time.monotonic() < deadline and not alerts:
            time.sleep(1)
            try:
                alerts = httpx.get(f"http://127.0.0.1:{port}/api/alerts", timeout=5).json()["alerts"]
            except httpx.HTTPError:
                continue
        assert alerts, "no alert from the simulated homes reached the console"
        assert httpx.get(f"http://127.0.0.1:{port}/").status_code == 200
        assert {a["priority"] for a in alerts} & {1}, alerts
        output, _ = demo.communicate(timeout=90)
    finally:
        if demo.poll() is None:
            demo.kill()
    assert demo.returncode == 0, output
    assert f"Console: http://127.0.0.1:{port}" in output
    assert "Traceback" not in output, output
