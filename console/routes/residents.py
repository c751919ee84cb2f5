"""The resident card on an alert, what the family has been told, the key safe reveal and the access log.

Care records are special-category health data: every read here names the signed-in user and the alert it
is for, and writes a resident_access_log row in the same transaction as the read. The key safe code is
given only for an acknowledged, unresolved alert, on an explicit request, and each reveal is also a
note on the alert's audit trail so supervisors see it in the alert's history.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Response
from pydantic import BaseModel, Field

from alerts import engine
from alerts.transitions import Note
from console import resident_format as fmt
from console import resident_queries as q
from console.activity import LOCAL_TZ
from console.deps import CurrentUser, Pool, Supervisor, require_role
from console.queries import STORABLE_TEXT
from console.routes.alerts import ACTION_REFUSED, Problem

router = APIRouter(prefix="/api", tags=["residents"], dependencies=[Depends(require_role("operator"))])

KEY_SAFE_VISIBLE_S = 60
NO_STORE = {"Cache-Control": "no-store"}

# Still accepted from older clients, never trusted: the access log names the signed-in user.
OperatorQuery = Annotated[str | None, Query(max_length=200, pattern=STORABLE_TEXT, deprecated=True,
                                            description="Ignored: the access log names the signed-in user.")]


class RevealRequest(BaseModel):
    operator: str | None = Field(None, max_length=200, pattern=STORABLE_TEXT, deprecated=True,
                                 description="Ignored: the access log and audit name the signed-in user.")


READ_REFUSED = {404: {"model": Problem, "description": "No such alert or resident"},
                422: {"model": Problem, "description": "A malformed request"}}


def _log_actor(user: CurrentUser) -> str:
    return f"operator:{user.display_name}"


def _reason(context: dict[str, Any]) -> str:
    return f"alert {context['id']} ({context['kind']})"


def _context_or_404(conn: Any, alert_id: int, *, lock: bool = False) -> dict[str, Any]:
    context = q.alert_context(conn, alert_id, lock=lock)
    if context is None:
        raise HTTPException(404, f"alert {alert_id} does not exist")
    return context


@router.get("/alerts/{alert_id}/resident", summary="The resident card for an alert (logged as a record view)",
            responses=READ_REFUSED)
def resident_card(alert_id: int, pool: Pool, response: Response, user: CurrentUser,
                  operator: OperatorQuery = None) -> dict[str, Any]:
    actor = _log_actor(user)
    now = datetime.now(UTC)
    with pool.connection() as conn, conn.transaction():
        context = _context_or_404(conn, alert_id)
        card = q.resident_card(conn, context, now, now.astimezone(LOCAL_TZ).date())
        q.log_access(conn, actor=actor, action="view_record", resident_id=context["resident_id"],
                     alert_id=alert_id, reason=_reason(context), detail={"linked": card["linked"]})
    response.headers.update(NO_STORE)
    return card


@router.get("/alerts/{alert_id}/family", summary="What relatives were told about an alert and what they answered",
            responses=READ_REFUSED)
def family_status(alert_id: int, pool: Pool, response: Response, user: CurrentUser,
                  operator: OperatorQuery = None) -> dict[str, Any]:
    actor = _log_actor(user)
    now = datetime.now(UTC)
    with pool.connection() as conn, conn.transaction():
        context = _context_or_404(conn, alert_id)
        status = q.family_status(conn, context, now)
        q.log_access(conn, actor=actor, action="view_family_status", resident_id=context["resident_id"],
                     alert_id=alert_id, reason=_reason(context))
    response.headers.update(NO_STORE)
    return status


def _refusal(context: dict[str, Any], code: str | None) -> tuple[int, str] | None:
    if context["handling"] == "new":
        return 409, "Acknowledge the alert before revealing the key safe code"
    if context["handling"] == "resolved":
        return 409, "The alert is resolved: the key safe code is shown only while an alert is being handled"
    if code is None:
        return 404, f"No key safe code is recorded for home {context['home_id']}"
    return None


@router.post("/alerts/{alert_id}/key-safe/reveal",
             summary="Reveal the home's key safe code to the operator handling an acknowledged alert (audited)",
             responses=ACTION_REFUSED)
def reveal_key_safe(alert_id: int, pool: Pool, response: Response, user: CurrentUser,
                    body: RevealRequest | None = None) -> dict[str, Any]:
    operator = user.display_name
    now = datetime.now(UTC)
    with pool.connection() as conn, conn.transaction():
        # Locked, so the alert cannot be resolved between the check and the note on its trail.
        context = _context_or_404(conn, alert_id, lock=True)
        code = q.key_safe_code(conn, context["home_id"])
        refusal = _refusal(context, code)
        if refusal:
            # Refused attempts are logged too, and committed: the refusal is raised after the transaction.
            q.log_access(conn, actor=_log_actor(user), action="refused", resident_id=context["resident_id"],
                         alert_id=alert_id, reason=_reason(context),
                         detail={"wanted": "reveal_key_safe", "why": refusal[1]})
        else:
            engine.act(conn, alert_id, Note(actor=user.actor, at=now, text=fmt.key_safe_note(operator)))
            q.log_access(conn, actor=_log_actor(user), action="reveal_key_safe",
                         resident_id=context["resident_id"], alert_id=alert_id, reason=_reason(context),
                         detail={"home_id": context["home_id"]})
    if refusal:
        raise HTTPException(*refusal)
    response.headers.update(NO_STORE)
    return {"alert_id": alert_id, "home_id": context["home_id"], "code": code, "revealed_by": operator,
            "revealed_at": now, "visible_for_s": KEY_SAFE_VISIBLE_S}


@router.get("/residents/{resident_id}/access-log",
            summary="Who read or revealed what of a resident's record, newest first (itself logged)",
            responses=READ_REFUSED)
def resident_access_log(
    resident_id: Annotated[str, Path(pattern=STORABLE_TEXT)],
    pool: Pool,
    response: Response,
    user: Supervisor,
    operator: OperatorQuery = None,
    alert_id: Annotated[int | None, Query(description="The alert the supervisor is looking from, if any")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    actor = _log_actor(user)
    with pool.connection() as conn, conn.transaction():
        if not q.resident_exists(conn, resident_id):
            raise HTTPException(404, f"resident {resident_id!r} does not exist")
        if alert_id is not None:
            _context_or_404(conn, alert_id)
        q.log_access(conn, actor=actor, action="view_access_log", resident_id=resident_id, alert_id=alert_id,
                     reason=f"alert {alert_id}" if alert_id is not None else "access log review")
        entries = q.access_log(conn, resident_id, limit)
    response.headers.update(NO_STORE)
    return {"resident_id": resident_id, "entries": entries}
