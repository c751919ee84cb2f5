"""The resident's care record: the model and its checks (model), the one place its SQL lives (store),
FHIR R4 UK Core import, sync and outcome write-back (fhir_*), CSV import, and seeding for the demo.
See README.md in this folder for the mapping, the hub's own FHIR extensions and the CSV columns."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import psycopg

    from hub.care_record.report import ImportReport
    from simulators.homes import HomeSpec


def seed_care_records(conn: psycopg.Connection, specs: list[HomeSpec], seed: int = 1) -> ImportReport:
    """Give registered simulated homes full care records (see hub.care_record.seeding)."""
    from hub.care_record.seeding import seed_care_records as seed_records

    return seed_records(conn, specs, seed)
