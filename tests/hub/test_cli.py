"""The `hub` command line refuses to start unsafely or blind, and says what to do next."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


def _hub(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items()
             if k not in ("DATABASE_URL", "MQTT_URL", "HUB_SECRET_KEY", "MQTT_PASSWORD", "HUB_ENV")}
    return subprocess.run([sys.executable, "-m", "hub", *args], env={**clean, **env}, capture_output=True,
                          text=True, timeout=60)


@pytest.mark.parametrize("command", ["ingest", "alerts", "serve", "migrate"])
def test_production_refuses_default_secrets(command: str, tmp_path) -> None:
    result = _hub(command, HUB_ENV="production", DATABASE_URL="postgresql://db/hub", MQTT_URL="mqtt://broker")
    assert result.returncode == 2
    assert "Refusing to start in production" in result.stderr
    assert "HUB_SECRET_KEY" in result.stderr and "secrets.token_urlsafe" in result.stderr


def test_missing_database_url_says_what_to_set() -> None:
    result = _hub("ingest", MQTT_URL="mqtt://127.0.0.1:1883")
    assert result.returncode == 2
    assert "DATABASE_URL is not set" in result.stderr and "hub demo" in result.stderr


@pytest.mark.integration
def test_an_unmigrated_database_is_refused_with_the_command_to_run(database_url: str) -> None:
    import uuid

    import psycopg
    from psycopg import sql

    name = f"hub_cli_empty_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        url = psycopg.conninfo.make_conninfo(database_url, dbname=name)
        result = _hub("alerts", DATABASE_URL=url)
        assert result.returncode == 2
        assert "run `hub migrate` first" in result.stderr
    finally:
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
