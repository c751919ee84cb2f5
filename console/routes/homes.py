"""Homes and their recent events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query
from psycopg.rows import dict_row

from console import queries
from console.activity import ACTIVITY_TYPES, LOCAL_TZ, shape_activity
from console.deps import Pool, require_role
from console.routes.alerts import Problem

router = APIRouter(prefix="/api", tags=["homes"], dependencies=[Depends(require_role("operator"))])

HomeId = Annotated[str, Path(pattern=queries.STORABLE_TEXT)]
HOME_REFUSED = {
    404: {"model": Problem, "description": "No such home"},
    422: {"model": Problem, "description": "A malformed request, or a time without a zone or out of range"},
}


@router.get("/homes", summary="Every home with its unit state and open alerts")
def list_homes(pool: Pool) -> dict[str, Any]:
    with pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        return {"homes": cur.execute(queries.HOMES).fetchall()}


@router.get("/homes/{home_id}/events", summary="A home's events since a time, newest first", responses=HOME_REFUSED)
def home_events(
    home_id: HomeId,
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


_DEVICES = """
SELECT device_id, kind, room, heartbeat_interval_s, last_seen_at, battery, last_seq, first_seq, stored_count,
       -- In numeric: last_seq - first_seq + 1 overflows bigint for a device that sent both seq 0 and 2^63-1.
       -- The result fits again, as stored_count >= 1 whenever first_seq is set.
       GREATEST(0, COALESCE(last_seq::numeric - first_seq + 1 - stored_count, 0))::bigint AS missing_seqs,
       out_of_order
FROM devices WHERE home_id = %s ORDER BY device_id
"""


@router.get("/homes/{home_id}/devices", summary="A home's devices: last heard, battery, missing and late events",
            responses=HOME_REFUSED)
def home_devices(home_id: HomeId, pool: Pool) -> dict[str, Any]:
    """`missing_seqs`: seqs between the first and last stored that never arrived (a gap may still fill
    if the unit resends); `out_of_order`: events that arrived after a higher seq of the same device."""
    with pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        if cur.execute(queries.HOME_EXISTS, (home_id,)).fetchone() is None:
            raise HTTPException(404, f"home {home_id!r} is not registered")
        return {"home_id": home_id, "devices": cur.execute(_DEVICES, (home_id,)).fetchall()}


@router.get("/homes/{home_id}/activity", summary="Activity by hour: the last days as a heatmap, today against usual",
            responses=HOME_REFUSED)
def home_activity(
    home_id: HomeId,
    pool: Pool,
    days: Annotated[int, Query(ge=1, le=60, description="Days of history before `until`")] = 14,
    until: Annotated[datetime | None, Query(description="ISO 8601; default now. The chart ends on this day.")] = None,
) -> dict[str, Any]:
    end = until or datetime.now(UTC)
    if end.tzinfo is None:
        raise HTTPException(422, "until must include a time zone")
    try:
        today = end.astimezone(LOCAL_TZ).date()
        since = datetime.combine(today - timedelta(days=days), datetime.min.time(), LOCAL_TZ)
    except OverflowError as exc:  # a chart ending in year 1 (or 9999 in a zone behind UTC) has no days to draw
        raise HTTPException(422, "until is too close to the ends of the calendar for this many days") from exc
    with pool.connection() as conn:
        if conn.execute(queries.HOME_EXISTS, (home_id,)).fetchone() is None:
            raise HTTPException(404, f"home {home_id!r} is not registered")
        hourly = conn.execute(queries.HOURLY_ACTIVITY, {"home_id": home_id, "since": since, "until": end,
                                                        "types": list(ACTIVITY_TYPES)}).fetchall()
    return {"home_id": home_id, **shape_activity(hourly, today, days)}
