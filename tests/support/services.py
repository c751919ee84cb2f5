"""Start and stop the real services the integration tests run against.

PostgreSQL: a fresh database on the local server (TEST_DATABASE_URL, default the CI machine's
127.0.0.1:5432/test), or an embedded pgserver when no server answers. Mosquitto: a private broker
started from the project's config on a free port, or the embedded amqtt broker when the binary is
missing.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
from psycopg import sql

from hub import db
from hub.embedded import EmbeddedBroker, PrivateMosquitto, embedded_postgres, free_port

DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
TABLES = ["login_failures", "sessions", "users",
          "family_responses", "family_links", "family_notifications", "family_channels", "family_members",
          "resident_access_log", "responders", "resident_conditions", "score_watermarks", "day_summaries",
          "behaviour_episodes",
          "model_feedback", "absences", "baselines", "delivery_log",
          "outbox", "alert_audit", "alerts", "dead_letters", "events", "devices",
          "residents", "homes"]


def _server_answers(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


@contextmanager
def fresh_database() -> Iterator[str]:
    """A new, migrated database for one test session, dropped afterwards."""
    admin_url = os.environ.get("TEST_DATABASE_URL", DEFAULT_ADMIN_URL)
    embedded = None
    if not _server_answers(admin_url):
        if os.environ.get("CI"):
            raise RuntimeError(f"PostgreSQL does not answer at {admin_url}; CI must provide it")
        embedded = embedded_postgres()
        admin_url = embedded.start()
    name = f"hub_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = psycopg.conninfo.make_conninfo(admin_url, dbname=name)
    try:
        db.migrate(url)
        yield url
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        if embedded:
            embedded.stop()


def truncate_all(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("TRUNCATE {} RESTART IDENTITY CASCADE").format(
            sql.SQL(", ").join(sql.Identifier(t) for t in TABLES)))


@dataclass
class Broker:
    url: str
    protocol: str  # the MQTT version the hub should speak to it
    port: int
    restart: callable  # type: ignore[valid-type]
    stop: callable  # type: ignore[valid-type]


@contextmanager
def private_broker() -> Iterator[Broker]:
    if shutil.which("mosquitto") and os.environ.get("HUB_TEST_BROKER") != "embedded":
        mosquitto = PrivateMosquitto()
        mosquitto.start()
        try:
            yield Broker(mosquitto.url, "5", mosquitto.port, mosquitto.restart, mosquitto.stop)
        finally:
            mosquitto.remove()
        return
    if os.environ.get("CI"):
        raise RuntimeError("the mosquitto binary is missing; .ci/run installs it")
    amqtt = EmbeddedBroker()
    amqtt.start()
    try:
        yield Broker(amqtt.url, "3.1.1", amqtt.port, lambda: (amqtt.stop(), amqtt.start()), amqtt.stop)
    finally:
        amqtt.stop()


class ConsoleServer:
    """The console app under uvicorn in a thread, on a free port."""

    def __init__(self, app: object, port: int | None = None) -> None:
        import uvicorn

        self.port = port or free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.headers: dict[str, str] = {}  # a signed-in operator's cookie and CSRF header, once a test signs in

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ConsoleServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the console did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)

