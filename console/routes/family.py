"""The family page: a relative opens the link in their message, sees how their relative is (in their own
language) and can answer an urgent or wellbeing alert.

Paths:
- GET  /family/link/{token}                  magic link: sets the session cookie and goes to the page; an
                                              expired (410) or unknown (404) link gets a page saying to ask
                                              the response centre for a new one
- GET  /family/                              the page (console/static/family/)
- GET  /family/api/me                        who is signed in, their language, the web push key
- GET  /family/api/residents/{resident_id}   their relative's open and recent alerts; anyone else: 403
- POST /family/api/alerts/{alert_id}/answer  going_round | all_fine | cannot_help
- POST /family/api/push-subscription         this phone's web push subscription becomes a channel

Every view writes a resident_access_log row ('family_view'); every attempt at another resident, 'refused'.
Consent is checked on every request: withdrawing it closes the page at once.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from fastapi import APIRouter, HTTPException, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from alerts.channels.webpush import application_server_key
from alerts.family import answers, links
from alerts.family.messages import catalogues, page_strings
from alerts.transitions import TransitionRefused
from console import family_queries as q
from console.deps import AppSettings, Pool
from console.family_pages import direction, language_from_header, message_page
from console.family_session import COOKIE_NAME, COOKIE_PATH, read_session, sign_session
from console.queries import STORABLE_TEXT
from console.routes.alerts import Problem
from hub.settings import Settings

router = APIRouter(tags=["family"])
PAGE_DIR = Path(__file__).resolve().parent.parent / "static" / "family"
PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


SIGNED_OUT = {400: {"model": Problem, "description": "The body cannot be read (not UTF-8)"},
              401: {"model": Problem, "description": "No valid family session: open the link in the message again"}}
NOT_THEIRS = {403: {"model": Problem, "description": "Not this relative's resident or alert (logged)"}}


class Answer(BaseModel):
    answer: Literal["going_round", "all_fine", "cannot_help"]
    note: Annotated[str, Field(max_length=500, pattern=STORABLE_TEXT)] = ""


class PushKeys(BaseModel):
    p256dh: Annotated[str, Field(min_length=16, max_length=200, pattern=STORABLE_TEXT)]
    auth: Annotated[str, Field(min_length=8, max_length=100, pattern=STORABLE_TEXT)]


class PushSubscription(BaseModel):
    model_config = ConfigDict(extra="ignore")
    endpoint: Annotated[str, Field(min_length=10, max_length=1000, pattern=STORABLE_TEXT)]
    keys: PushKeys


def _now() -> datetime:
    return datetime.now(UTC)


def _refused_text(language: str) -> str:
    return page_strings(language, "")["refused"]


def _relative(request: Request, conn: Any, settings: Settings, now: datetime) -> q.Relative:
    member_id = read_session(settings, request.cookies.get(COOKIE_NAME), now)
    relative = q.signed_in_relative(conn, member_id, now) if member_id is not None else None
    if relative is None:
        language = language_from_header(request.headers.get("accept-language"))
        raise HTTPException(401, page_strings(language, "")["signed_out"])
    return relative


@router.get("/family/link/{token}", include_in_schema=False)
def open_link(token: str, request: Request, pool: Pool, settings: AppSettings) -> Response:
    now = _now()
    with pool.connection() as conn, conn.transaction():
        check = links.check_link(conn, token, now)
        relative = q.signed_in_relative(conn, check.member_id, now) if check.status == "ok" and check.member_id \
            else None
    if relative is not None and check.expires_at is not None:
        target = f"/family/?alert={check.alert_id}" if check.alert_id else "/family/"
        response = RedirectResponse(target, status_code=303, headers=PRIVATE)
        response.set_cookie(
            COOKIE_NAME, sign_session(settings, relative.id, check.expires_at), path=COOKIE_PATH,
            max_age=max(1, int((check.expires_at - now).total_seconds())), httponly=True, samesite="lax",
            secure=settings.public_base_url.startswith("https://"))
        return response
    if check.status == "expired":
        language = catalogues().resolve(check.language)
        return HTMLResponse(message_page(language, "link_expired_title", "link_expired_body"), 410, PRIVATE)
    # Unknown, or its relative has withdrawn consent: say the same either way.
    language = language_from_header(request.headers.get("accept-language"))
    return HTMLResponse(message_page(language, "link_unknown_title", "link_unknown_body"), 404, PRIVATE)


@router.get("/family", include_in_schema=False)
def family_root() -> RedirectResponse:
    return RedirectResponse("/family/", status_code=308)


@router.get("/family/", include_in_schema=False)
def family_page() -> FileResponse:
    return FileResponse(PAGE_DIR / "index.html", headers={"Cache-Control": "no-cache", **PRIVATE})


@router.get("/family/sw.js", include_in_schema=False)
def service_worker() -> FileResponse:
    # Served from /family/ so that its scope covers the family page (and nothing else of the console).
    return FileResponse(PAGE_DIR / "sw.js", media_type="text/javascript", headers={"Cache-Control": "no-cache"})


@router.get("/family/api/me", summary="The signed-in relative: language and whom they may see",
            responses=SIGNED_OUT)
def me(request: Request, pool: Pool, settings: AppSettings, response: Response) -> dict[str, Any]:
    with pool.connection() as conn:
        relative = _relative(request, conn, settings, _now())
    response.headers.update(PRIVATE)
    return {"id": relative.id, "name": relative.name, "language": relative.language,
            "dir": direction(relative.language), "resident_id": relative.resident_id,
            "push_key": application_server_key(settings.vapid_private_key)}


@router.get("/family/api/residents/{resident_id}", summary="How the relative's resident is: open and recent alerts",
            responses={**SIGNED_OUT, **NOT_THEIRS})
def resident_status(resident_id: Annotated[str, PathParam(pattern=STORABLE_TEXT)], request: Request, pool: Pool,
                    settings: AppSettings,
                    response: Response) -> dict[str, Any]:
    now = _now()
    status: dict[str, Any] | None = None
    with pool.connection() as conn, conn.transaction():
        relative = _relative(request, conn, settings, now)
        if resident_id != relative.resident_id:
            # Committed with the transaction; the 403 is raised once it has been.
            q.log_access(conn, relative.id, "refused", resident_id, reason="family page: not their relative",
                         detail={"wanted": "family_view"})
        else:
            status = q.resident_status(conn, relative, now)
            q.log_access(conn, relative.id, "family_view", resident_id, reason="family page",
                         detail={"open_alerts": [a["id"] for a in status["open"]]})
    if status is None:
        raise HTTPException(403, _refused_text(relative.language))
    response.headers.update(PRIVATE)
    return status


@router.post("/family/api/alerts/{alert_id}/answer", summary="A relative answers an urgent or wellbeing alert",
             responses={**SIGNED_OUT, **NOT_THEIRS, 404: {"model": Problem, "description": "No such alert"},
                        409: {"model": Problem, "description": "The alert cannot take an answer (e.g. resolved)"}})
def answer_alert(alert_id: int, body: Answer, request: Request, pool: Pool, settings: AppSettings,
                 response: Response) -> dict[str, Any]:
    now = _now()
    refusal: tuple[int, str] | None = None
    with pool.connection() as conn, conn.transaction():
        relative = _relative(request, conn, settings, now)
        row = conn.execute("SELECT resident_id FROM alerts WHERE id = %s", (alert_id,)).fetchone()
        if row is None or row[0] != relative.resident_id:
            if row is not None and row[0] is not None:
                q.log_access(conn, relative.id, "refused", row[0], alert_id=alert_id,
                             reason="family page: answer for another resident's alert", detail={"wanted": "answer"})
            refusal = (403, _refused_text(relative.language))
        else:
            try:
                answers.record_answer(conn, member_id=relative.id, alert_id=alert_id, answer=body.answer,
                                      note=body.note.strip(), now=now)
            except TransitionRefused as exc:
                refusal = (409, str(exc))
    if refusal:
        raise HTTPException(*refusal)
    response.headers.update(PRIVATE)
    strings = page_strings(relative.language, "")
    return {"alert_id": alert_id, "answer": body.answer, "message": strings["answer_thanks"]}


def _acceptable_endpoint(endpoint: str) -> bool:
    parts = urlsplit(endpoint)
    # Push services are HTTPS; plain HTTP only to this machine (a local push service in development).
    return parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost"))


@router.post("/family/api/push-subscription", status_code=201,
             summary="Keep this phone's web push subscription as one of the relative's channels",
             responses={**SIGNED_OUT, 422: {"model": Problem, "description": "Not an https push endpoint"}})
def push_subscription(body: PushSubscription, request: Request, pool: Pool, settings: AppSettings,
                      response: Response) -> dict[str, Any]:
    if not _acceptable_endpoint(body.endpoint):
        raise HTTPException(422, "the push endpoint must be an https URL")
    address = json.dumps({"endpoint": body.endpoint, "keys": body.keys.model_dump()}, separators=(",", ":"))
    with pool.connection() as conn, conn.transaction():
        relative = _relative(request, conn, settings, _now())
        # After the channels the care record holds: a relative's phone and email stay first.
        channel_id = conn.execute(
            """INSERT INTO family_channels (family_member_id, channel, address, position)
               VALUES (%(member)s, 'webpush', %(address)s,
                       (SELECT COALESCE(max(position), 0) + 1 FROM family_channels WHERE family_member_id = %(member)s))
               ON CONFLICT (family_member_id, channel, address)
               DO UPDATE SET enabled = true, disabled_at = NULL, disabled_reason = NULL
               RETURNING id""",
            {"member": relative.id, "address": address}).fetchone()[0]
    response.headers.update(PRIVATE)
    return {"channel_id": channel_id, "message": page_strings(relative.language, "")["push_on"]}
