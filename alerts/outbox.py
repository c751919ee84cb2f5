"""The outbox worker: claims undelivered outbox rows with a conditional UPDATE (SKIP LOCKED, so several
workers share the load), delivers each through its channels after the change has committed, and writes
one delivery-log row per attempt. Retryable failures back off; permanent ones stop at once."""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from datetime import datetime, timedelta

import psycopg

from alerts.channels import DeliveryError, Message, Notify, registry
from alerts.model import label_of
from hub.settings import Settings

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
CLAIM_TIMEOUT = timedelta(minutes=5)  # a worker that died mid-send gives its rows back after this

_CLAIM = """
UPDATE outbox SET status = 'sending', claimed_at = %(now)s, claimed_by = %(worker)s, attempts = attempts + 1
WHERE id IN (
    SELECT id FROM outbox
    WHERE (status = 'pending' AND available_at <= %(now)s)
       OR (status = 'sending' AND claimed_at < %(stale)s)
    ORDER BY id
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED)
RETURNING id, topic, payload, attempts
"""


def channels_for(topic: str, settings: Settings) -> list[str]:
    """Who hears of which change. Escalations go to supervisors; the console hears of all via NOTIFY."""
    if topic == "alert.escalated":
        return ["log", "webhook"] if settings.notify_webhook_url else ["log"]
    if topic == "alert.resolved" and settings.fhir_base_url:
        return ["fhir"]  # outcome to the care record; the channel skips residents without a FHIR id
    return []


# A topic whose delivery needs the database (whom to tell, on which of their channels) is handed to a module
# of its own. The handler writes its own delivery_log rows and returns the errors its outbox row settles with.
TopicHandler = Callable[[psycopg.Connection, Message, Settings, int, datetime], list[DeliveryError]]


def topic_handlers() -> dict[str, TopicHandler]:
    from alerts.family import delivery, fanout

    # alert.raised: decide which relatives to tell and queue their messages; family.notify: send one.
    return {"alert.raised": fanout.handle, "family.notify": delivery.handle}


def describe(topic: str, payload: dict) -> str:
    kind = label_of(str(payload.get("kind", "")))
    if topic == "alert.escalated":
        level = payload.get("detail", {}).get("level", 1)
        return (f"ESCALATION level {level}: {kind} at {payload.get('home_id')} is not acknowledged "
                f"(alert {payload.get('alert_id')})")
    return f"{kind} at {payload.get('home_id')}: {payload.get('action')} (alert {payload.get('alert_id')})"


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(5 * 2 ** (attempts - 1), 600))


def deliver_due(conn: psycopg.Connection, settings: Settings, now: datetime,
                channels: dict[str, Notify] | None = None, limit: int = 50,
                handlers: dict[str, TopicHandler] | None = None) -> int:
    """Claim and deliver due outbox rows. Returns how many rows were settled (done or failed)."""
    channels = channels if channels is not None else registry()
    handlers = handlers if handlers is not None else topic_handlers()
    worker = f"{socket.gethostname()}:{id(conn)}"
    with conn.transaction():
        claimed = conn.execute(_CLAIM, {"now": now, "worker": worker, "stale": now - CLAIM_TIMEOUT,
                                        "limit": limit}).fetchall()
    settled = 0
    for outbox_id, topic, payload, attempts in claimed:
        wanted = channels_for(topic, settings)
        already = {row[0] for row in conn.execute(
            "SELECT channel FROM delivery_log WHERE outbox_id = %s AND ok", (outbox_id,))}
        message = Message(outbox_id, topic, payload, describe(topic, payload))
        errors: list[DeliveryError] = []
        for name in wanted:
            if name in already:
                continue  # delivered on an earlier attempt: never send twice
            errors.extend(_attempt(conn, channels[name], name, message, settings, attempts))
        if (handler := handlers.get(topic)) is not None:
            errors.extend(_handle(conn, handler, message, settings, attempts, now))
        settled += _settle(conn, outbox_id, attempts, errors, now)
    return settled


def _attempt(conn: psycopg.Connection, notify: Notify, name: str, message: Message, settings: Settings,
             attempt: int) -> list[DeliveryError]:
    error: DeliveryError | None = None
    try:
        notify(message, settings)
    except DeliveryError as exc:
        error = exc
    except Exception as exc:  # a channel bug must not stop the worker; treat as retryable
        error = DeliveryError(f"{type(exc).__name__}: {exc}", permanent=False)
    with conn.transaction():
        conn.execute(
            "INSERT INTO delivery_log (outbox_id, channel, attempt, ok, permanent, error) VALUES (%s,%s,%s,%s,%s,%s)",
            (message.outbox_id, name, attempt, error is None, bool(error and error.permanent),
             str(error) if error else None),
        )
    if error:
        log.warning("delivery of outbox %d via %s failed (%s): %s", message.outbox_id, name,
                    "permanent" if error.permanent else "will retry", error)
    return [error] if error else []


def _handle(conn: psycopg.Connection, handler: TopicHandler, message: Message, settings: Settings, attempt: int,
            now: datetime) -> list[DeliveryError]:
    try:
        return handler(conn, message, settings, attempt, now)
    except psycopg.OperationalError:
        raise  # the database is gone: the claim goes stale and the row is retried after reconnecting
    except Exception as exc:  # a handler bug must not stop the worker; treat as retryable
        log.exception("outbox %d: the %s handler failed", message.outbox_id, message.topic)
        error = DeliveryError(f"{type(exc).__name__}: {exc}", permanent=False)
        with conn.transaction():
            conn.execute("INSERT INTO delivery_log (outbox_id, channel, attempt, ok, permanent, error) "
                         "VALUES (%s, %s, %s, false, false, %s)", (message.outbox_id, message.topic, attempt,
                                                                    str(error)))
        return [error]


def _settle(conn: psycopg.Connection, outbox_id: int, attempts: int, errors: list[DeliveryError],
            now: datetime) -> int:
    with conn.transaction():
        if not errors:
            conn.execute("UPDATE outbox SET status = 'done', done_at = %s, last_error = NULL WHERE id = %s",
                         (now, outbox_id))
            return 1
        last = "; ".join(str(e) for e in errors)
        if any(e.permanent for e in errors) or attempts >= MAX_ATTEMPTS:
            conn.execute("UPDATE outbox SET status = 'failed', done_at = %s, last_error = %s WHERE id = %s",
                         (now, last, outbox_id))
            return 1
        conn.execute(
            "UPDATE outbox SET status = 'pending', available_at = %s, last_error = %s WHERE id = %s",
            (now + backoff(attempts), last, outbox_id),
        )
        return 0
