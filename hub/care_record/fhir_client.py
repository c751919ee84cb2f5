"""A small FHIR R4 REST client (httpx) and the sync that keeps residents in step with the council's
care record, through the same import code as `hub import-fhir`.

One sync pass: every Patient with an identifier in the home identifier system, then for each one its
RelatedPerson, Condition, CarePlan, Flag and Consent resources, following the Bundle `next` links of
every search. Errors are split the way the outbox needs them: FhirUnavailable (connection refused,
timeouts, 5xx, 429: try again later) and FhirRefused (any other 4xx: retrying cannot help).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

import httpx
import psycopg

from hub.care_record.fhir_import import import_parsed, parse
from hub.care_record.report import ImportReport

log = logging.getLogger(__name__)
FHIR_JSON = "application/fhir+json"
PAGE_SIZE = 100
MAX_PAGES = 10_000  # a server that keeps sending `next` links cannot keep a sync running for ever
LINKED_SEARCHES = ("RelatedPerson", "Condition", "CarePlan", "Flag", "Consent")


class FhirError(Exception):
    pass


class FhirUnavailable(FhirError):
    """The server could not be reached or failed; the same request may succeed later."""


class FhirRefused(FhirError):
    """The server refused the request (4xx); sending it again will not help."""


class FhirClient:
    def __init__(self, base_url: str, *, timeout: float = 15.0, page_size: int = PAGE_SIZE,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.base_url = base_url.rstrip("/") + "/"
        self.page_size = page_size
        self._http = httpx.Client(timeout=timeout, transport=transport,
                                  headers={"Accept": FHIR_JSON, "User-Agent": "telecare-hub"})

    def __enter__(self) -> FhirClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, urljoin(self.base_url, url), **kwargs)
        except httpx.HTTPError as exc:  # refused, reset, timed out
            raise FhirUnavailable(f"{method} {url}: {type(exc).__name__}: {exc}") from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise FhirUnavailable(f"{method} {url}: the server answered {response.status_code}")
        if response.status_code >= 400:
            raise FhirRefused(f"{method} {url}: the server refused with {response.status_code}: "
                              f"{_outcome_text(response)}")
        return response

    def read(self, resource_type: str, resource_id: str) -> dict[str, Any]:
        return self._request("GET", f"{resource_type}/{resource_id}").json()

    def search(self, resource_type: str, params: dict[str, str]) -> Iterator[dict[str, Any]]:
        """Every matching resource (search mode `match`), page after page."""
        response = self._request("GET", resource_type, params={**params, "_count": str(self.page_size)})
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            bundle = response.json()
            for entry in bundle.get("entry") or []:
                if entry.get("resource") and (entry.get("search") or {}).get("mode", "match") == "match":
                    yield entry["resource"]
            next_url = next((link["url"] for link in bundle.get("link") or [] if link.get("relation") == "next"),
                            None)
            if not next_url or next_url in seen:
                return
            seen.add(next_url)
            response = self._request("GET", next_url)
        raise FhirUnavailable(f"search {resource_type} did not end after {MAX_PAGES} pages")

    def create_once(self, resource: dict[str, Any], identifier: str) -> bool:
        """Conditional create (`If-None-Exist: identifier=system|value`): True if created now, False if the
        server already had it (a retry after a lost answer creates nothing new)."""
        response = self._request(
            "POST", resource["resourceType"], json=resource,
            headers={"Content-Type": FHIR_JSON, "If-None-Exist": f"identifier={identifier}"})
        return response.status_code == 201


def _outcome_text(response: httpx.Response) -> str:
    try:
        issues = response.json().get("issue") or []
        return "; ".join(i.get("diagnostics") or i.get("details", {}).get("text", "") for i in issues)[:300]
    except ValueError:
        return response.text[:300]


def fetch_patient_records(client: FhirClient, home_identifier_system: str
                          ) -> Iterator[list[tuple[str | None, dict[str, Any]]]]:
    """For each Patient with a home identifier: the Patient and every resource about it."""
    for patient in client.search("Patient", {"identifier": f"{home_identifier_system}|"}):
        resources: list[tuple[str | None, dict[str, Any]]] = [(None, patient)]
        for resource_type in LINKED_SEARCHES:
            resources += [(None, r) for r in client.search(resource_type, {"patient": f"Patient/{patient['id']}"})]
        yield resources


def sync_once(conn: psycopg.Connection, base_url: str, home_identifier_system: str, *,
              actor: str = "system:fhir-sync", client: FhirClient | None = None) -> ImportReport:
    """One sync pass. Raises FhirUnavailable/FhirRefused when the server cannot be read; residents
    imported before the failure stay imported (each is its own transaction)."""
    report = ImportReport()
    owned = client is None
    client = client or FhirClient(base_url)
    try:
        for resources in fetch_patient_records(client, home_identifier_system):
            report.merge(import_parsed(conn, parse(resources), home_identifier_system, actor=actor))
    finally:
        if owned:
            client.close()
    return report


def sync_step(base_url: str, home_identifier_system: str) -> Callable[[psycopg.Connection, datetime], None]:
    """A step for the alert engine's timer thread: one sync pass, logged; an unreachable server is a
    warning (the next pass tries again), never a crash."""
    def step(conn: psycopg.Connection, _now: datetime) -> None:
        try:
            report = sync_once(conn, base_url, home_identifier_system)
        except FhirError as exc:
            log.warning("FHIR sync from %s failed, next pass will try again: %s", base_url, exc)
            return
        level = logging.WARNING if report.refused else logging.INFO
        log.log(level, "FHIR sync: %s", report.summary().replace("\n", "; "))

    return step
