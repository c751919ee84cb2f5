"""The family page's session: a cookie holding the relative's id and an expiry, signed with HMAC-SHA256.

The key is derived from HUB_SECRET_KEY (a separate derivation, so a family cookie can never pass for anything
else signed with that secret). Without a secret (development only: production refuses to start) a random key
is made per process, so sessions last as long as the console does. The cookie only says who the relative is;
consent and which resident they may see are checked against the database on every request.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from datetime import datetime

from hub.settings import Settings

COOKIE_NAME = "hub_family"
COOKIE_PATH = "/family"
_DEVELOPMENT_KEY = secrets.token_bytes(32)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _key(settings: Settings) -> bytes:
    if not settings.hub_secret_key:
        return _DEVELOPMENT_KEY
    return hmac.new(settings.hub_secret_key.encode("utf-8"), b"telecare-hub family session v1", hashlib.sha256).digest()


def _mac(settings: Settings, body: str) -> str:
    return _b64(hmac.new(_key(settings), body.encode("ascii"), hashlib.sha256).digest())


def sign_session(settings: Settings, member_id: int, expires_at: datetime) -> str:
    body = _b64(json.dumps({"m": member_id, "exp": int(expires_at.timestamp())}, separators=(",", ":")).encode())
    return f"{body}.{_mac(settings, body)}"


def read_session(settings: Settings, value: str | None, now: datetime) -> int | None:
    """The relative's id from a cookie that is genuine and unexpired, else None."""
    if not value or value.count(".") != 1 or len(value) > 512:
        return None
    body, mac = value.split(".")
    if not hmac.compare_digest(mac, _mac(settings, body)):
        return None
    try:
        claims = json.loads(_unb64(body))
        member_id, expires = int(claims["m"]), int(claims["exp"])
    except (ValueError, KeyError, TypeError):
        return None
    return member_id if expires > now.timestamp() else None
