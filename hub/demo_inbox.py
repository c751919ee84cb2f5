"""The demo's stand-ins for a mail server and an SMS gateway, so families' messages can be seen working
without any account: each email is kept as an .eml file and each text as a JSON line in one folder, and a
line is printed as each arrives. Used by `hub demo` only when SMTP_URL / SMS_GATEWAY_URL are not set.
"""

from __future__ import annotations

import json
import threading
from email import message_from_bytes
from email import policy as email_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from hub.embedded import free_port


class _MailFolder:
    """aiosmtpd handler: accept every message and keep it as a file."""

    def __init__(self, folder: Path, say: Any) -> None:
        self.folder, self.say = folder, say
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.count += 1
            path = self.folder / f"mail-{self.count:04d}.eml"
        path.write_bytes(envelope.content)
        message = message_from_bytes(envelope.content, policy=email_policy.default)
        self.say(f"family email to {', '.join(envelope.rcpt_tos)} [{message.get('Content-Language', '?')}]: "
                 f"{message.get('Subject', '')}  ({path})")
        return "250 Kept in the demo inbox"


class DemoInbox:
    def __init__(self, folder: Path, say: Any = print) -> None:
        self.folder = folder
        self.say = say
        self._smtp: Controller | None = None
        self._http: ThreadingHTTPServer | None = None
        self.smtp_url = ""
        self.sms_url = ""

    def start(self) -> DemoInbox:
        self.folder.mkdir(parents=True, exist_ok=True)
        smtp_port = free_port()
        self._smtp = Controller(_MailFolder(self.folder, self.say), hostname="127.0.0.1", port=smtp_port)
        self._smtp.start()
        self.smtp_url = f"smtp://127.0.0.1:{smtp_port}"
        self._http = ThreadingHTTPServer(("127.0.0.1", free_port()), self._sms_handler())
        threading.Thread(target=self._http.serve_forever, name="demo-sms", daemon=True).start()
        self.sms_url = f"http://127.0.0.1:{self._http.server_address[1]}/sms"
        return self

    def stop(self) -> None:
        if self._smtp is not None:
            self._smtp.stop()
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()

    def _sms_handler(self) -> type[BaseHTTPRequestHandler]:
        inbox = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    text = json.loads(body)
                except ValueError:
                    self.send_response(400)
                    self.end_headers()
                    return
                with (inbox.folder / "sms.jsonl").open("a") as out:
                    out.write(json.dumps(text, ensure_ascii=False) + "\n")
                inbox.say(f"family text to {text.get('to')}: {str(text.get('text', ''))[:120]}")
                self.send_response(202)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"status": "queued"}')

            def log_message(self, *_args: object) -> None:
                pass

        return Handler
