"""Magic links to the family page: a random token in the message, only its SHA-256 kept in `family_links`.

A link lets one relative in until it expires (FAMILY_LINK_TTL_H). A link is not single-use on purpose:
mail scanners fetch links before people do, and a relative may open the same message twice. Withdrawing
consent shuts the page at once whatever links are still alive (checked on every request).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import psycopg

LINK_PATH = "/family/link/"


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8")).digest()


def link_url(public_base_url: str, token: str) -> str:
    return public_base_url.rstrip("/") + LINK_PATH + token


def create_link(conn: psycopg.Connection, member_id: int, alert_id: int | None, now: datetime,
                ttl_h: float) -> str:
    """Store a new link for one relative (in the caller's transaction) and return its token."""
    token = new_token()
    conn.execute(
        "INSERT INTO family_links (family_member_id, token_sha256, alert_id, created_at, expires_at)"
        " VALUES (%s, %s, %s, %s, %s)",
        (member_id, token_hash(token), alert_id, now, now + timedelta(hours=ttl_h)),
    )
    return token


@dataclass(frozen=True)
class LinkCheck:
    status: Literal["ok", "expired", "unknown"]
    member_id: int | None = None
    alert_id: int | None = None
    expires_at: datetime | None = None
    language: str | None = None


def check_link(conn: psycopg.Connection, token: str, now: datetime) -> LinkCheck:
    """Who a token lets in, if anyone; a live link records that it was used."""
    if not token or len(token) > 200:
        return LinkCheck("unknown")
    row = conn.execute(
        """SELECT l.id, l.family_member_id, l.alert_id, l.expires_at, m.language
           FROM family_links l JOIN family_members m ON m.id = l.family_member_id
           WHERE l.token_sha256 = %s""",
        (token_hash(token),),
    ).fetchone()
    if row is None:
        return LinkCheck("unknown")
    link_id, member_id, alert_id, expires_at, language = row
    if expires_at <= now:
        return LinkCheck("expired", member_id, alert_id, expires_at, language)
    conn.execute("UPDATE family_links SET last_used_at = %s WHERE id = %s", (now, link_id))
    return LinkCheck("ok", member_id, alert_id, expires_at, language)
