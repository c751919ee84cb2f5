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
