"""`hub demo` on the embedded defaults: it starts, alerts from simulated homes reach the console, it exits cleanly."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import httpx
import pytest

from hub.embedded import free_port
from tests.support.accounts import sign_in

pytestmark = pytest.mark.integration


def _sign_in_from_banner(demo: subprocess.Popen, base_url: str, lines: list[str]) -> dict[str, str]:
    """Reads the demo's output (kept in `lines`) up to its banner and signs in with the account it prints."""
    for line in demo.stdout:  # type: ignore[union-attr]
        lines.append(line)
        if found := re.search(r"Sign in as (\S+) / (\S+)", line):
            return sign_in(base_url, found[1], found[2]).headers
    raise AssertionError("the demo printed no sign-in line:\n" + "".join(lines))


def test_demo_runs_on_embedded_services_and_shows_live_alerts(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "MQTT_URL", "MQTT_PROTOCOL")}
    demo = subprocess.Popen(
        [sys.executable, "-m", "hub", "demo", "--port", str(port), "--homes", "5", "--duration", "25",
         "--alarms-per-day", "8000"],
        env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        base_url = f"http://127.0.0.1:{port}"
        banner: list[str] = []
        headers = _sign_in_from_banner(demo, base_url, banner)
        assert httpx.get(f"{base_url}/api/alerts", timeout=5).status_code == 401  # nothing without signing in
        deadline = time.monotonic() + 60
        alerts: list = []
        while time.monotonic() < deadline and not alerts:
            time.sleep(1)
            try:
                alerts = httpx.get(f"{base_url}/api/alerts", headers=headers, timeout=5).json()["alerts"]
            except httpx.HTTPError:
                continue
        assert alerts, "no alert from the simulated homes reached the console"
        assert httpx.get(f"http://127.0.0.1:{port}/").status_code == 200
        assert {a["priority"] for a in alerts} & {1}, alerts
        card = httpx.get(f"{base_url}/api/alerts/{alerts[0]['id']}/resident", headers=headers, timeout=5).json()
        assert card["linked"] is True, card  # the demo's residents have care records
        rest, _ = demo.communicate(timeout=90)
        output = "".join(banner) + rest
    finally:
        if demo.poll() is None:
            demo.kill()
    assert demo.returncode == 0, output
    assert f"Console: http://127.0.0.1:{port}" in output
    assert "Traceback" not in output, output
    assert "[family] family email to" in output, output  # relatives were told, through the demo inbox
