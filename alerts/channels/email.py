"""Email channel: a family message over SMTP (SMTP_URL, e.g. `smtp://user:pass@mail.example:587?starttls=1`,
`smtps://mail.example` or `smtp://mail.example:465?ssl=1`).

SMTP servers do not deduplicate, so a resend after a crash could reach a relative twice. The caller
therefore commits the notification as 'sending' before calling `notify`, and never resends an email found
in that state; the Message-ID is still deterministic (`<hub-family-<id>@domain>`) so any copy can be told
apart. The SMTP steps are taken one at a time so a failure says which side of the line it fell on:
- refused before the message data (connection, login, sender, a 4xx for the recipient): retryable;
- 5xx for the recipient (no such mailbox): permanent, the address is wrong;
- the connection lost once the data had started: `MaybeSent`, since the server may have kept it.

Payload the caller puts in `Message.payload`: to, subject, body, idempotency_key, language.
"""

from __future__ import annotations

import contextlib
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import formatdate, parseaddr
from typing import Literal
from urllib.parse import parse_qs, unquote, urlsplit

from alerts.channels import DeliveryError, Message
from hub.settings import Settings

TIMEOUT_S = 20.0  # the outbox worker waits this long at most for a mail server that has stopped answering
_TRUE = {"1", "true", "yes", "on"}


class MaybeSent(DeliveryError):
    """The server may or may not have accepted the message: it must not be sent again (so: not retryable),
    though the address is not known to be wrong."""

    def __init__(self, message: str) -> None:
        super().__init__(message, permanent=True)


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    security: Literal["plain", "starttls", "ssl"]
    username: str | None
    password: str | None


def parse_smtp_url(url: str) -> SmtpTarget:
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("SMTP_URL must look like smtp://[user:pass@]host[:port][?starttls=1|ssl=1] or smtps://...")
    query = {key: values[-1].lower() for key, values in parse_qs(parts.query).items()}
    security: Literal["plain", "starttls", "ssl"] = "plain"
    if parts.scheme == "smtps" or query.get("ssl") in _TRUE:
        security = "ssl"
    elif query.get("starttls") in _TRUE:
        security = "starttls"
    port = parts.port or (465 if security == "ssl" else 587 if security == "starttls" else 25)
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password else None
    return SmtpTarget(parts.hostname, port, security, username, password)


def message_id(key: str, settings: Settings) -> str:
    domain = parseaddr(settings.smtp_from)[1].rpartition("@")[2] or "localhost"
    return f"<{key}@{domain}>"


def build_email(message: Message, settings: Settings) -> EmailMessage:
    payload = message.payload
    email = EmailMessage()
    email["From"] = settings.smtp_from
    email["To"] = payload["to"]
    email["Subject"] = payload["subject"]
    email["Date"] = formatdate(usegmt=True)
    email["Message-ID"] = message_id(payload["idempotency_key"], settings)
    email["Auto-Submitted"] = "auto-generated"  # tells mail servers not to send out-of-office replies
    email.set_content(payload["body"], charset="utf-8")
    email["Content-Language"] = str(payload.get("language", "en")).replace("_", "-")  # after: set_content clears it
    return email


def _refused(step: str, code: int, reply: bytes, *, address_problem: bool = False) -> DeliveryError:
    text = f"SMTP {step} refused with {code}: {reply.decode('utf-8', 'replace')[:200]}"
    return DeliveryError(text, permanent=address_problem and 500 <= code < 600)


def _connect(target: SmtpTarget) -> smtplib.SMTP:
    if target.security == "ssl":
        return smtplib.SMTP_SSL(target.host, target.port, timeout=TIMEOUT_S, context=ssl.create_default_context())
    return smtplib.SMTP(target.host, target.port, timeout=TIMEOUT_S)


def _prepare(client: smtplib.SMTP, target: SmtpTarget, sender: str, recipient: str) -> None:
    """Everything before the message data: a failure here means nothing was accepted."""
    client.ehlo()
    if target.security == "starttls":
        client.starttls(context=ssl.create_default_context())
        client.ehlo()
    if target.username:
        client.login(target.username, target.password or "")
    code, reply = client.mail(sender)
    if code != 250:
        raise _refused("MAIL FROM", code, reply)
    code, reply = client.rcpt(recipient)
    if code not in (250, 251):
        raise _refused("RCPT TO", code, reply, address_problem=True)


def notify(message: Message, settings: Settings) -> None:
    if not settings.smtp_url:
        raise DeliveryError("SMTP_URL is not set", permanent=False)
    try:
        target = parse_smtp_url(settings.smtp_url)
    except ValueError as exc:
        raise DeliveryError(str(exc), permanent=False) from exc
    recipient = str(message.payload.get("to", "")).strip()
    if "@" not in recipient:
        raise DeliveryError(f"not an email address: {recipient!r}", permanent=True)
    email = build_email(message, settings)
    sender = parseaddr(settings.smtp_from)[1] or "no-reply@localhost"
    try:
        client = _connect(target)
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(f"SMTP server unreachable: {exc}", permanent=False) from exc
    try:
        try:
            _prepare(client, target, sender, recipient)
        except DeliveryError:
            raise
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"SMTP failed before sending: {type(exc).__name__}: {exc}", permanent=False) from exc
        try:
            code, reply = client.data(email.as_bytes(policy=SMTP_POLICY))  # CRLF line ends, as SMTP wants
        except smtplib.SMTPDataError as exc:  # DATA itself refused: nothing was transferred
            raise DeliveryError(f"SMTP DATA refused with {exc.smtp_code}", permanent=False) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise MaybeSent(f"connection lost while the message was being sent: {type(exc).__name__}: {exc}") from exc
        if code != 250:
            raise _refused("message", code, reply)
    finally:
        with contextlib.suppress(OSError, smtplib.SMTPException):
            client.quit()
        client.close()
