"""Delivers one `family.notify` outbox row: the relative's message on the first of their channels that works.

Never twice, whatever crashes:
- Before a message is handed over, the notification is committed as 'sending' (with the link it carries).
- SMS and web push are idempotent by key (`hub-family-<notification id>`): a notification found still
  'sending' (the worker died mid-send) is resent on the same channel with the same key, and the far end
  drops the copy.
- SMTP does not deduplicate: an email found still 'sending', or lost mid-transfer, is never resent. It is
  marked 'uncertain' with a delivery_log row saying why, and a note on the alert asks an operator to phone.
A permanent error (the address is wrong or gone) disables that channel (`family_channels.enabled = false`,
with the reason) and the next channel by position is tried at once. A retryable error goes back to the
outbox worker, which retries with backoff up to MAX_ATTEMPTS; then the notification is 'failed'.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import psycopg
from psycopg.rows import dict_row

from alerts import engine
from alerts.channels import DeliveryError, Message, registry
from alerts.channels.email import MaybeSent
from alerts.family import links, messages, policy
from alerts.model import Priority
from alerts.outbox import MAX_ATTEMPTS
from alerts.transitions import FAMILY_ANSWERABLE, FamilyTold, Note, TransitionRefused
from hub.failpoints import failpoint
from hub.settings import Settings

log = logging.getLogger(__name__)
SETTLED = frozenset({"sent", "failed", "uncertain", "skipped"})
IDEMPOTENT_CHANNELS = frozenset({"sms", "webpush"})  # the far end drops a repeat of the same key
AFTER_SEND_FAILPOINT = "family.after_send"

_LOAD = """
SELECT n.id, n.alert_id, n.family_member_id, n.channel_id, n.status, n.language,
       m.name AS relative_name, m.consent_given_at, m.consent_withdrawn_at, m.timezone,
       a.kind, a.priority, a.handling, a.raised_at, r.name AS resident_name, r.preferred_name
