"""Account management for admins: list, create and disable console users."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field

from console.deps import Admin, Pool, require_role
from console.queries import STORABLE_TEXT
from console.routes.alerts import Problem
from hub import accounts

router = APIRouter(prefix="/api", tags=["users"], dependencies=[Depends(require_role("admin"))])


class NewUser(BaseModel):
    username: str = Field(min_length=1, max_length=40, pattern=STORABLE_TEXT)
    role: Literal["operator", "supervisor", "admin"]
    password: str = Field(min_length=accounts.MIN_PASSWORD_LENGTH, max_length=1024)
    display_name: str | None = Field(None, max_length=80, pattern=STORABLE_TEXT)


@router.get("/users", summary="Every console account (admins only)")
def list_users(admin: Admin, pool: Pool) -> dict[str, Any]:
    with pool.connection() as conn:
        return {"users": accounts.list_users(conn)}


@router.post("/users", status_code=201, summary="Create a console account (admins only)",
             responses={400: {"model": Problem, "description": "The body cannot be read (not UTF-8)"},
                        409: {"model": Problem, "description": "The username is taken"},
                        422: {"model": Problem, "description": "A malformed request"}})
def create_user(body: NewUser, admin: Admin, pool: Pool) -> dict[str, Any]:
    try:
        with pool.connection() as conn:
            user = accounts.create_user(conn, body.username, body.role, body.password, body.display_name)
    except accounts.AccountError as exc:
        raise HTTPException(409 if "already exists" in str(exc) else 422, str(exc)) from exc
    return user.public()


@router.post("/users/{username}/disable", summary="Disable an account and end its sessions (admins only)",
             responses={404: {"model": Problem, "description": "No such user"}})
def disable_user(username: str, admin: Admin, pool: Pool) -> dict[str, Any]:
    with pool.connection() as conn:
        if not accounts.disable_user(conn, username):
            raise HTTPException(404, f"user {username!r} does not exist")
    return {"username": username, "disabled": True}
