"""Write a resolved alert's outcome back to the resident's care record, as a FHIR Communication.

The Communication carries identifier `urn:telecare-hub:alert|<alert id>` and is sent as a conditional
create (`If-None-Exist`), so however often the outbox retries (a timeout after the server had already
stored it, a worker that died mid-send) the record holds it once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from hub.care_record.fhir_client import FhirClient
from hub.care_record.fhir_profile import ALERT_IDENTIFIER_SYSTEM


@dataclass(frozen=True)
class ResolvedAlert:
    alert_id: int
    fhir_patient_id: str
    kind: str
    kind_label: str
    outcome: str
    outcome_label: str
    note: str
    resolved_at: datetime


def alert_identifier(alert_id: int) -> str:
    return f"{ALERT_IDENTIFIER_SYSTEM}|{alert_id}"


def outcome_text(alert: ResolvedAlert) -> str:
    text = (f"Telecare alert {alert.alert_id} resolved: {alert.kind_label} ({alert.kind}). "
            f"Outcome: {alert.outcome_label} ({alert.outcome}).")
    return f"{text} Note: {alert.note.strip()}" if alert.note.strip() else text


def outcome_communication(alert: ResolvedAlert) -> dict[str, Any]:
    resolved = alert.resolved_at if alert.resolved_at.tzinfo else alert.resolved_at.replace(tzinfo=UTC)
    return {
        "resourceType": "Communication",
        "identifier": [{"system": ALERT_IDENTIFIER_SYSTEM, "value": str(alert.alert_id)}],
        "status": "completed",
        "category": [{"text": "Telecare alert outcome"}],
        "subject": {"reference": f"Patient/{alert.fhir_patient_id}"},
        "sent": resolved.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "payload": [{"contentString": outcome_text(alert)}],
    }


def write_back(client: FhirClient, alert: ResolvedAlert) -> bool:
    """Send the outcome; True if the server created it now, False if it already had it.
    Raises FhirUnavailable (retry later) or FhirRefused (permanent)."""
    return client.create_once(outcome_communication(alert), alert_identifier(alert.alert_id))
