"""Notification channels, one small module each, registered by name.

Contract of `notify(message, settings) -> None`: deliver one message or raise `DeliveryError` with
`permanent=True` when retrying cannot help (bad address, refused by the far end) and `permanent=False`
when it may (timeouts, 5xx). A channel never decides who is told; the outbox worker does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hub.settings import Settings


@dataclass(frozen=True)
class Message:
    outbox_id: int
    topic: str
    payload: dict[str, Any]
    text: str  # one line a person can read; minimum personal data


class DeliveryError(Exception):
    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


Notify = Callable[[Message, Settings], None]


def registry() -> dict[str, Notify]:
    from alerts.channels import email, fhir, log, sms, webhook, webpush

    return {"log": log.notify, "webhook": webhook.notify, "fhir": fhir.notify,
            # Family channels: chosen per relative by alerts/family/delivery.py, never by channels_for.
            "email": email.notify, "sms": sms.notify, "webpush": webpush.notify}
