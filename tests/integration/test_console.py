"""The console against the real database and broker: REST, the live websocket stream, offline docs."""

from __future__ import annotations

import json
import re
import time

import httpx
import pytest
from websockets.sync.client import connect as ws_connect

from console.app import create_app
from tests.support.home import event
from tests.support.services import ConsoleServer

pytestmark = pytest.mark.integration


def _ws_url(console: ConsoleServer) -> str:
    return f"ws://127.0.0.1:{console.port}/ws/alerts"


def _signed_in(api) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"Cookie": api.headers["cookie"]}


def _next_alert_delta(ws, timeout: float = 10.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        message = json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
        if message["type"] == "alert":
            return message["alert"]


def test_pendant_press_published_over_mqtt_reaches_the_websocket(console, homes, ingest, unit_factory, api):
    home = homes[0]
    with ws_connect(_ws_url(console), additional_headers=_signed_in(api)) as ws:
        snapshot = json.loads(ws.recv(timeout=10))
        assert snapshot["type"] == "snapshot" and snapshot["alerts"] == []
        unit_factory(home.home_id).publish("pendant-1", event(1, "pendant_press"))
        alert = _next_alert_delta(ws)
    assert alert["kind"] == "pendant_press" and alert["priority"] == 1
    assert alert["home_id"] == home.home_id and alert["resident_name"] == home.resident_name
    assert alert["version"] == 1 and alert["handling"] == "new"


def test_reconnect_gets_a_snapshot_with_every_unresolved_alert(console, homes, ingest, unit_factory, api):
    for i, home in enumerate(homes):
        unit_factory(home.home_id).publish("pendant-1", event(i + 1, "pendant_press"))
    deadline = time.monotonic() + 10
    while len(api.get("/api/alerts").json()["alerts"]) < 3:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    first = api.get("/api/alerts").json()["alerts"][0]
    api.post(f"/api/alerts/{first['id']}/resolve", json={"operator": "ops", "outcome": "resident_ok"})
    with ws_connect(_ws_url(console), additional_headers=_signed_in(api)) as ws:
        snapshot = json.loads(ws.recv(timeout=10))
    assert snapshot["type"] == "snapshot"
    assert sorted(a["home_id"] for a in snapshot["alerts"]) == sorted(
        h.home_id for h in homes if h.home_id != first["home_id"])


def test_operator_acknowledges_and_resolves_with_audit_trail_and_deltas(console, homes, ingest, unit_factory, api):
    home = homes[1]
    unit_factory(home.home_id).publish("pendant-1", event(1, "fall"))
    with ws_connect(_ws_url(console), additional_headers=_signed_in(api)) as ws:
        json.loads(ws.recv(timeout=10))
        deadline = time.monotonic() + 10
        while not (alerts := api.get("/api/alerts?state=open").json()["alerts"]):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        alert_id = alerts[0]["id"]
        acked = api.post(f"/api/alerts/{alert_id}/acknowledge", json={"operator": "Amina"})
        assert acked.status_code == 200 and acked.json()["handling"] == "acknowledged"
        assert acked.json()["acknowledged_by"] == "Jo Bloggs (jo)"  # the session's user, not the body's name
        again = api.post(f"/api/alerts/{alert_id}/acknowledge", json={"operator": "Bob"})
        assert again.status_code == 409 and "Jo Bloggs (jo)" in again.json()["detail"]
        bad = api.post(f"/api/alerts/{alert_id}/resolve", json={"operator": "Amina", "outcome": "nope"})
        assert bad.status_code == 422
        done = api.post(f"/api/alerts/{alert_id}/resolve",
                        json={"operator": "Amina", "outcome": "responder_sent", "note": "Mobile team attended"})
        assert done.status_code == 200 and done.json()["handling"] == "resolved"
        versions = []
        while len(versions) < 2 or versions[-1]["handling"] != "resolved":
            versions.append(_next_alert_delta(ws))
    assert [v["version"] for v in versions if v["id"] == alert_id][-1] == done.json()["version"]
    detail = api.get(f"/api/alerts/{alert_id}").json()
    assert [a["action"] for a in detail["audit"]] == ["raise", "acknowledge", "resolve"]
    assert detail["audit"][-1]["detail"] == {"outcome": "responder_sent", "note": "Mobile team attended"}
    assert api.get("/api/alerts?state=open").json()["alerts"] == []
    assert [a["id"] for a in api.get("/api/alerts?state=resolved").json()["alerts"]] == [alert_id]
    assert api.post("/api/alerts/999999/acknowledge", json={"operator": "x"}).status_code == 404


def test_homes_and_events_endpoints(console, homes, ingest, unit_factory, api):
    home = homes[0]
    unit = unit_factory(home.home_id)
    unit.publish("pir-kitchen", event(5, "motion", value=1, room="kitchen"))
    unit.wait_acks(1)
    listed = {h["home_id"]: h for h in api.get("/api/homes").json()["homes"]}
    assert set(listed) == {h.home_id for h in homes}
    assert listed[home.home_id]["resident_name"] == home.resident_name
    events = api.get(f"/api/homes/{home.home_id}/events").json()["events"]
    assert [(e["device_id"], e["seq"], e["type"]) for e in events] == [("pir-kitchen", 5, "motion")]
    assert api.get("/api/homes/nowhere/events").status_code == 404
    assert api.get(f"/api/homes/{home.home_id}/events", params={"since": "2026-01-01T00:00:00"}).status_code == 422


def test_docs_and_page_load_nothing_from_outside_the_hub(api):
    page = api.get("/docs").text
    for url in re.findall(r"""(?:src|href)=["']([^"']+)["']""", page) + re.findall(r"url: *'([^']+)'", page):
        assert url.startswith("/"), f"/docs loads {url} from outside the hub"
        assert api.get(url).status_code == 200, url
    assert "swagger-ui-bundle.js" in page
    assert api.get("/openapi.json").json()["info"]["title"].startswith("Telecare hub")
    index = api.get("/").text
    for url in re.findall(r"""(?:src|href)=["']([^"'#]+)["']""", index):
        assert not re.match(r"^(https?:)?//", url), f"the console page loads {url} from outside the hub"


def test_health_readiness_and_metrics(api, homes, ingest, unit_factory):
    assert api.get("/healthz").json() == {"status": "ok"}
    ready = api.get("/readyz").json()
    assert ready == {"ready": True, "checks": {"database": True, "broker": True, "live_stream": True}}
    unit_factory(homes[0].home_id).publish("pendant-1", event(1, "pendant_press"))
    deadline = time.monotonic() + 10
    while 'hub_open_alerts{handling="new",priority="1"} 1.0' not in (text := api.get("/metrics").text):
        assert time.monotonic() < deadline, text
        time.sleep(0.1)
    assert "hub_oldest_unacknowledged_emergency_seconds" in text


def test_readiness_is_false_when_the_broker_is_unreachable(settings, db_url):
    app = create_app(settings, db_url, "mqtt://127.0.0.1:9")  # nothing listens on the discard port
    with ConsoleServer(app) as server:
        response = httpx.get(server.base_url + "/readyz")
    assert response.status_code == 503 and response.json()["checks"]["broker"] is False


def test_activity_endpoint_gives_the_heatmap_and_todays_line(api, conn, homes):
    from datetime import UTC, datetime, timedelta

    home = homes[0]
    now = datetime.now(UTC).replace(minute=30, second=0, microsecond=0)
    rows = [(home.home_id, "pir-kitchen", i, now - timedelta(days=day), "motion", 1, "kitchen")
            for i, day in enumerate(range(0, 5))]
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO events (home_id, device_id, seq, ts, type, value, room) "
                        "VALUES (%s, %s, %s, %s, %s, %s, %s)", rows)
    body = api.get(f"/api/homes/{home.home_id}/activity", params={"days": 7}).json()
    assert len(body["days"]) == 8 and sum(sum(d["hours"]) for d in body["days"]) == 5
    assert sum(body["today"]["hours"]) == 1
    assert len(body["usual"]["median"]) == 24
    assert api.get("/api/homes/nowhere/activity").status_code == 404
