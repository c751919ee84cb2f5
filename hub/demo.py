"""`hub demo`: one process tree with everything a first-time user needs to see the hub work.

Embedded PostgreSQL and broker unless DATABASE_URL / MQTT_URL are set; then migrate, seed, and run
ingest, the alert engine, the console and the simulator as child processes (the production shape),
printing a one-line status every few seconds. Ctrl-C or --duration shut everything down cleanly.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import typer

from hub import accounts, db
from hub.care_record import seed_care_records
from hub.demo_inbox import DemoInbox
from hub.embedded import EmbeddedBroker, embedded_postgres, wait_for_port
from hub.history_loader import load_history
from hub.seed import register_homes
from hub.settings import Settings
from simulators.homes import home_specs

STATUS_EVERY_S = 5.0
DEMO_HEARTBEAT_S = 60  # short, so a silenced device shows on the console within minutes
DEMO_USER = "demo"
_STATUS_SQL = """
SELECT (SELECT count(*) FROM events),
       (SELECT count(*) FROM alerts WHERE handling <> 'resolved'),
       (SELECT count(*) FROM alerts WHERE handling <> 'resolved' AND priority = 1),
       (SELECT count(*) FROM dead_letters)
"""


def _port_in_use(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _step(message: str) -> None:
    typer.secho(f"▸ {message}", fg="cyan")


def _demo_account(conn: psycopg.Connection) -> str:
    """The demo's operator account, with a new random password each run (printed once in the banner)."""
    password = accounts.generate_password()
    if not accounts.set_password(conn, DEMO_USER, password):
        accounts.create_user(conn, DEMO_USER, "operator", password, "Demo Operator")
    return password


def run_demo(settings: Settings, *, port: int, homes: int, duration: float | None, alarms_per_day: float,
             history_days: int = 21) -> int:
    if _port_in_use(port):
        typer.secho(f"Port {port} is already in use. Stop what is using it, or run: hub demo --port {port + 1}",
                    fg="red", err=True)
        return 2
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    with contextlib.ExitStack() as cleanup:
        database_url = settings.database_url
        if not database_url:
            _step("starting embedded PostgreSQL (pgserver)…")
            pg = embedded_postgres()
            database_url = pg.start()
            cleanup.callback(pg.stop)
        mqtt_url, protocol = settings.mqtt_url, settings.mqtt_protocol
        if not mqtt_url:
            _step("starting embedded MQTT broker (amqtt) on a free port…")
            broker = EmbeddedBroker()
            mqtt_url, protocol = broker.start(), "3.1.1"
            cleanup.callback(broker.stop)
        family_env: dict[str, str] = {"PUBLIC_BASE_URL": f"http://127.0.0.1:{port}"}
        if not (settings.smtp_url or settings.sms_gateway_url):
            folder = Path(tempfile.mkdtemp(prefix="hub-demo-inbox-"))
            _step(f"starting the demo inbox for families' emails and texts (kept in {folder})…")
            inbox = DemoInbox(folder, say=lambda line: typer.echo(f"  [family] {line}")).start()
            cleanup.callback(inbox.stop)
            family_env |= {"SMTP_URL": inbox.smtp_url, "SMS_GATEWAY_URL": inbox.sms_url}
        _step("migrating the database…")
        mode, _ = db.migrate(database_url)
        _step(f"storage: {mode} PostgreSQL; registering {homes} simulated homes…")
        with db.connect(database_url) as conn:
            if history_days:
                _step(f"writing {history_days} days of routine history per home, so each resident's model "
                      "learns their own pattern…")
                load_history(conn, homes, history_days, seed=1, cutoff=datetime.now(UTC),
                             warmup_days=history_days + 1, progress=lambda _line: None)
            specs = home_specs(homes, heartbeat_interval_s=DEMO_HEARTBEAT_S)
            register_homes(conn, specs)
            _step("giving each resident a care record: languages, risks, responders, family…")
            seed_care_records(conn, specs, seed=1)
            demo_password = _demo_account(conn)
        env = {**os.environ, "DATABASE_URL": database_url, "MQTT_URL": mqtt_url, "MQTT_PROTOCOL": protocol,
               "CONSOLE_PORT": str(port), "CONSOLE_HOST": "127.0.0.1", **family_env}
        children: dict[str, subprocess.Popen[bytes]] = {}
        cleanup.callback(_stop_children, children)

        def spawn(name: str, *args: str) -> None:
            # Own session: the terminal's Ctrl-C goes to the demo alone, which then stops the children in order.
            children[name] = subprocess.Popen([sys.executable, "-m", "hub", *args], env=env, start_new_session=True)

        spawn("ingest", "ingest")
        spawn("alerts", "alerts")
        spawn("console", "serve", "--port", str(port))
        wait_for_port("127.0.0.1", port, timeout_s=30)
        spawn("simulate", "simulate", "--homes", str(homes), "--alarms-per-day", str(alarms_per_day),
              "--heartbeat-s", str(DEMO_HEARTBEAT_S))
        typer.secho(f"\n  Console: http://127.0.0.1:{port}    API docs: http://127.0.0.1:{port}/docs"
                    f"    (Ctrl-C to stop)\n  Sign in as {DEMO_USER} / {demo_password}\n", fg="green", bold=True)
        return _watch(children, database_url, stop, duration)
    return 0


def _watch(children: dict[str, subprocess.Popen[bytes]], database_url: str, stop: threading.Event,
           duration: float | None) -> int:
    started = time.monotonic()
    with db.connect(database_url, autocommit=True) as conn:
        while not stop.wait(STATUS_EVERY_S):
            for name, child in children.items():
                if child.poll() is not None:
                    typer.secho(f"The {name} process stopped (exit {child.returncode}); shutting the demo down.",
                                fg="red", err=True)
                    return 1
            events, open_alerts, emergencies, dead = conn.execute(_STATUS_SQL).fetchone()
            typer.echo(f"  {time.strftime('%H:%M:%S')}  events stored {events:>8}   open alerts {open_alerts:>4}"
                       f" ({emergencies} emergencies)   dead letters {dead}")
            if duration is not None and time.monotonic() - started >= duration:
                break
    typer.echo("Stopping…")
    return 0


def _stop_children(children: dict[str, subprocess.Popen[bytes]]) -> None:
    # The simulator first, so nothing new arrives while ingest finishes and acks what it holds.
    for name in ("simulate", "console", "alerts", "ingest"):
        child = children.get(name)
        if child and child.poll() is None:
            child.send_signal(signal.SIGTERM)
            try:
                child.wait(15)
            except subprocess.TimeoutExpired:
                child.kill()
