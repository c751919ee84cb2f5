"""`hub user add|list|disable` against a real database: accounts are made only here, with argon2 hashes."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from hub import accounts
from hub.cli import app
from hub.settings import get_settings
from tests.hub.test_cli import _hub

pytestmark = pytest.mark.integration


def _password_hash(conn, username: str) -> str:  # type: ignore[no-untyped-def]
    return conn.execute("SELECT password_hash FROM users WHERE username = %s", (username,)).fetchone()[0]


def test_add_with_a_generated_password_prints_it_once_and_it_signs_in(db_url, conn):
    result = _hub("user", "add", "sue", "--role", "supervisor", "--name", "Sue Rahman", "--generate",
                  DATABASE_URL=db_url)
    assert result.returncode == 0, result.stderr
    assert "created supervisor sue (Sue Rahman)" in result.stdout
    password = re.search(r"password \(shown once\): (\S+)", result.stdout)[1]  # type: ignore[index]
    stored = _password_hash(conn, "sue")
    assert stored.startswith("$argon2id$") and password not in stored
    assert accounts.password_matches(stored, password)

    listed = _hub("user", "list", DATABASE_URL=db_url)
    assert listed.stdout.split("\t")[:3] == ["sue", "supervisor", "Sue Rahman"]
    assert _hub("user", "disable", "sue", DATABASE_URL=db_url).returncode == 0
    assert "disabled" in _hub("user", "list", DATABASE_URL=db_url).stdout
    assert _hub("user", "disable", "nobody", DATABASE_URL=db_url).returncode == 1


def test_add_asks_for_the_password_twice(db_url, conn, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", db_url)
    get_settings.cache_clear()
    try:
        mismatch = CliRunner().invoke(app, ["user", "add", "jo", "--role", "admin"],
                                      input="first password\nsecond password\nfirst password\nfirst password\n")
        assert mismatch.exit_code == 0, mismatch.output
        assert "do not match" in mismatch.output
        assert accounts.password_matches(_password_hash(conn, "jo"), "first password")
        duplicate = CliRunner().invoke(app, ["user", "add", "jo", "--role", "admin"],
                                       input="another password\nanother password\n")
        assert duplicate.exit_code == 1 and "already exists" in duplicate.output
    finally:
        get_settings.cache_clear()


def test_bad_roles_and_short_passwords_are_refused(db_url, conn):
    assert _hub("user", "add", "jo", "--role", "family", "--generate", DATABASE_URL=db_url).returncode == 2
    with pytest.raises(accounts.AccountError, match="at least"):
        accounts.create_user(conn, "jo", "operator", "short")
    assert conn.execute("SELECT count(*) FROM users").fetchone()[0] == 0


def test_no_account_exists_until_one_is_added(db_url, conn):
    assert "no accounts yet: run `hub user add NAME --role admin`" in _hub("user", "list", DATABASE_URL=db_url).stderr
