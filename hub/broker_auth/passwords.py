"""Mosquitto password files: `username:$7$iterations$salt$hash`, PBKDF2-HMAC-SHA512 with a 12-byte salt,
both base64 (standard alphabet, padded): the format `mosquitto_passwd` 2.x writes and the broker reads.

Passwords are 256-bit random tokens, so they cannot be guessed from a leaked hash whatever the iteration
count; the count stays at mosquitto_passwd's own default (101) because the broker pays it on every
connect, and a reconnect storm of thousands of homes after a broker restart must stay cheap.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from pathlib import Path

from hub.broker_auth.files import RESTRICTED, write_in_place

PBKDF2_SHA512_ID = 7
DEFAULT_ITERATIONS = 101
SALT_BYTES = 12
PASSWORD_BYTES = 32

# The same slug the schema and the MQTT contract use for home_id; usernames are home ids (or the hub's).
USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class PasswordFileError(ValueError):
    """A password file line the broker would not accept either."""


def new_password() -> str:
    """A fresh random password, URL-safe so it survives .env files, URLs and installer forms."""
    return secrets.token_urlsafe(PASSWORD_BYTES)


def hash_password(password: str, *, salt: bytes | None = None, iterations: int = DEFAULT_ITERATIONS) -> str:
    """The `$7$...` hash mosquitto_passwd would write for `password` (a new random salt unless given)."""
    salt = secrets.token_bytes(SALT_BYTES) if salt is None else salt
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations)
    return (f"${PBKDF2_SHA512_ID}${iterations}${base64.b64encode(salt).decode()}"
            f"${base64.b64encode(digest).decode()}")


def verify_password(password: str, encoded: str) -> bool:
    """True when `password` matches a `$7$` hash, computed as the broker computes it."""
    parts = encoded.split("$")
    if len(parts) != 5 or parts[0] != "" or parts[1] != str(PBKDF2_SHA512_ID):
        raise PasswordFileError(f"not a PBKDF2-SHA512 ($7$) hash: {encoded[:12]}…")
    iterations, salt, expected = int(parts[2]), base64.b64decode(parts[3]), base64.b64decode(parts[4])
    actual = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations)
    return hmac.compare_digest(actual, expected)


def check_username(username: str) -> str:
    if not USERNAME.match(username):
        raise PasswordFileError(
            f"{username!r} is not a valid broker username (letters, digits, '_', '.', '-'; at most 64)")
    return username


def read_password_file(path: Path) -> dict[str, str]:
    """username → hash, in file order; a missing file is an empty one."""
    if not path.exists():
        return {}
    entries: dict[str, str] = {}
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        username, sep, encoded = line.partition(":")
        if not sep or not encoded.startswith("$"):
            raise PasswordFileError(f"{path}:{number}: expected 'username:$hash'")
        entries[username] = encoded
    return entries


def render_password_file(entries: dict[str, str]) -> str:
    return "".join(f"{check_username(user)}:{encoded}\n" for user, encoded in entries.items())


def write_password_file(path: Path, entries: dict[str, str]) -> None:
    write_in_place(path, render_password_file(entries).encode(), RESTRICTED)


def set_password(path: Path, username: str, password: str) -> None:
    """Add or replace one account, leaving every other line as it was."""
    entries = read_password_file(path)
    entries[check_username(username)] = hash_password(password)
    write_password_file(path, entries)


def remove_account(path: Path, username: str) -> bool:
    """Remove one account; False when it was not there."""
    entries = read_password_file(path)
    if entries.pop(username, None) is None:
        return False
    write_password_file(path, entries)
    return True
