"""The `hub` command line: one command per process, plus `demo` which runs them all."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Annotated

import typer

from hub.cli_bench import bench_app
from hub.cli_care import care_app
from hub.cli_security import register_security_commands
from hub.cli_users import user_app
from hub.settings import InsecureConfiguration, Settings, get_settings

app = typer.Typer(help="Telecare monitoring hub.", no_args_is_help=True, add_completion=False)


def _settings(role: str) -> Settings:
    from hub.logs import setup_logging

    settings = get_settings()
    setup_logging(role, settings.log_level)
    try:
        settings.check_production_safe()
    except InsecureConfiguration as exc:
        typer.secho(str(exc), fg="red", err=True)
        raise typer.Exit(2) from exc
    return settings


def _require(value: str | None, name: str) -> str:
    if not value:
        typer.secho(
            f"{name} is not set. Set it (e.g. {name}="
            + ("postgresql://user@host:5432/hub" if name == "DATABASE_URL" else "mqtt://host:1883")
            + ") or run `hub demo`, which starts embedded services.",
            fg="red", err=True,
        )
        raise typer.Exit(2)
    return value


def _database(settings: Settings) -> str:
    """DATABASE_URL, checked to be reachable and migrated; says which storage path is active."""
    import logging

    from hub import db

    url = _require(settings.database_url, "DATABASE_URL")
    try:
        mode = db.check_schema(url)
    except db.SchemaMissing as exc:
        typer.secho(f"Cannot start: {exc}.", fg="red", err=True)
        raise typer.Exit(2) from exc
    logging.getLogger("hub").info("storage: %s", "TimescaleDB hypertable" if mode == "timescale" else
                                  "plain PostgreSQL (TimescaleDB not available)")
    return url


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    return stop


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema (idempotent)."""
    from hub import db

    settings = _settings("migrate")
    mode, applied = db.migrate(_require(settings.database_url, "DATABASE_URL"),
                               retention_days=settings.events_retention_days,
                               compress_after_days=settings.events_compress_after_days)
    typer.echo(f"storage: {mode}; applied: {', '.join(applied) if applied else 'nothing (up to date)'}")


@app.command()
def seed(
    homes: Annotated[int, typer.Option(help="How many simulated homes to register.")] = 50,
    seed: Annotated[int, typer.Option(help="Seed for names and layouts.")] = 1,
    heartbeat_s: Annotated[int, typer.Option(help="Heartbeat interval of each device, seconds.")] = 300,
    care_records: Annotated[bool, typer.Option(help="Also give each resident a simulated care record.")] = True,
) -> None:
    """Register simulated homes, residents and devices (and their care records)."""
    from hub import db
    from hub.care_record import seed_care_records
    from hub.seed import register_homes
    from simulators.homes import home_specs

    settings = _settings("seed")
    specs = home_specs(homes, seed, heartbeat_s)
    with db.connect(_require(settings.database_url, "DATABASE_URL")) as conn:
        count = register_homes(conn, specs)
        if care_records:
            seed_care_records(conn, specs, seed)
    typer.echo(f"registered {count} homes" + (" with care records" if care_records else ""))


@app.command()
def ingest(
    partition: Annotated[str, typer.Option(
        help="I/N: be worker I (from 0) of N, taking only the homes hashed to I. Default: all homes.")] = "0/1",
    workers: Annotated[int, typer.Option(
        min=1, help="Run this many partitioned workers on this machine (one a core) and keep them running.")] = 1,
) -> None:
    """Consume home events from MQTT, store them, raise alarm alerts, ack after commit."""
    from ingest.consumer import IngestService
    from ingest.partition import Partition

    settings = _settings("ingest")
    try:
        part = Partition.parse(partition)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--partition") from None
    if workers > 1:
        from ingest.workers import supervise

        if not part.whole:
            raise typer.BadParameter("give --workers or --partition, not both", param_hint="--workers")
        _database(settings)  # one clear message if the database is missing or not migrated, not N of them
        supervise(workers, _stop_on_signals())
        return
    service = IngestService(settings, _database(settings), _require(settings.mqtt_url, "MQTT_URL"), part)
    stop = _stop_on_signals()
    service.start()
    stop.wait()
    service.stop()


