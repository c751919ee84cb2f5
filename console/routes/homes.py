"""Homes and their recent events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from psycopg.rows import dict_row

from console import queries
from console.activity import ACTIVITY_TYPES, LOCAL_TZ, shape_activity
from console.deps import Pool

router = APIRouter(prefix="/api", tags=["homes"])


@router.get("/homes", summary="Every home with its unit state and open alerts")
def list_homes(pool: Pool) -> dict[str, Any]:
    with pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        return {"homes": cur.execute(queries.HOMES).fetchall()}


@router.get("/homes/{home_id}/events", summary="A home's events since a time, newest first")
def home_events(
    home_id: str,
    pool: Pool,
    since: Annotated[datetime | None, Query(description="ISO 8601; default 24 h ago")] = None,
    limit: Annotated[int, Query(ge=1, le=10000)] = 1000,
) -> dict[str, Any]:
    if since is None:
        since = datetime.now(UTC) - timedelta(hours=24)
    elif since.tzinfo is None:
        raise HTTPException(422, "since must include a time zone, e.g. 2026-11-23T07:00:00Z")
    with pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        if cur.execute(queries.HOME_EXISTS, (home_id,)).fetchone() is None:
            raise HTTPException(404, f"home {home_id!r} is not registered")
        events = cur.execute(queries.EVENTS_SINCE, {"home_id": home_id, "since": since, "limit": limit}).fetchall()
    return {"home_id": home_id, "since": since, "events": events}


@router.get("/homes/{home_id}/activity", summary="Activity by hour: the last days as a heatmap, today against usual")
def home_activity(
    home_id: str,
    pool: Pool,
    days: Annotated[int, Query(ge=1, le=60, description="Days of history before `until`")] = 14,
    until: Annotated[datetime | None, Query(description="ISO 8601; default now. The chart ends on this day.")] = None,
) -> dict[str, Any]:
    end = until or datetime.now(UTC)
    if end.tzinfo is None:
        raise HTTPException(422, "until must include a time zone")
    today = end.astimezone(LOCAL_TZ).date()
    since = datetime.combine(today - timedelta(days=days), datetime.min.time(), LOCAL_TZ)
    with pool.connection() as conn:
        if conn.execute(queries.HOME_EXISTS, (home_id,)).fetchone() is None:
            raise HTTPException(404, f"home {home_id!r} is not registered")
        hourly = conn.execute(queries.HOURLY_ACTIVITY, {"home_id": home_id, "since": since, "until": end,
                                                        "types": list(ACTIVITY_TYPES)}).fetchall()
    return {"home_id": home_id, **shape_activity(hourly, today, days)}
