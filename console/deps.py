"""Dependencies the routers ask for, as Annotated types.

`CurrentUser` is the signed-in console user: 401 without a live session, and for a state-changing request
403 unless it carries the session's CSRF token in X-CSRF-Token. `require_role(role)` adds 403 for a user
whose role is below `role` (operator < supervisor < admin).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from psycopg_pool import ConnectionPool

from console import auth
from console.live import LiveAlerts
from hub.accounts import Role, User
from hub.settings import Settings

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "X-CSRF-Token"


def _pool(request: Request) -> ConnectionPool:
    return request.app.state.pool


def _settings(request: Request) -> Settings:
    return request.app.state.settings


def _live(request: Request) -> LiveAlerts:
    return request.app.state.live


Pool = Annotated[ConnectionPool, Depends(_pool)]
AppSettings = Annotated[Settings, Depends(_settings)]
Live = Annotated[LiveAlerts, Depends(_live)]


def _signed_in(request: Request, pool: Pool) -> auth.SignedIn:
    with pool.connection() as conn:
        signed_in = auth.session_user(conn, request.cookies.get(auth.COOKIE_NAME))
    if signed_in is None:
        raise HTTPException(401, "Sign in first", headers={"WWW-Authenticate": "Cookie"})
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(sent.encode(), signed_in.csrf_token.encode()):
            raise HTTPException(403, f"Missing or wrong {CSRF_HEADER} header")
    return signed_in


SignedIn = Annotated[auth.SignedIn, Depends(_signed_in)]


def _current_user(signed_in: SignedIn) -> User:
    return signed_in.user


CurrentUser = Annotated[User, Depends(_current_user)]


def require_role(role: Role) -> Callable[[User], User]:
    def check(user: CurrentUser) -> User:
        if not user.may(role):
            raise HTTPException(403, f"This needs the {role} role")
        return user

    return check


Operator = Annotated[User, Depends(require_role("operator"))]
Supervisor = Annotated[User, Depends(require_role("supervisor"))]
Admin = Annotated[User, Depends(require_role("admin"))]
