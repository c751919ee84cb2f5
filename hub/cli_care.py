"""`hub` commands for the resident's care record: import a FHIR bundle or a CSV file, sync from the
council's FHIR server, and write simulated care records for the simulator's homes.

Imports print a summary (created / updated / unchanged / refused / skipped, with reasons) and exit 1
when any record was refused, 2 when they could not run at all.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    import psycopg

    from hub.care_record.report import ImportReport
    from hub.settings import Settings

care_app = typer.Typer()


def _connect(role: str) -> tuple[Settings, psycopg.Connection]:
    from hub import cli, db

    settings = cli._settings(role)
    return settings, db.connect(cli._database(settings), autocommit=True)


def _finish(report: ImportReport, verbose: bool) -> None:
    if verbose:
        for outcome in ("created", "updated", "unchanged"):
            for line in getattr(report, outcome):
                typer.echo(f"{outcome}: {line}")
        for what, why in report.skipped:
            typer.echo(f"skipped {what}: {why}")
    typer.echo(report.summary(), err=not report.ok)
    if not report.ok:
        raise typer.Exit(1)


@care_app.command("import-fhir")
def import_fhir(
    bundle: Annotated[Path, typer.Argument(help="FHIR R4 Bundle (JSON): Patient, RelatedPerson, Condition, "
                                                "Flag, CarePlan, Consent.", exists=True, dir_okay=False)],
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="List every resident's outcome.")] = False,
) -> None:
    """Import residents' care records from a FHIR R4 (UK Core) bundle; re-import updates in place.

    Each Patient names its home by an identifier in FHIR_HOME_IDENTIFIER_SYSTEM (value = home id); homes
    must be registered already. See hub/care_record/README.md for the mapping and the hub's extensions."""
    from hub.care_record.fhir_import import import_bundle

    try:
        document = json.loads(bundle.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        typer.secho(f"{bundle} is not JSON: {exc}", fg="red", err=True)
        raise typer.Exit(2) from exc
    settings, conn = _connect("import-fhir")
    with conn:
        try:
            report = import_bundle(conn, document, settings.fhir_home_identifier_system)
        except ValueError as exc:
            typer.secho(str(exc), fg="red", err=True)
            raise typer.Exit(2) from exc
    _finish(report, verbose)


@care_app.command("import-csv")
def import_csv(
    file: Annotated[Path, typer.Argument(help="CSV file, UTF-8, one row per resident.", exists=True,
                                         dir_okay=False)],
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="List every resident's outcome.")] = False,
) -> None:
    """Import residents' care records from CSV (for councils without FHIR); re-import updates in place.

    One row per resident, UTF-8 with a header row; home_id and name are required. Columns:
    home_id, resident_id (to update a known resident), name, preferred_name
    date_of_birth (YYYY-MM-DD or DD/MM/YYYY), nhs_number, mosaic_id
    languages ("syl;bn;en"), preferred_language, interpreter_needed (yes/no)
    communication_needs, address, postcode, access_notes, key_safe_code
    gp_name, gp_practice, gp_phone, care_plan_summary
    care_visits ("provider|days|times|phone;...")
    conditions, risks ("code|display;...")
    responders in call order, N = 1, 2, 3...:
    responderN_name, _relationship, _kind, _phone, _availability, _holds_key
    and for relatives who can be messaged: _email, _mobile, _language, _consent_at
    Full description: hub/care_record/README.md."""
    from hub.care_record.csv_import import CsvError
    from hub.care_record.csv_import import import_csv as run

    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        typer.secho(f"{file} is not UTF-8 text: {exc}", fg="red", err=True)
        raise typer.Exit(2) from exc
    _, conn = _connect("import-csv")
    with conn:
        try:
            report = run(conn, text)
        except CsvError as exc:
            typer.secho(f"{file}: {exc}", fg="red", err=True)
            raise typer.Exit(2) from exc
    _finish(report, verbose)


@care_app.command("sync-fhir")
def sync_fhir(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="List every resident's outcome.")] = False,
) -> None:
    """Sync residents once from the FHIR server at FHIR_BASE_URL.

    Reads every Patient with a home identifier and their RelatedPerson, Condition, CarePlan, Flag and Consent
    resources. `hub alerts` also syncs every FHIR_SYNC_EVERY_S while FHIR_BASE_URL is set."""
    from hub.care_record.fhir_client import FhirError, sync_once

    settings, conn = _connect("sync-fhir")
    if not settings.fhir_base_url:
        typer.secho("FHIR_BASE_URL is not set: set it to the council's FHIR R4 base URL.", fg="red", err=True)
        raise typer.Exit(2)
    with conn:
        try:
            report = sync_once(conn, settings.fhir_base_url,
                               settings.fhir_home_identifier_system)
        except FhirError as exc:
            typer.secho(f"sync stopped: {exc}", fg="red", err=True)
            raise typer.Exit(2) from exc
    _finish(report, verbose)


@care_app.command("simulate-care-records")
def simulate_care_records(
    out: Annotated[Path, typer.Option(help="Where to write the FHIR R4 transaction Bundle (JSON).")],
    homes: Annotated[int, typer.Option(help="How many simulated homes (ids match `hub seed`).")] = 50,
    seed: Annotated[int, typer.Option(help="Seed for the homes and their records.")] = 1,
    csv: Annotated[Path | None, typer.Option(help="Also write the same records as CSV for `hub import-csv`.")]
    = None,
) -> None:
    """Write realistic care records for the simulator's homes: a FHIR bundle for `hub import-fhir` (or
    to load into a FHIR server) and, with --csv, the CSV equivalent. Deterministic by seed."""
    from hub.settings import get_settings
    from simulators.care_records import care_records, csv_text, fhir_bundle
    from simulators.homes import home_specs

    records = care_records(home_specs(homes, seed), seed)
    bundle = fhir_bundle(records, get_settings().fhir_home_identifier_system)
    out.write_text(json.dumps(bundle, indent=1, ensure_ascii=False), encoding="utf-8")
    typer.echo(f"wrote {len(records)} residents ({len(bundle['entry'])} resources) to {out}")
    if csv is not None:
        csv.write_text(csv_text(records), encoding="utf-8")
        typer.echo(f"wrote {len(records)} rows to {csv}")
