"""Shared fixtures: real PostgreSQL and a real broker for integration tests (see tests/support)."""

from __future__ import annotations

import functools
import os
import time
import uuid
from collections.abc import Callable, Iterator

import httpx
import psycopg
import pytest
from hypothesis import settings as hypothesis_settings

from hub.seed import register_homes
from hub.settings import Settings
from simulators.homes import HomeSpec, home_specs
from tests.support.accounts import Session, add_user, sign_in, signed_in_client
from tests.support.home import TestUnit
from tests.support.services import Broker, ConsoleServer, fresh_database, private_broker, truncate_all

# `make test` draws the same property and fuzz examples on every run, so a red run is reproducible and
# a landing is never decided by luck; `HYPOTHESIS_PROFILE=explore make test` draws fresh ones each run.
hypothesis_settings.register_profile("repeatable", derandomize=True, print_blob=True)
hypothesis_settings.register_profile("explore", derandomize=False, print_blob=True)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    with fresh_database() as url:
        yield url


@pytest.fixture(scope="session")
def broker() -> Iterator[Broker]:
    with private_broker() as running:
        yield running


@pytest.fixture
def db_url(database_url: str) -> str:
    """The session database, emptied before the test."""
    truncate_all(database_url)
    return database_url


@pytest.fixture
def conn(db_url: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(db_url, autocommit=True) as connection:
        yield connection


@pytest.fixture
def homes(conn: psycopg.Connection) -> list[HomeSpec]:
    """Three registered homes with the simulator's standard devices."""
    specs = home_specs(3, seed=7, heartbeat_interval_s=300)
    register_homes(conn, specs)
    return specs


@pytest.fixture
def settings(broker: Broker) -> Settings:
    return Settings(
        mqtt_client_id=f"hub-test-{uuid.uuid4().hex[:8]}", mqtt_protocol=broker.protocol,  # type: ignore[arg-type]
        escalate_after_s=60, ingest_batch_wait_ms=2,
    )


@pytest.fixture
def ingest(settings: Settings, db_url: str, broker: Broker) -> Iterator[object]:
    from ingest.consumer import IngestService

    service = IngestService(settings, db_url, broker.url)
    service.start()
    assert service.connected.wait(10), "ingest did not connect to the broker"
    yield service
    service.stop()


@pytest.fixture
def console(settings, db_url, broker) -> Iterator[ConsoleServer]:
    from console.app import create_app

    with ConsoleServer(create_app(settings, db_url, broker.url)) as server:
        deadline = time.monotonic() + 10
        while httpx.get(server.base_url + "/readyz").status_code != 200:
            assert time.monotonic() < deadline, "console never became ready"
            time.sleep(0.1)
        yield server


@pytest.fixture
def users(conn: psycopg.Connection) -> Callable[..., None]:
    """Creates console accounts straight in the database: users(username, role="operator", display_name=None);
    every account's password is tests.support.accounts.PASSWORD."""
    return functools.partial(add_user, conn)


@pytest.fixture
def signed_in(console: ConsoleServer, users: Callable[..., None]) -> Iterator[Callable[..., httpx.Client]]:
    """signed_in(username, role="operator", display_name=None): a new account and an httpx client signed in
    as it (session cookie and CSRF header set)."""
    clients: list[httpx.Client] = []

    def make(username: str, role: str = "operator", display_name: str | None = None) -> httpx.Client:
        users(username, role, display_name)
        clients.append(signed_in_client(console.base_url, sign_in(console.base_url, username)))
        return clients[-1]

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def api(signed_in: Callable[..., httpx.Client]) -> httpx.Client:
    """The console API, signed in as the operator Jo Bloggs (username jo)."""
    return signed_in("jo", "operator", "Jo Bloggs")


@pytest.fixture
def operator_session(console: ConsoleServer, users: Callable[..., None]) -> Session:
    """A live operator session (cookie and CSRF token), for websockets and clients other than `api`."""
    users("ops", "operator", "Ops Desk")
    return sign_in(console.base_url, "ops")


@pytest.fixture
def unit_factory(broker: Broker) -> Iterator[object]:
    units: list[TestUnit] = []

    def make(home_id: str) -> TestUnit:
        unit = TestUnit(broker.url, broker.protocol, home_id)
        units.append(unit)
        return unit

    yield make
    for unit in units:
        unit.close()


@pytest.fixture
def fhir_server(tmp_path) -> Iterator[object]:
    """A FHIR R4 test server in its own process on a free port (tests/support/fhir_server.py); its store
    survives `stop()` / `start()` on the same port, which simulate a care-record outage."""
    from tests.support.fhir_server import FhirServerProcess

    with FhirServerProcess(tmp_path / "fhir-store.json") as server:
        yield server
