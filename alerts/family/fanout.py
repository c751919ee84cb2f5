"""Fan-out: an `alert.raised` outbox row becomes, in one transaction, a `family_notifications` row per relative
to be told (alerts/family/policy.py decides who) and a `family.notify` outbox row for each that is to go.

Run again after a crash (the outbox row is claimed again), it creates nothing new: notifications are unique
per (alert, relative) and the outbox rows carry `dedup_key = family:<alert>:<relative>`. A message held for
quiet hours is an outbox row that only becomes due when they end.

Only `alert.raised` fans out. The schema holds one message per alert per relative, and relatives are not
sent follow-ups (acknowledged, escalated, resolved): the family page shows how things stand, and a stream
of texts about one event is what families asked us not to send.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime

import psycopg

from alerts.channels import DeliveryError, Message
from alerts.family import policy
from alerts.family.messages import catalogues
from hub.settings import Settings

log = logging.getLogger(__name__)
TOPIC = "family.notify"

_ALERT = "SELECT resident_id, kind, priority FROM alerts WHERE id = %s"
_MEMBERS = """
SELECT id, language, consent_given_at, consent_withdrawn_at, alert_kinds, quiet_start, quiet_end, timezone
FROM family_members WHERE resident_id = %s ORDER BY id
"""
_CHANNELS = """
SELECT id, family_member_id, channel, position, enabled FROM family_channels
WHERE family_member_id = ANY(%s) ORDER BY position, id
"""
_NOTIFICATION = """
INSERT INTO family_notifications (alert_id, family_member_id, language, status, hold_until, last_error, created_at)
VALUES (%s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (alert_id, family_member_id) DO NOTHING
RETURNING id
"""
_OUTBOX = """
INSERT INTO outbox (topic, alert_id, payload, available_at, dedup_key, created_at)
VALUES (%s, %s, %s, %s, %s, %s)
ON CONFLICT (dedup_key) WHERE dedup_key IS NOT NULL DO NOTHING
RETURNING id
"""


def dedup_key(alert_id: int, member_id: int) -> str:
    return f"family:{alert_id}:{member_id}"


def load_members(conn: psycopg.Connection, resident_id: str) -> tuple[list[policy.Member], dict[int, str]]:
    """The resident's relatives with their channels, and each one's language tag."""
    rows = conn.execute(_MEMBERS, (resident_id,)).fetchall()
    channels: dict[int, list[policy.Channel]] = {}
    for channel_id, member_id, channel, position, enabled in conn.execute(_CHANNELS, ([r[0] for r in rows],)):
        channels.setdefault(member_id, []).append(policy.Channel(channel_id, channel, position, enabled))
    members = [
        policy.Member(id=r[0], consent_given_at=r[2], consent_withdrawn_at=r[3], alert_kinds=tuple(r[4] or ()),
                      quiet_start=r[5], quiet_end=r[6], timezone=r[7], channels=tuple(channels.get(r[0], ())))
        for r in rows
    ]
    return members, {r[0]: r[1] for r in rows}


def fan_out(conn: psycopg.Connection, alert_id: int, now: datetime) -> int:
    """Create the notifications for one alert. Returns how many messages were queued (held ones included)."""
    queued = 0
    with conn.transaction():
        alert = conn.execute(_ALERT, (alert_id,)).fetchone()
        if alert is None or alert[0] is None or not policy.offered_to_families(alert[1]):
            return 0
        resident_id, kind, priority = alert
        members, languages = load_members(conn, resident_id)
        for decision in policy.decide(kind, priority, now, members):
            language = catalogues().resolve(languages[decision.member_id])
            row = conn.execute(_NOTIFICATION, (
                alert_id, decision.member_id, language, decision.status, decision.hold_until,
                decision.reason if decision.status == "skipped" else None, now)).fetchone()
            if row is None or decision.status == "skipped":
                continue  # already fanned out before a crash, or nobody to send to
            outbox = conn.execute(_OUTBOX, (
                TOPIC, alert_id, json.dumps({"notification_id": row[0]}), decision.hold_until or now,
                dedup_key(alert_id, decision.member_id), now)).fetchone()
            if outbox is not None:
                conn.execute("UPDATE family_notifications SET outbox_id = %s WHERE id = %s", (outbox[0], row[0]))
                queued += 1
    if queued:
        log.info("alert %d: %d family messages queued", alert_id, queued)
    return queued


def handle(conn: psycopg.Connection, message: Message, settings: Settings, attempt: int,
           now: datetime) -> list[DeliveryError]:
    """Outbox hook for `alert.raised`."""
    if policy.offered_to_families(str(message.payload.get("kind", ""))):
        fan_out(conn, int(message.payload["alert_id"]), now)
    return []