@app.command("alerts")
def alerts_engine() -> None:
    """Run escalation, device supervision and notification delivery."""
    from alerts.service import run_alert_engine

    settings = _settings("alerts")
    run_alert_engine(settings, _database(settings), _stop_on_signals())


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Listen address (default CONSOLE_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Listen port (default CONSOLE_PORT).")] = None,
) -> None:
    """Serve the operator console, REST API and websocket stream."""
    import uvicorn

    from console.app import create_app

    settings = _settings("console")
    application = create_app(settings, _database(settings), settings.mqtt_url)
    uvicorn.run(application, host=host or settings.console_host, port=port or settings.console_port,
                log_level="warning", access_log=False, ws_per_message_deflate=settings.console_ws_compression,
                ssl_certfile=settings.console_tls_cert_file, ssl_keyfile=settings.console_tls_key_file)


@app.command()
def simulate(
    homes: Annotated[int, typer.Option(help="How many homes to drive (ids match `hub seed`).")] = 50,
    speed: Annotated[float, typer.Option(help="Simulated seconds per real second.")] = 1.0,
    seed: Annotated[int, typer.Option(help="Seed: the same seed gives the same routines.")] = 1,
    duration: Annotated[float | None, typer.Option(help="Stop after this many real seconds.")] = None,
    alarms_per_day: Annotated[float, typer.Option(help="Pendant presses and falls per home per day.")] = 2.0,
    heartbeat_s: Annotated[int, typer.Option(help="Heartbeat interval of each device, seconds.")] = 300,
    history: Annotated[int | None, typer.Option(
        help="Instead of running live: write this many days of history straight into the database.")] = None,
    labels: Annotated[Path | None, typer.Option(help="With --history: write the ground truth here (JSON).")] = None,
    with_heartbeats: Annotated[bool, typer.Option(help="With --history: store heartbeats too.")] = False,
) -> None:
    """Drive simulated homes over MQTT per the v1 contract, retrying until the hub acks; or, with
    --history DAYS, write weeks of labelled history into the database in minutes."""
    from simulators.run import SimulationConfig, run_simulation

    settings = _settings("simulate")
    if history is not None:
        from hub import db
        from hub.history_loader import load_history

        with db.connect(_database(settings)) as conn:
            totals = load_history(conn, homes, history, seed, heartbeats=with_heartbeats, labels_path=labels,
                                  progress=lambda line: typer.echo(line, err=True))
        typer.echo(f"stored {totals['rows']:,} rows for {totals['homes']} homes over {history} days "
                   f"({totals['anomalies']} labelled anomalies, {totals['absences']} registered absences)")
        return
    config = SimulationConfig(
        mqtt_url=_require(settings.mqtt_url, "MQTT_URL"), homes=homes, speed=speed, seed=seed,
        duration_s=duration, alarms_per_home_per_day=alarms_per_day, heartbeat_interval_s=heartbeat_s,
        protocol=settings.mqtt_protocol,
    )
    stats = run_simulation(config, _stop_on_signals())
    typer.echo(f"sent {stats.sent}, acked {stats.acked} ({stats.duplicates} duplicates, "
               f"{stats.rejected} rejected), still pending {stats.pending}")


@app.command()
def demo(
    port: Annotated[int, typer.Option(help="Console port.")] = 8000,
    homes: Annotated[int, typer.Option(help="Simulated homes.")] = 50,
    duration: Annotated[float | None, typer.Option(help="Exit cleanly after this many seconds.")] = None,
    alarms_per_day: Annotated[float, typer.Option(
        help="Incidents per home per day; the demo default is high so alerts arrive every few seconds.")] = 150.0,
    history_days: Annotated[int, typer.Option(
        help="Days of routine history written first, so behavioural models have a baseline (0: none).")] = 21,
) -> None:
    """Everything at once: embedded database and broker (unless URLs are set), simulated homes, live console."""
    from hub.demo import run_demo

    settings = _settings("demo")
    raise typer.Exit(run_demo(settings, port=port, homes=homes, duration=duration, alarms_per_day=alarms_per_day,
                              history_days=history_days))


