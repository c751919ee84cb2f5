"""Console accounts for tests: users written straight to the database, and clients signed in as them."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import httpx
import psycopg

from hub.accounts import hash_password

PASSWORD = "correct horse battery staple"


@cache
def _password_hash() -> str:
    return hash_password(PASSWORD)  # argon2 is slow on purpose: hash once per test session


def add_user(conn: psycopg.Connection, username: str, role: str = "operator",
             display_name: str | None = None) -> None:
    conn.execute("INSERT INTO users (username, display_name, role, password_hash) VALUES (%s, %s, %s, %s)",
                 (username, display_name or username, role, _password_hash()))


@dataclass(frozen=True)
class Session:
    cookie: str  # the value of the hub_session cookie
    csrf_token: str

    @property
    def headers(self) -> dict[str, str]:
        """Headers a client outside httpx (a websocket) sends to be signed in."""
        return {"Cookie": f"hub_session={self.cookie}", "X-CSRF-Token": self.csrf_token}


def sign_in(base_url: str, username: str, password: str = PASSWORD) -> Session:
    answer = httpx.post(f"{base_url}/api/login", json={"username": username, "password": password}, timeout=10)
    answer.raise_for_status()
    return Session(answer.cookies["hub_session"], answer.json()["csrf_token"])


def signed_in_client(base_url: str, session: Session, **options: object) -> httpx.Client:
    return httpx.Client(base_url=base_url, headers=session.headers, timeout=10, **options)  # type: ignore[arg-type]
