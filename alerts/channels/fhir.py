"""Care-record channel: writes a resolved alert's outcome back to the resident's FHIR record (FHIR_BASE_URL)
as a Communication (hub.care_record.writeback), idempotent under retries.

The outbox routes every `alert.resolved` here while FHIR_BASE_URL is set; this channel looks the alert's
resident up and, when the resident has no FHIR Patient id (not on the care record), skips without error:
there is nothing to write to, and retrying would not change that. An unreachable or failing server
(connection refused, timeout, 5xx) is retryable, so the outbox keeps the row until the record is back;
a 4xx is permanent.
"""

from __future__ import annotations

import logging

import psycopg

from alerts.channels import DeliveryError, Message
from alerts.model import OUTCOMES, label_of
from hub.settings import Settings

log = logging.getLogger(__name__)
ACTOR = "system:fhir-writeback"


def notify(message: Message, settings: Settings) -> None:
    # Imported here: the FHIR models are heavy and only needed where a care record is configured.
    from hub.care_record import store
    from hub.care_record.fhir_client import FhirClient, FhirRefused, FhirUnavailable
    from hub.care_record.writeback import ResolvedAlert, write_back

    if not settings.fhir_base_url:
        raise DeliveryError("FHIR_BASE_URL is not set", permanent=True)
    if not settings.database_url:
        raise DeliveryError("DATABASE_URL is not set: the resident's FHIR id cannot be looked up", permanent=True)
    if message.topic != "alert.resolved":
        raise DeliveryError(f"the care-record channel writes resolutions only, not {message.topic}", permanent=True)
    alert_id = int(message.payload["alert_id"])
    try:
        with psycopg.connect(settings.database_url, autocommit=True, connect_timeout=10) as conn:
            target = store.writeback_target(conn, alert_id)
            if target is None or target.handling != "resolved" or not target.outcome or target.resolved_at is None:
                raise DeliveryError(f"alert {alert_id} is not resolved with an outcome", permanent=True)
            if not target.fhir_patient_id:
                log.info("alert %d: resident %s has no FHIR record; outcome not written back", alert_id,
                         target.resident_id or "(none)")
                return
            alert = ResolvedAlert(
                alert_id=alert_id, fhir_patient_id=target.fhir_patient_id, kind=target.kind,
                kind_label=label_of(target.kind), outcome=target.outcome,
                outcome_label=OUTCOMES.get(target.outcome, target.outcome), note=target.note or "",
                resolved_at=target.resolved_at,
            )
            with FhirClient(settings.fhir_base_url) as client:
                created = write_back(client, alert)
            store.log_access(conn, actor=ACTOR, resident_id=target.resident_id, action="writeback",
                             alert_id=alert_id, reason="alert outcome written to the care record",
                             detail={"patient": f"Patient/{target.fhir_patient_id}", "created": created})
    except FhirUnavailable as exc:
        raise DeliveryError(f"care record unavailable: {exc}", permanent=False) from exc
    except FhirRefused as exc:
        raise DeliveryError(f"care record refused the outcome: {exc}", permanent=True) from exc
    except psycopg.OperationalError as exc:
        raise DeliveryError(f"database unavailable: {exc}", permanent=False) from exc
