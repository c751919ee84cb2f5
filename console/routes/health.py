"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import socket
from typing import Any

import psycopg
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.core import CollectorRegistry, GaugeMetricFamily
from pydantic import BaseModel

from console.deps import Pool

router = APIRouter(tags=["health"])

_METRICS_SQL = {
    "open_alerts": """SELECT priority::text, handling, count(*) FROM alerts
                      WHERE handling <> 'resolved' GROUP BY priority, handling""",
    "oldest_unacknowledged_emergency": """SELECT COALESCE(EXTRACT(EPOCH FROM now() - min(raised_at)), 0)
                                          FROM alerts WHERE priority = 1 AND handling = 'new'""",
    "dead_letters_last_hour": "SELECT count(*) FROM dead_letters WHERE received_at > now() - interval '1 hour'",
    "events_last_5m": "SELECT count(*) FROM events WHERE received_at > now() - interval '5 minutes'",
    "outbox_backlog": "SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending')",
}


@router.get("/healthz", summary="The process is alive")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


def _broker_reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


class Readiness(BaseModel):
    ready: bool
    checks: dict[str, bool]


@router.get("/readyz", summary="Database, broker and live stream are reachable", response_model=Readiness,
            responses={503: {"model": Readiness, "description": "Something the console needs is unreachable"}})
def readyz(request: Request, pool: Pool) -> JSONResponse:
    checks: dict[str, bool] = {}
    try:
        with pool.connection(timeout=2.0) as conn:
            conn.execute("SELECT 1")
        checks["database"] = True
    except (psycopg.Error, Exception):
        checks["database"] = False
    broker = request.app.state.broker
    checks["broker"] = broker is None or _broker_reachable(broker.host, broker.port)
    checks["live_stream"] = request.app.state.live.listening.is_set()
    ok = all(checks.values())
    return JSONResponse({"ready": ok, "checks": checks}, status_code=200 if ok else 503)


class _HubCollector:
    """Reads the figures at scrape time, so every console instance reports the same truth."""

    def __init__(self, pool: Any, live: Any) -> None:
        self.pool, self.live = pool, live

    def collect(self):  # type: ignore[no-untyped-def]
        open_alerts = GaugeMetricFamily("hub_open_alerts", "Unresolved alerts", labels=["priority", "handling"])
        singles = {
            "oldest_unacknowledged_emergency": GaugeMetricFamily(
                "hub_oldest_unacknowledged_emergency_seconds", "Age of the oldest emergency nobody has taken on"),
            "dead_letters_last_hour": GaugeMetricFamily("hub_dead_letters_last_hour", "Messages dead-lettered"),
            "events_last_5m": GaugeMetricFamily("hub_events_received_last_5m", "Events stored in the last 5 min"),
            "outbox_backlog": GaugeMetricFamily("hub_outbox_backlog", "Notifications not yet delivered"),
        }
        with self.pool.connection(timeout=2.0) as conn:
            for priority, handling, count in conn.execute(_METRICS_SQL["open_alerts"]):
                open_alerts.add_metric([priority, handling], count)
            for name, family in singles.items():
                family.add_metric([], float(conn.execute(_METRICS_SQL[name]).fetchone()[0]))
        clients = GaugeMetricFamily("hub_console_clients", "Websocket clients on this console")
        clients.add_metric([], len(self.live.clients))
        yield open_alerts
        yield from singles.values()
        yield clients


@router.get("/metrics", summary="Prometheus metrics", response_class=PlainTextResponse)
def metrics(request: Request, pool: Pool) -> Response:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_HubCollector(pool, request.app.state.live))
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