FROM family_notifications n
JOIN family_members m ON m.id = n.family_member_id
JOIN alerts a ON a.id = n.alert_id
JOIN residents r ON r.resident_id = m.resident_id
WHERE n.id = %s
"""
_CHANNELS = "SELECT id, channel, address, position, enabled FROM family_channels WHERE family_member_id = %s"
_LOG = """INSERT INTO delivery_log (outbox_id, channel, attempt, at, ok, permanent, error)
          VALUES (%s, %s, %s, %s, %s, %s, %s)"""


def idempotency_key(notification_id: int) -> str:
    return f"hub-family-{notification_id}"


@dataclass(frozen=True)
class Attempt:
    """One try at one notification on one channel, as the outbox worker handed it over."""

    outbox_id: int
    attempt: int
    now: datetime
    row: dict
    channel: policy.Channel
    address: str


def handle(conn: psycopg.Connection, message: Message, settings: Settings, attempt: int,
           now: datetime) -> list[DeliveryError]:
    """Outbox hook for `family.notify`: errors returned settle the outbox row (retry or give up)."""
    notification_id = int(message.payload["notification_id"])
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(_LOAD, (notification_id,)).fetchone()
    if row is None or row["status"] in SETTLED:
        return []  # settled by an earlier attempt whose outbox update was lost; nothing to do
    member = policy.Member(row["family_member_id"], row["consent_given_at"], row["consent_withdrawn_at"])
    if not policy.has_consent(member, now):
        _skip(conn, notification_id, "consent withdrawn before the message went")
        return []
    if row["status"] == "held" and row["handling"] == "resolved":
        _skip(conn, notification_id, "the alert was dealt with during the relative's quiet hours")
        return []
    channels = {r[0]: (policy.Channel(r[0], r[1], r[3], r[4]), r[2])
                for r in conn.execute(_CHANNELS, (row["family_member_id"],))}
    in_flight = channels.get(row["channel_id"]) if row["status"] == "sending" else None
    if row["status"] == "sending" and (in_flight is None or in_flight[0].channel not in IDEMPOTENT_CHANNELS):
        # The worker before us died after handing this over, or while it did: an email may be in the
        # relative's inbox already, and sending it again could not be taken back.
        channel_name = in_flight[0].channel if in_flight else "email"
        reason = ("a previous attempt was interrupted while the message was with the mail server; it may or may "
                  "not have arrived and email cannot be resent safely")
        _uncertain(conn, row, message.outbox_id, channel_name, attempt, reason, now)
        return [DeliveryError(reason, permanent=True)]
    tried: list[int] = []
    while True:
        if in_flight is not None:
            channel, address = in_flight  # resend on the same idempotent channel with the same key
            in_flight = None
        else:
            choice = policy.next_channel([c for c, _ in channels.values()], tried)
            if choice is None:
                reason = "no working channel left to reach the relative on"
                _give_up(conn, row, reason, now)
                return [DeliveryError(reason, permanent=True)]
            channel, address = channels[choice.id]
        tried.append(channel.id)
        outcome = _try(conn, Attempt(message.outbox_id, attempt, now, row, channel, address), settings)
        if outcome is None:
            return []
        if isinstance(outcome, MaybeSent) or not outcome.permanent:
            return [outcome]
        # Permanent: that channel is now disabled; go on to the next one in this same attempt.


def _try(conn: psycopg.Connection, at: Attempt, settings: Settings) -> DeliveryError | None:
    """Send on one channel. None when sent; otherwise the error, already written down."""
    row, channel = at.row, at.channel
    with conn.transaction():
        token = links.create_link(conn, row["family_member_id"], row["alert_id"], at.now, settings.family_link_ttl_h)
        conn.execute("UPDATE family_notifications SET status = 'sending', channel_id = %s WHERE id = %s",
                     (channel.id, row["id"]))
    # Committed: from here on a crash leaves 'sending', which the next worker reads as "may have gone".
    outgoing = _message(at, settings, links.link_url(settings.public_base_url, token))
    try:
        registry()[channel.channel](outgoing, settings)
    except MaybeSent as exc:
        _uncertain(conn, row, at.outbox_id, channel.channel, at.attempt, str(exc), at.now)
        return exc
    except DeliveryError as exc:
        _failed_attempt(conn, at, exc)
        return exc
    except Exception as exc:  # a channel bug: retry an idempotent channel, never an email that may have gone
        if channel.channel not in IDEMPOTENT_CHANNELS:
            reason = f"unexpected {type(exc).__name__} while sending: {exc}"
            _uncertain(conn, row, at.outbox_id, channel.channel, at.attempt, reason, at.now)
            return MaybeSent(reason)
        error = DeliveryError(f"{type(exc).__name__}: {exc}", permanent=False)
        _failed_attempt(conn, at, error)
        return error
    failpoint(AFTER_SEND_FAILPOINT)  # the far end has it and we have not written that down yet
    _sent(conn, at, settings)
    return None


def _message(at: Attempt, settings: Settings, url: str) -> Message:
    row = at.row
    priority = Priority(row["priority"])
    rendered = messages.render(
        row["kind"], priority, row["language"],
        name=messages.first_name(row["resident_name"], row["preferred_name"]),
        relative=messages.first_name(row["relative_name"], None), at=row["raised_at"], timezone=row["timezone"],
        link=url, answerable=priority in FAMILY_ANSWERABLE)
    payload = {"notification_id": row["id"], "to": at.address, "subject": rendered.subject, "body": rendered.body,
               "short": rendered.short, "url": url, "language": rendered.language, "priority": int(priority),
               "idempotency_key": idempotency_key(row["id"])}
    return Message(at.outbox_id, "family.notify", payload, rendered.short)


def _log(conn: psycopg.Connection, outbox_id: int, channel: str, attempt: int, now: datetime, *, ok: bool,
         permanent: bool = False, error: str | None = None) -> None:
    conn.execute(_LOG, (outbox_id, channel, attempt, now, ok, permanent, error))


def _sent(conn: psycopg.Connection, at: Attempt, settings: Settings) -> None:
    row = at.row
    with conn.transaction():
        _log(conn, at.outbox_id, at.channel.channel, at.attempt, at.now, ok=True)
        conn.execute("UPDATE family_notifications SET status = 'sent', sent_at = %s, last_error = NULL "
                     "WHERE id = %s", (at.now, row["id"]))
        answered = conn.execute("SELECT 1 FROM family_responses WHERE alert_id = %s LIMIT 1",
                                (row["alert_id"],)).fetchone()
        due = None
        if Priority(row["priority"]) in FAMILY_ANSWERABLE and answered is None:
            due = at.now + timedelta(seconds=settings.family_answer_timeout_s)
        told = FamilyTold(at=at.now, relative=f"family:{row['family_member_id']}", channel=at.channel.channel,
                          answer_due=due)
        with contextlib.suppress(TransitionRefused):  # resolved meanwhile: the message stands, nothing awaited
            engine.act(conn, row["alert_id"], told)


def _failed_attempt(conn: psycopg.Connection, at: Attempt, error: DeliveryError) -> None:
    row = at.row
    log.warning("family notification %d via %s failed (%s): %s", row["id"], at.channel.channel,
                "permanent" if error.permanent else "will retry", error)
    with conn.transaction():
        _log(conn, at.outbox_id, at.channel.channel, at.attempt, at.now, ok=False, permanent=error.permanent,
             error=str(error))
        if error.permanent:
            conn.execute("UPDATE family_channels SET enabled = false, disabled_at = %s, disabled_reason = %s "
                         "WHERE id = %s", (at.now, str(error)[:500], at.channel.id))
        final = not error.permanent and at.attempt >= MAX_ATTEMPTS
        conn.execute("UPDATE family_notifications SET status = %s, last_error = %s WHERE id = %s",
                     ("failed" if final else "pending", str(error)[:500], row["id"]))
        if final:
            _note(conn, row, f"could not be sent after {at.attempt} attempts ({error})", at.now)


def _uncertain(conn: psycopg.Connection, row: dict, outbox_id: int, channel: str, attempt: int, reason: str,
               now: datetime) -> None:
    log.warning("family notification %d via %s is uncertain: %s", row["id"], channel, reason)
    with conn.transaction():
        _log(conn, outbox_id, channel, attempt, now, ok=False, permanent=True, error=f"uncertain: {reason}")
        conn.execute("UPDATE family_notifications SET status = 'uncertain', last_error = %s WHERE id = %s",
                     (reason[:500], row["id"]))
        _note(conn, row, f"by {channel} may not have arrived ({reason}). Please phone them", now)


def _give_up(conn: psycopg.Connection, row: dict, reason: str, now: datetime) -> None:
    with conn.transaction():
        conn.execute("UPDATE family_notifications SET status = 'failed', last_error = %s WHERE id = %s",
                     (reason, row["id"]))
        _note(conn, row, f"could not be sent: {reason}", now)


def _skip(conn: psycopg.Connection, notification_id: int, reason: str) -> None:
    conn.execute("UPDATE family_notifications SET status = 'skipped', last_error = %s WHERE id = %s",
                 (reason, notification_id))


def _note(conn: psycopg.Connection, row: dict, what: str, now: datetime) -> None:
    """Put a notification problem on the alert's audit trail, so the console shows it and an operator can act."""
    relative = messages.first_name(row["relative_name"], None)
    text = f"Message to relative {relative} (family:{row['family_member_id']}) {what}."
    with contextlib.suppress(TransitionRefused):  # resolved: the notification row still says what happened
        engine.act(conn, row["alert_id"], Note(actor="hub", at=now, text=text))
