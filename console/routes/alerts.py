"""Alert queue, detail with audit trail, and operator actions (acknowledge, note, resolve)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query
from psycopg.rows import dict_row
from pydantic import BaseModel, Field

from alerts import engine
from alerts.model import OUTCOMES
from alerts.transitions import Acknowledge, Action, Note, Resolve, TransitionRefused
from console import queries
from console.deps import CurrentUser, Pool, require_role
from console.queries import STORABLE_TEXT
from models import store
from models.detectors import BEHAVIOURAL_KINDS

router = APIRouter(prefix="/api", tags=["alerts"], dependencies=[Depends(require_role("operator"))])


class Problem(BaseModel):
    """Why a request was refused: a sentence, or for a malformed request the list of field errors."""

    detail: str | list[dict[str, Any]]


class OperatorAction(BaseModel):
    # The actor is always the signed-in user; the field is still accepted so older clients keep working.
    operator: str | None = Field(None, max_length=200, pattern=STORABLE_TEXT, deprecated=True,
                                 description="Ignored: the audit trail names the signed-in user.")


class Resolution(OperatorAction):
    outcome: str = Field(description="One of the codes from GET /api/outcomes.")
    note: str = Field("", max_length=4000, pattern=STORABLE_TEXT)


class NoteIn(OperatorAction):
    text: str = Field(min_length=1, max_length=4000, pattern=STORABLE_TEXT)


NOT_FOUND = {404: {"model": Problem, "description": "No such alert"}}
ACTION_REFUSED = {
    400: {"model": Problem, "description": "The body cannot be read (not UTF-8)"},
    **NOT_FOUND,
    409: {"model": Problem, "description": "The alert's state does not allow it (e.g. already resolved)"},
    422: {"model": Problem, "description": "A malformed request, or one the lifecycle rules refuse"},
}


def _fetch_alert(pool: Pool, alert_id: int) -> dict[str, Any]:
    with pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        alert = cur.execute(queries.ALERT_BY_ID, (alert_id,)).fetchone()
        if alert is None:
            raise HTTPException(404, f"alert {alert_id} does not exist")
        alert["audit"] = cur.execute(queries.AUDIT_FOR_ALERT, (alert_id,)).fetchall()
    return alert


def _apply(pool: Pool, alert_id: int, action: Action) -> dict[str, Any]:
    try:
        with pool.connection() as conn, conn.transaction():
            applied = engine.act(conn, alert_id, action)
            if isinstance(action, Resolve) and applied.change.after.kind in BEHAVIOURAL_KINDS:
                # The verdict teaches this resident's model, in the same transaction as the resolution.
                store.record_feedback(conn, alert_id, applied.home_id, applied.change.after.kind, action.outcome)
    except LookupError as exc:
        raise HTTPException(404, str(exc)) from exc
    except TransitionRefused as exc:
        status = 422 if exc.rule in ("outcome_required", "note_required_for_other", "note_empty") else 409
        raise HTTPException(status, str(exc)) from exc
    return _fetch_alert(pool, alert_id)


@router.get("/alerts", summary="Alerts in one handling state, emergencies first")
def list_alerts(
    pool: Pool,
    state: Annotated[queries.AlertState, Query(description="open = not yet resolved")] = "open",
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
) -> dict[str, Any]:
    with pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        alerts = cur.execute(queries.list_alerts_sql(state), {"limit": limit}).fetchall()
    return {"alerts": alerts, "server_time": datetime.now(UTC)}


@router.get("/alerts/{alert_id}", summary="One alert with its audit trail", responses=NOT_FOUND)
def get_alert(alert_id: int, pool: Pool) -> dict[str, Any]:
    return _fetch_alert(pool, alert_id)


@router.post("/alerts/{alert_id}/acknowledge", summary="Take the alert on", responses=ACTION_REFUSED)
def acknowledge(alert_id: int, body: OperatorAction, pool: Pool, user: CurrentUser) -> dict[str, Any]:
    return _apply(pool, alert_id, Acknowledge(actor=user.actor, at=datetime.now(UTC)))


@router.post("/alerts/{alert_id}/notes", summary="Add a note to the alert's audit trail", responses=ACTION_REFUSED)
def add_note(alert_id: int, body: NoteIn, pool: Pool, user: CurrentUser) -> dict[str, Any]:
    return _apply(pool, alert_id, Note(actor=user.actor, at=datetime.now(UTC), text=body.text))


@router.post("/alerts/{alert_id}/resolve", summary="Close the alert with an outcome", responses=ACTION_REFUSED)
def resolve(alert_id: int, body: Resolution, pool: Pool, user: CurrentUser) -> dict[str, Any]:
    return _apply(pool, alert_id, Resolve(actor=user.actor, at=datetime.now(UTC),
                                          outcome=body.outcome, note=body.note))


@router.get("/outcomes", summary="Outcome codes an alert can be resolved with")
def outcomes() -> dict[str, Any]:
    return {"outcomes": [{"code": code, "label": label} for code, label in OUTCOMES.items()]}