@app.command()
def replay(
    file: Annotated[Path, typer.Argument(help="CSV: ts,home_id,device_id,type,value,room (design.md).")],
    speed: Annotated[str, typer.Option(help="Event seconds per real second, or 'max'.")] = "60",
    heartbeat_s: Annotated[int, typer.Option(help="Heartbeat interval sent between recorded events.")] = 300,
) -> None:
    """Replay recorded sensor data through MQTT as the home units would, heartbeats included.

    At very high speeds one home can exceed the hub's per-home limit (INGEST_HOME_RATE_PER_S); the
    events over it are refused and counted as rejected. Raise the limit on a hub used for fast replays."""
    from simulators.replay import CsvError, replay_csv

    settings = _settings("replay")
    rate = 0.0 if speed == "max" else float(speed)
    try:
        stats = replay_csv(file, _require(settings.mqtt_url, "MQTT_URL"), rate, protocol=settings.mqtt_protocol,
                           heartbeat_interval_s=heartbeat_s, stop_event=_stop_on_signals(),
                           on_progress=lambda s: typer.echo(f"  {s}", err=True))
    except CsvError as exc:
        typer.secho(f"Cannot replay: {exc}", fg="red", err=True)
        raise typer.Exit(2) from exc
    typer.echo(str(stats))
    raise typer.Exit(0 if stats.complete else 1)


@app.command("train")
def train_models() -> None:
    """Retrain every resident's baseline now from the history in the database (normally nightly)."""
    from datetime import UTC, datetime

    from hub import db
    from models.service import BehaviourService

    settings = _settings("train")
    service = BehaviourService()
    with db.connect(_database(settings), autocommit=True) as conn:
        homes = [row for row in conn.execute("SELECT home_id, max(ts) FROM events GROUP BY home_id ORDER BY 1")]
        for i, (home_id, latest) in enumerate(homes, start=1):
            with conn.transaction():
                baseline = service.retrain(conn, home_id, latest or datetime.now(UTC))
            typer.echo(f"  [{i}/{len(homes)}] {home_id}: {baseline.days_used} days"
                       + (" (cold start: population priors)" if baseline.cold_start else ""), err=True)
    typer.echo(f"trained {len(homes)} baselines")


@app.command()
def evaluate(
    homes: Annotated[int, typer.Option(help="Simulated homes.")] = 200,
    days: Annotated[int, typer.Option(help="Days per home; the first 21 are training history.")] = 60,
    seed: Annotated[int, typer.Option(help="Seed: the same seed gives the same homes, anomalies and result.")] = 1,
    report: Annotated[Path, typer.Option(help="Markdown report with a chart per kind.")] = Path("bench/detection.md"),
) -> None:
    """Run labelled scenarios through the detectors and a fixed inactivity timer; print one JSON line."""
    import json

    from models.evaluate import evaluate as run
    from models.report import write_report

    _settings("evaluate")
    typer.echo(f"evaluating {homes} homes × {days} days (seed {seed})…", err=True)
    result = run(homes, days, seed, progress=lambda line: typer.echo(line, err=True))
    typer.echo(json.dumps(result, default=str))
    write_report(result, report)
    typer.echo(f"report written to {report}", err=True)


app.add_typer(bench_app, name="bench")  # ingest, flood, latency, detect, console
register_security_commands(app)
app.add_typer(care_app)  # import-fhir, import-csv, sync-fhir, simulate-care-records
app.add_typer(user_app, name="user")  # add, list, disable


