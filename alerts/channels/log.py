"""The operations log channel: every escalation is written to the hub's log, always on, so a
supervisor watching the logs sees escalations even when no external channel is configured."""

from __future__ import annotations

import logging

from alerts.channels import Message
from hub.settings import Settings

log = logging.getLogger("hub.notifications")


def notify(message: Message, settings: Settings) -> None:
    log.warning("%s (outbox %d)", message.text, message.outbox_id)
