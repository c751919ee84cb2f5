"""Real local servers the family-notification tests send to: an SMTP server (aiosmtpd), and one HTTP server
standing for both the SMS gateway (which deduplicates on the idempotency key, as the hub expects of it) and
a web push service (which can say a subscription is gone)."""

from __future__ import annotations

import base64
import json
import os
import threading
from dataclasses import dataclass, field
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
from aiosmtpd.controller import Controller
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from hub.embedded import free_port


class Inbox:
    """aiosmtpd handler: keeps every accepted message; refuses mailboxes that start with 'nobody@'."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if address.startswith("nobody@"):
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(message_from_bytes(envelope.content, policy=email_policy.default))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(self) -> None:
        self.inbox = Inbox()
        self.port = free_port()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()


@dataclass
class HttpRequest:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class FarEnd:
    """What the HTTP side received, and how it answers."""

    requests: list[HttpRequest] = field(default_factory=list)
    sms_delivered: dict[str, dict[str, Any]] = field(default_factory=dict)  # idempotency key -> first text
    refuse_numbers: dict[str, int] = field(default_factory=dict)  # phone number -> status code
    push_status: dict[str, int] = field(default_factory=dict)  # push path -> status code
    lock: threading.Lock = field(default_factory=threading.Lock)

    def sms_requests(self) -> list[HttpRequest]:
        return [r for r in self.requests if r.path == "/sms"]

    def push_requests(self) -> list[HttpRequest]:
        return [r for r in self.requests if r.path.startswith("/push/")]


class HttpFarEnd:
    """SMS gateway at /sms, push service at /push/<name>, on a free port, in a thread."""

    def __init__(self) -> None:
        self.state = FarEnd()
        state = self.state

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                request = HttpRequest(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                with state.lock:
                    state.requests.append(request)
                    status, answer = self._answer(request)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _answer(self, request: HttpRequest) -> tuple[int, dict[str, Any]]:
                if request.path == "/sms":
                    text = request.json()
                    if text["to"] in state.refuse_numbers:
                        return state.refuse_numbers[text["to"]], {"error": "invalid number"}
                    key = request.headers.get("idempotency-key", "")
                    if key in state.sms_delivered:
                        return 200, {"status": "duplicate"}  # already sent to the phone: not again
                    state.sms_delivered[key] = text
                    return 202, {"status": "queued"}
                if request.path.startswith("/push/"):
                    return state.push_status.get(request.path, 201), {}
                return 404, {}

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_port}"

    @property
    def sms_url(self) -> str:
        return self.base_url + "/sms"

    def __enter__(self) -> HttpFarEnd:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass
class PushClient:
    """A browser's side of a push subscription: it can read what the hub encrypted for it."""

    endpoint: str
    private_key: ec.EllipticCurvePrivateKey
    auth_secret: bytes

    @classmethod
    def create(cls, endpoint: str) -> PushClient:
        return cls(endpoint, ec.generate_private_key(ec.SECP256R1()), os.urandom(16))

    def subscription(self) -> str:
        public = self.private_key.public_key().public_bytes(serialization.Encoding.X962,
                                                            serialization.PublicFormat.UncompressedPoint)
        return json.dumps({"endpoint": self.endpoint, "keys": {"p256dh": _b64(public), "auth": _b64(self.auth_secret)}})

    def read(self, body: bytes) -> dict[str, Any]:
        return json.loads(http_ece.decrypt(body, private_key=self.private_key, auth_secret=self.auth_secret,
                                           version="aes128gcm"))


def vapid_private_key() -> str:
    """A fresh VAPID key in the raw base64url form VAPID_PRIVATE_KEY takes."""
    key = ec.generate_private_key(ec.SECP256R1())
    return _b64(key.private_numbers().private_value.to_bytes(32, "big"))
