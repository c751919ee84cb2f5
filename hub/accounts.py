"""Console accounts: roles, argon2 password hashes, and the user table operations the CLI and console share.

Passwords are only ever stored as argon2id hashes. No account is ever created by default: the first admin
is made on the hub itself with `hub user add NAME --role admin`.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any, Literal

import psycopg
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from psycopg.rows import dict_row

Role = Literal["operator", "supervisor", "admin"]
ROLES: tuple[Role, ...] = ("operator", "supervisor", "admin")  # each role may do all the previous ones may
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,39}$")
MIN_PASSWORD_LENGTH = 10

_hasher = PasswordHasher()
# Verified when the username is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class AccountError(ValueError):
    """A user cannot be created or changed as asked (bad name, role or password, or a duplicate)."""


@dataclass(frozen=True)
class User:
    id: int
    username: str
    display_name: str
    role: Role

    @property
    def actor(self) -> str:
        """How the user is named on alert audit trails: the display name, made unique by the username."""
        return f"{self.display_name} ({self.username})"

    def may(self, role: Role) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)

    def public(self) -> dict[str, Any]:
        return {"username": self.username, "display_name": self.display_name, "role": self.role}


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def generate_password() -> str:
    return secrets.token_urlsafe(15)


def create_user(conn: psycopg.Connection, username: str, role: str, password: str,
                display_name: str | None = None) -> User:
    if not USERNAME.match(username):
        raise AccountError("username: 1-40 of a-z 0-9 . _ - , starting with a letter or digit")
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"password must have at least {MIN_PASSWORD_LENGTH} characters")
    name = " ".join((display_name or username).split())
    if not 1 <= len(name) <= 80 or "\x00" in name:
        raise AccountError("display name: 1-80 characters")
    with conn.cursor() as cur:
        row = cur.execute(
            "INSERT INTO users (username, display_name, role, password_hash) VALUES (%s, %s, %s, %s) "
            "ON CONFLICT (username) DO NOTHING RETURNING id", (username, name, role, hash_password(password)),
        ).fetchone()
    if row is None:
        raise AccountError(f"user {username!r} already exists")
    return User(row[0], username, name, role)  # type: ignore[arg-type]


def list_users(conn: psycopg.Connection) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute("SELECT username, display_name, role, created_at, disabled_at FROM users "
                           "ORDER BY username").fetchall()


def disable_user(conn: psycopg.Connection, username: str) -> bool:
    """Disable the account and end its sessions at once; False when there is no such user."""
    row = conn.execute("UPDATE users SET disabled_at = COALESCE(disabled_at, now()) WHERE username = %s "
                       "RETURNING id", (username,)).fetchone()
    if row is None:
        return False
    conn.execute("DELETE FROM sessions WHERE user_id = %s", (row[0],))
    return True


def any_users(conn: psycopg.Connection) -> bool:
    return conn.execute("SELECT EXISTS (SELECT 1 FROM users)").fetchone()[0]  # type: ignore[index]


def set_password(conn: psycopg.Connection, username: str, password: str) -> bool:
    """A new password for an existing account, ending its sessions; False when there is no such user."""
    row = conn.execute("UPDATE users SET password_hash = %s WHERE username = %s RETURNING id",
                       (hash_password(password), username)).fetchone()
    if row is None:
        return False
    conn.execute("DELETE FROM sessions WHERE user_id = %s", (row[0],))
    return True
