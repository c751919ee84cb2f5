"""Webhook channel: POSTs the change as JSON to NOTIFY_WEBHOOK_URL (e.g. a pager or SMS gateway).
The outbox id goes in an Idempotency-Key header so a receiver can drop a retried duplicate."""

from __future__ import annotations

import httpx

from alerts.channels import DeliveryError, Message
from hub.settings import Settings


def notify(message: Message, settings: Settings) -> None:
    if not settings.notify_webhook_url:
        raise DeliveryError("NOTIFY_WEBHOOK_URL is not set", permanent=True)
    try:
        response = httpx.post(
            settings.notify_webhook_url,
            json={"topic": message.topic, "text": message.text, **message.payload},
            headers={"Idempotency-Key": f"hub-outbox-{message.outbox_id}"},
            timeout=10.0,
        )
    except httpx.HTTPError as exc:
        raise DeliveryError(f"webhook unreachable: {exc}", permanent=False) from exc
    if response.status_code >= 500 or response.status_code == 429:
        raise DeliveryError(f"webhook answered {response.status_code}", permanent=False)
    if response.status_code >= 400:
        raise DeliveryError(f"webhook refused with {response.status_code}: {response.text[:200]}", permanent=True)
