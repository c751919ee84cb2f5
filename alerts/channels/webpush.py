"""Web push channel: a family notification to the browser subscription a relative made on the family page
(its JSON is the channel's address), signed with VAPID_PRIVATE_KEY.

The push service is told a Topic (so a resent message replaces, never stacks, on the phone) and the same
Idempotency-Key as other channels. 404 or 410 from the push service means the subscription is gone for
good: permanent. Anything else is retried.

Payload the caller puts in `Message.payload`: to (subscription JSON), subject, short, url, idempotency_key,
language, priority.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import requests
from pywebpush import WebPushException, webpush

from alerts.channels import DeliveryError, Message
from hub.settings import Settings

TIMEOUT_S = 15.0
TTL_S = 24 * 3600  # a phone that is off for a day still gets it when it comes back
SUBSCRIPTION_GONE = frozenset({404, 410})


def parse_subscription(address: str) -> dict[str, Any]:
    try:
        subscription = json.loads(address)
    except ValueError as exc:
        raise DeliveryError("the push subscription is not JSON", permanent=True) from exc
    keys = subscription.get("keys") if isinstance(subscription, dict) else None
    if not isinstance(subscription, dict) or not subscription.get("endpoint") or not isinstance(keys, dict) \
            or not keys.get("p256dh") or not keys.get("auth"):
        raise DeliveryError("the push subscription lacks endpoint or keys", permanent=True)
    return subscription


def topic_for(key: str) -> str:
    # RFC 8030: at most 32 characters of the URL-safe base64 alphabet.
    return "".join(c for c in key if c.isalnum() or c in "-_")[-32:]


def _urgency(payload: dict[str, Any]) -> str:
    # An emergency may wake a phone that saves battery; a wellbeing check waits for its next normal wake-up.
    return "high" if payload.get("priority") == 1 else "normal"


def notify(message: Message, settings: Settings) -> None:
    if not settings.vapid_private_key:
        raise DeliveryError("VAPID_PRIVATE_KEY is not set", permanent=False)
    payload = message.payload
    subscription = parse_subscription(str(payload.get("to", "")))
    key = str(payload["idempotency_key"])
    data = json.dumps({"title": payload["subject"], "body": payload["short"], "url": payload.get("url", ""),
                       "lang": str(payload.get("language", "en")).replace("_", "-"), "tag": key},
                      ensure_ascii=False)
    try:
        webpush(subscription, data=data, vapid_private_key=settings.vapid_private_key,
                vapid_claims={"sub": settings.vapid_subject}, ttl=TTL_S, timeout=TIMEOUT_S,
                headers={"Topic": topic_for(key), "Idempotency-Key": key, "Urgency": _urgency(payload)})
    except WebPushException as exc:
        status = exc.response.status_code if exc.response is not None else None
        raise DeliveryError(f"push service answered {status}: {str(exc)[:200]}",
                            permanent=status in SUBSCRIPTION_GONE) from exc
    except (requests.RequestException, OSError, ValueError) as exc:
        raise DeliveryError(f"push service unreachable: {type(exc).__name__}: {exc}", permanent=False) from exc


def application_server_key(vapid_private_key: str) -> str | None:
    """The public half of the VAPID key, as a browser's pushManager.subscribe() wants it (base64url point)."""
    if not vapid_private_key:
        return None
    from cryptography.hazmat.primitives import serialization
    from py_vapid import Vapid

    try:
        public = Vapid.from_string(private_key=vapid_private_key).public_key
    except ValueError:
        return None
    point = public.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return base64.urlsafe_b64encode(point).rstrip(b"=").decode("ascii")
