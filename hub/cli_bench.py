"""`hub bench …`: benchmarks. Each prints one JSON line and appends it, with the machine, the versions and
the date, to bench/results.md. Figures, never assertions: the tests time nothing."""

from __future__ import annotations

from typing import Annotated

import typer

bench_app = typer.Typer(help="Benchmarks; each prints one JSON line and appends to bench/results.md.")


def _database_url() -> str:
    from hub import cli

    return cli._require(cli._settings("bench").database_url, "DATABASE_URL")


@bench_app.command("ingest")
def bench_ingest(
    homes: Annotated[int, typer.Option(help="Homes the events come from.")] = 200,
    events: Annotated[int, typer.Option(help="Events to publish.")] = 20000,
    workers: Annotated[int, typer.Option(min=1, help="Partitioned ingest workers (one a core).")] = 1,
) -> None:
    """Publish → committed row → app ack, through a private Mosquitto and the configured PostgreSQL,
    beside the raw broker (mosquitto_pub → mosquitto_sub), raw COPY and one-INSERT-per-message figures."""
    import json

    from hub.bench import append_result
    from hub.bench import bench_ingest as run

    result = run(_database_url(), homes, events,
                 progress=lambda line: typer.echo(line, err=True), workers=workers)
    typer.echo(json.dumps(result))
    append_result(result)


@bench_app.command("flood")
def bench_flood(
    events: Annotated[int, typer.Option(help="Activity events the flooding home sends.")] = 10_000,
    presses: Annotated[int, typer.Option(help="Pendant presses from another home, quiet and during the flood.")] = 40,
) -> None:
    """Pendant-press latency of one home while another floods the hub, and the fate of every flood event."""
    import json

    from hub.bench import append_result
    from hub.bench_flood import bench_flood as run

    result = run(_database_url(), events, presses,
                 progress=lambda line: typer.echo(line, err=True))
    typer.echo(json.dumps(result))
    append_result(result)


@bench_app.command("console")
def bench_console(
    alerts: Annotated[int, typer.Option(min=1, help="Open alerts in the queue (K).")] = 2000,
    clients: Annotated[int, typer.Option(min=1, help="Websocket clients the deltas fan out to (C).")] = 200,
    changes: Annotated[int, typer.Option(min=1, help="Alert changes committed while the clients listen (M).")] = 200,
    rate: Annotated[float, typer.Option(help="Changes committed per second.")] = 20.0,
    loads: Annotated[int, typer.Option(min=0, help="Fresh loads of the page in Chromium (0: no browser).")] = 5,
    ws_compression: Annotated[bool | None, typer.Option(
        "--ws-compression/--no-ws-compression", help="Override CONSOLE_WS_COMPRESSION for the console.")] = None,
) -> None:
    """Time to first render of the operator page with K open alerts (Chromium), and delta fan-out from commit
    to C websocket clients, with each process's peak memory."""
    import json

    from hub.bench import append_result
    from hub.bench_console import bench_console as run

    result = run(_database_url(), alerts, clients, changes=changes, changes_per_s=rate, loads=loads,
                 ws_compression=ws_compression, progress=lambda line: typer.echo(line, err=True))
    typer.echo(json.dumps(result))
    append_result(result)


@bench_app.command("latency")
def bench_latency(
    homes: Annotated[int, typer.Option(help="Homes loading the hub: a heartbeat a minute per device, and activity.")]
    = 20_000,
    presses: Annotated[int, typer.Option(help="Pendant presses timed, each from a different home.")] = 200,
    interval: Annotated[float, typer.Option(help="Seconds between presses.")] = 0.25,
    warmup: Annotated[float, typer.Option(help="Seconds of load before the first press.")] = 30.0,
    workers: Annotated[int, typer.Option(min=1, help="Partitioned ingest workers.")] = 1,
    connections: Annotated[int, typer.Option(min=1, help="MQTT connections the homes share.")] = 4000,
    page: Annotated[bool, typer.Option(help="Also time each press to its row painted in Chromium.")] = True,
) -> None:
    """Pendant press → alert on a signed-in websocket client and painted on the operator page, under the
    steady load of N homes, with every hub process running; peak RSS of each."""
    import json

    from hub.bench import append_result
    from hub.bench_latency import bench_latency as run

    result = run(_database_url(), homes, presses=presses, press_interval_s=interval, warmup_s=warmup,
                 workers=workers, connections=connections, page=page,
                 progress=lambda line: typer.echo(line, err=True))
    typer.echo(json.dumps(result))
    append_result(result)


@bench_app.command("detect")
def bench_detect(
    homes: Annotated[int, typer.Option(min=1, help="Homes scored, each with its own scorer and events.")] = 50_000,
    residents: Annotated[int, typer.Option(min=1, help="Distinct simulated residents the homes are copies of.")]
    = 100,
    passes: Annotated[int, typer.Option(min=1, help="Timed scoring passes, one minute of events each.")] = 3,
    retrain: Annotated[int, typer.Option(min=0, help="Homes retrained from their history in PostgreSQL.")] = 100,
    workers: Annotated[int, typer.Option(min=1, help="Processes for simulating residents and retraining.")] = 2,
    at: Annotated[str, typer.Option(help="Local time (HH:MM) of the first scoring pass.")] = "08:00",
) -> None:
    """Time to score all N homes once (hub alerts' behavioural pass, through PostgreSQL) and to retrain them,
    with each process's peak memory and the memory each home's scorer takes."""
    import json

    from hub.bench import append_result
    from hub.bench_detect import bench_detect as run

    result = run(_database_url(), homes, residents=residents, passes=passes, retrain=retrain, workers=workers,
                 at=at, progress=lambda line: typer.echo(line, err=True))
    typer.echo(json.dumps(result))
    append_result(result)
