"""SMS channel: POSTs a family text to the HTTP SMS gateway (SMS_GATEWAY_URL) as JSON `{to, text,
idempotency_key}` with a bearer token (SMS_GATEWAY_TOKEN).

The gateway deduplicates on the key (also sent as the Idempotency-Key header), so a text resent after a
crash, or after a timeout that hid a success, reaches the phone once. Only answers about the number itself
(400, 404, 410, 422) are permanent; trouble with the gateway or our token is retried, because disabling a
relative's phone for it would be wrong.

Payload the caller puts in `Message.payload`: to, short, idempotency_key.
"""

from __future__ import annotations

import httpx

from alerts.channels import DeliveryError, Message
from hub.settings import Settings

TIMEOUT_S = 15.0
NUMBER_REFUSED = frozenset({400, 404, 410, 422})


def notify(message: Message, settings: Settings) -> None:
    if not settings.sms_gateway_url:
        raise DeliveryError("SMS_GATEWAY_URL is not set", permanent=False)
    payload = message.payload
    to = str(payload.get("to", "")).strip()
    if not to:
        raise DeliveryError("no phone number", permanent=True)
    key = str(payload["idempotency_key"])
    headers = {"Idempotency-Key": key}
    if settings.sms_gateway_token:
        headers["Authorization"] = f"Bearer {settings.sms_gateway_token}"
    try:
        response = httpx.post(settings.sms_gateway_url, json={"to": to, "text": payload["short"],
                                                              "idempotency_key": key},
                              headers=headers, timeout=TIMEOUT_S)
    except httpx.HTTPError as exc:
        raise DeliveryError(f"SMS gateway unreachable: {type(exc).__name__}: {exc}", permanent=False) from exc
    if response.status_code < 300:
        return
    detail = f"SMS gateway answered {response.status_code}: {response.text[:200]}"
    raise DeliveryError(detail, permanent=response.status_code in NUMBER_REFUSED)
