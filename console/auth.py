"""Console sign-in: sessions held in PostgreSQL (only a SHA-256 of the token) and the failed sign-in limit.

Both live in the database so that every console worker sees the same sessions and the same failures.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import psycopg

from hub.accounts import User, password_matches

COOKIE_NAME = "hub_session"
MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
_TOUCH_EVERY = timedelta(minutes=1)  # last_seen_at is refreshed at most this often, not on every request


@dataclass(frozen=True)
class Session:
    token: str
    csrf_token: str
    expires_at: datetime


@dataclass(frozen=True)
class SignedIn:
    user: User
    csrf_token: str


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def locked_out(conn: psycopg.Connection, username: str, client_ip: str) -> bool:
    count = conn.execute("SELECT count(*) FROM login_failures WHERE username = %s AND client_ip = %s "
                         "AND failed_at > now() - %s", (username, client_ip, LOCKOUT)).fetchone()[0]  # type: ignore[index]
    return count >= MAX_FAILURES


def check_password(conn: psycopg.Connection, username: str, password: str, client_ip: str) -> User | None:
    """The user when the password is right and the account enabled; otherwise the failure is recorded."""
    row = conn.execute("SELECT id, username, display_name, role, password_hash FROM users "
                       "WHERE username = %s AND disabled_at IS NULL", (username,)).fetchone()
    if password_matches(row[4] if row else None, password) and row is not None:
        conn.execute("DELETE FROM login_failures WHERE username = %s AND client_ip = %s", (username, client_ip))
        return User(row[0], row[1], row[2], row[3])
    conn.execute("INSERT INTO login_failures (username, client_ip) VALUES (%s, %s)", (username[:80], client_ip))
    conn.execute("DELETE FROM login_failures WHERE failed_at < now() - %s", (LOCKOUT * 2,))
    return None


def start_session(conn: psycopg.Connection, user: User, ttl: timedelta) -> Session:
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    expires_at = conn.execute(
        "INSERT INTO sessions (token_sha256, user_id, csrf_token, expires_at) VALUES (%s, %s, %s, now() + %s) "
        "RETURNING expires_at", (_digest(token), user.id, csrf, ttl)).fetchone()[0]  # type: ignore[index]
    conn.execute("DELETE FROM sessions WHERE expires_at < now()")
    return Session(token, csrf, expires_at)


def session_user(conn: psycopg.Connection, token: str | None) -> SignedIn | None:
    """Who holds this session token, if it is live and the account enabled."""
    if not token:
        return None
    row = conn.execute(
        "SELECT u.id, u.username, u.display_name, u.role, s.csrf_token, s.last_seen_at < now() - %s "
        "FROM sessions s JOIN users u ON u.id = s.user_id "
        "WHERE s.token_sha256 = %s AND s.expires_at > now() AND u.disabled_at IS NULL",
        (_TOUCH_EVERY, _digest(token))).fetchone()
    if row is None:
        return None
    if row[5]:
        conn.execute("UPDATE sessions SET last_seen_at = now() WHERE token_sha256 = %s", (_digest(token),))
    return SignedIn(User(row[0], row[1], row[2], row[3]), row[4])


def end_session(conn: psycopg.Connection, token: str | None) -> None:
    if token:
        conn.execute("DELETE FROM sessions WHERE token_sha256 = %s", (_digest(token),))
