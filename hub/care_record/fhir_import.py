"""Import FHIR R4 resources (a Bundle file, or what the sync fetched) into the hub's care records.

Resources are parsed one by one with `fhir.resources` (R4B models, which read R4 JSON), so one
malformed resource is reported and the rest still import. Each Patient with the resources that point
at it is stored in its own transaction (store.save_record): a refused Patient (unknown home, invalid
NHS number, no home identifier) is reported by name and leaves everyone else's record untouched.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import psycopg
from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

from hub.care_record import store
from hub.care_record.fhir_map import PatientResources, map_patient, reference_key
from hub.care_record.model import RecordRefused, RecordSource
from hub.care_record.report import ImportReport

log = logging.getLogger(__name__)

# resource type → (PatientResources list it joins, element naming the Patient)
_LINKED = {
    "RelatedPerson": ("related_persons", "patient"),
    "Condition": ("conditions", "subject"),
    "Flag": ("flags", "subject"),
    "CarePlan": ("care_plans", "subject"),
    "Consent": ("consents", "patient"),
}


@dataclass
class ParsedResources:
    patients: dict[str, PatientResources] = field(default_factory=dict)  # "Patient/id" → its resources
    full_urls: dict[str, str] = field(default_factory=dict)  # Bundle fullUrl → "Type/id"
    report: ImportReport = field(default_factory=ImportReport)


def _what(raw: dict[str, Any]) -> str:
    return f"{raw.get('resourceType', '?')}/{raw.get('id', '(no id)')}"


def parse(resources: Iterable[tuple[str | None, dict[str, Any]]]) -> ParsedResources:
    """Parse (fullUrl, resource JSON) pairs and group them by the Patient they are about."""
    parsed = ParsedResources()
    models: list[tuple[str, Any]] = []
    for full_url, raw in resources:
        resource_type = raw.get("resourceType")
        if resource_type != "Patient" and resource_type not in _LINKED:
            parsed.report.skipped.append((_what(raw), f"{resource_type} resources are not part of the care record"))
            continue
        if not raw.get("id"):
            parsed.report.refused.append((_what(raw), "it has no id, so a re-import could not update it in place"))
            continue
        try:
            model = get_fhir_model_class(resource_type).model_validate(raw)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:3])
            parsed.report.refused.append((_what(raw), f"not valid FHIR R4: {problems}"))
            continue
        key = f"{resource_type}/{model.id}"
        if full_url:
            parsed.full_urls[full_url] = key
        models.append((resource_type, model))
    for resource_type, model in models:
        if resource_type == "Patient":
            parsed.patients[f"Patient/{model.id}"] = PatientResources(patient=model)
    for resource_type, model in models:
        if resource_type == "Patient":
            continue
        bucket, element = _LINKED[resource_type]
        patient_key = reference_key(getattr(getattr(model, element), "reference", None), parsed.full_urls)
        owner = parsed.patients.get(patient_key or "")
        if owner is None:
            parsed.report.skipped.append((f"{resource_type}/{model.id}",
                                          f"its Patient is not in this import ({patient_key or 'no reference'})"))
            continue
        getattr(owner, bucket).append(model)
    return parsed


def bundle_entries(bundle: dict[str, Any]) -> list[tuple[str | None, dict[str, Any]]]:
    if bundle.get("resourceType") != "Bundle":
        raise ValueError(f"expected a FHIR Bundle, got {bundle.get('resourceType')!r}")
    return [(entry.get("fullUrl"), entry["resource"]) for entry in bundle.get("entry") or [] if entry.get("resource")]


def import_parsed(conn: psycopg.Connection, parsed: ParsedResources, home_identifier_system: str, *,
                  actor: str, source: RecordSource = "fhir") -> ImportReport:
    """Store every parsed Patient's record, each in its own transaction."""
    report = parsed.report
    for key, resources in parsed.patients.items():
        try:
            record, warnings = map_patient(resources, home_identifier_system, parsed.full_urls, source)
            report.warnings.extend(warnings)
            saved = store.save_record(conn, record, actor)
        except RecordRefused as exc:
            report.refused.append((key, str(exc)))
            linked = sum(len(getattr(resources, bucket)) for bucket, _ in _LINKED.values())
            if linked:
                report.skipped.append((f"{linked} resources of {key}", "their Patient was refused"))
            continue
        getattr(report, saved.outcome).append(f"{key} → {saved.resident_id}")
        report.changes.update(saved.changes)
    if report.refused:
        log.warning("care record import refused %d: %s", len(report.refused),
                    "; ".join(f"{what}: {why}" for what, why in report.refused[:5]))
    return report


def import_bundle(conn: psycopg.Connection, bundle: dict[str, Any], home_identifier_system: str, *,
                  actor: str = "system:fhir-import", source: RecordSource = "fhir") -> ImportReport:
    """Import a FHIR Bundle (transaction, batch, collection or searchset). Idempotent."""
    return import_parsed(conn, parse(bundle_entries(bundle)), home_identifier_system, actor=actor, source=source)
