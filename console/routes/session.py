"""Sign in, sign out, and who is signed in. POST /api/login is the only /api route open without a session."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from console import auth
from console.deps import AppSettings, Pool, SignedIn
from console.queries import STORABLE_TEXT
from console.routes.alerts import Problem
from hub.accounts import any_users

router = APIRouter(prefix="/api", tags=["session"])


class Credentials(BaseModel):
    username: str = Field(min_length=1, max_length=80, pattern=STORABLE_TEXT)
    password: str = Field(min_length=1, max_length=1024)


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _secure_cookie(request: Request, settings: AppSettings) -> bool:
    return request.url.scheme == "https" or settings.hub_env == "production"


def _signed_in_answer(signed_in: auth.SignedIn, expires_at: Any = None) -> dict[str, Any]:
    answer = {"user": signed_in.user.public(), "csrf_token": signed_in.csrf_token}
    return answer | ({"expires_at": expires_at} if expires_at is not None else {})


@router.post("/login", summary="Sign in: sets the session cookie and returns the CSRF token for later requests",
             responses={400: {"model": Problem, "description": "The body cannot be read (not UTF-8)"},
                        401: {"model": Problem, "description": "Wrong username or password"},
                        429: {"model": Problem, "description": "Too many failed sign-ins: locked for a while"}})
def login(body: Credentials, request: Request, response: Response, pool: Pool,
          settings: AppSettings) -> dict[str, Any]:
    username, client_ip = body.username.strip().lower(), _client_ip(request)
    with pool.connection() as conn:
        if auth.locked_out(conn, username, client_ip):
            minutes = int(auth.LOCKOUT.total_seconds() // 60)
            raise HTTPException(429, f"Too many failed sign-ins for {username!r} from this address: "
                                     f"try again in {minutes} minutes")
        user = auth.check_password(conn, username, body.password, client_ip)
        if user is None:
            conn.commit()  # the failure counts even though the request is refused
            raise HTTPException(401, "Wrong username or password")
        session = auth.start_session(conn, user, timedelta(hours=settings.session_ttl_h))
    response.set_cookie(auth.COOKIE_NAME, session.token, max_age=int(settings.session_ttl_h * 3600), path="/",
                        httponly=True, samesite="strict", secure=_secure_cookie(request, settings))
    response.headers["Cache-Control"] = "no-store"
    return _signed_in_answer(auth.SignedIn(user, session.csrf_token), session.expires_at)


@router.post("/logout", summary="Sign out: the session ends on the server and the cookie is cleared")
def logout(signed_in: SignedIn, request: Request, response: Response, pool: Pool,
           settings: AppSettings) -> dict[str, Any]:
    with pool.connection() as conn:
        auth.end_session(conn, request.cookies.get(auth.COOKIE_NAME))
    response.delete_cookie(auth.COOKIE_NAME, path="/", httponly=True, samesite="strict",
                           secure=_secure_cookie(request, settings))
    return {"signed_out": signed_in.user.username}


@router.get("/me", summary="The signed-in user and the session's CSRF token",
            responses={401: {"description": "Not signed in; `accounts` says whether any account exists yet"}})
def me(request: Request, response: Response, pool: Pool) -> Any:
    with pool.connection() as conn:
        signed_in = auth.session_user(conn, request.cookies.get(auth.COOKIE_NAME))
        if signed_in is None:
            return JSONResponse({"detail": "Sign in first", "accounts": any_users(conn)}, status_code=401,
                                headers={"WWW-Authenticate": "Cookie"})
    response.headers["Cache-Control"] = "no-store"
    return _signed_in_answer(signed_in)