@app.command("chaos")
def chaos(
    kills: Annotated[int, typer.Option(help="How many times ingest is killed with SIGKILL.")] = 1000,
    homes: Annotated[int, typer.Option(help="Homes publishing throughout.")] = 10,
    rate: Annotated[float, typer.Option(help="Events a second from all homes together.")] = 100.0,
    seed: Annotated[int, typer.Option(help="Seed for kill timing and the event mix.")] = 1,
    malformed: Annotated[int, typer.Option(help="Malformed MQTT messages to publish after the kills.")] = 0,
    broker_restarts: Annotated[int, typer.Option(help="Times the broker is stopped and started again.")] = 0,
    postgres_restarts: Annotated[int, typer.Option(
        help="Times PostgreSQL is stopped and started again (a private cluster: needs Debian's server binaries).")] = 0,
    outage: Annotated[float, typer.Option(help="Seconds the broker or the database stays down each time.")] = 3.0,
    workers: Annotated[int, typer.Option(min=1, help="Partitioned ingest workers; each kill picks one.")] = 1,
    ledger: Annotated[Path | None, typer.Option(help="Also write every acked event here, for `hub verify`.")] = None,
    broker: Annotated[str, typer.Option(
        help="mosquitto, or nats-cluster: three NATS nodes with MQTT and JetStream (nats-server).")] = "mosquitto",
    node_kills: Annotated[int, typer.Option(
        help="nats-cluster: times one broker node is killed -9 mid-stream, then brought back.")] = 0,
) -> None:
    """Kill -9 ingest again and again while homes publish, then (if asked) publish malformed messages and
    restart the broker and PostgreSQL; verify nothing acked was lost or doubled and every bad message was
    dead-lettered.

    Uses a private Mosquitto and a fresh database on DATABASE_URL's server, or a private PostgreSQL cluster
    for restarts (either is removed afterwards). Prints one JSON line, appends it to bench/reliability.md,
    and exits 1 if anything was lost, duplicated or not dead-lettered."""
    import json

    from hub.bench import REPO, append_result
    from hub.chaos import ChaosConfig, run_chaos

    settings = _settings("chaos")
    typer.echo(f"chaos: {kills} kills of ingest, {malformed} malformed messages, {broker_restarts} broker and "
               f"{postgres_restarts} PostgreSQL restarts while {homes} homes publish {rate:g} events/s", err=True)
    cfg = ChaosConfig(kills=kills, homes=homes, events_per_s=rate, seed=seed, malformed=malformed,
                      broker_restarts=broker_restarts, postgres_restarts=postgres_restarts, outage_s=outage,
                      workers=workers, broker=broker, node_kills=node_kills)
    result = run_chaos(_require(settings.database_url, "DATABASE_URL"), cfg, ledger_path=ledger,
                       progress=lambda line: typer.echo(line, err=True))
    typer.echo(json.dumps(result))
    append_result(result, REPO / "bench" / "reliability.md", title="Reliability results (hub chaos)")
    if broker != "mosquitto":
        append_result(result)  # the scale-out figures live with the other benchmarks too
    raise typer.Exit(0 if result["ok"] else 1)


@app.command("verify")
def verify(
    ledger: Annotated[Path, typer.Argument(help="JSON lines, one acked event each (home_id, device_id, seq, "
                                                "type, status, sent_at, acked_at), as `hub chaos` writes.")],
    console_recording: Annotated[Path | None, typer.Option(
        help="JSON lines of the websocket messages a console client received.")] = None,
    late_after_s: Annotated[float, typer.Option(help="An ack later than this after first send is late.")] = 60.0,
) -> None:
    """Compare what home units were acked with the database and the console; exit 1 on any loss."""
    import json

    from hub import db
    from hub.verify import compare, console_versions_from_recording, load_database, read_ledger

    settings = _settings("verify")
    acked = read_ledger(ledger)
    with db.connect(_require(settings.database_url, "DATABASE_URL")) as conn:
        stored, open_per_key, alerts = load_database(conn, [e.key for e in acked])
    console = console_versions_from_recording(console_recording) if console_recording else None
    report = compare(acked, stored, open_per_key, alerts, console, late_after_s)
    typer.echo(json.dumps(report.summary()))
    raise typer.Exit(0 if report.ok else 1)


def main() -> None:
    app()
