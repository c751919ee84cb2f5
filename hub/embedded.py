"""Embedded services for a first run with nothing installed: PostgreSQL from the `pgserver` package
and an MQTT broker from `amqtt`. For demos and development only; production refuses them.

Both listen where they cannot collide with the machine's own services: PostgreSQL on a Unix socket in
its own data directory, the broker on a free loopback port.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def wait_for_port(host: str, port: int, timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing is listening on {host}:{port} after {timeout_s:.0f}s")


@dataclass
class EmbeddedPostgres:
    """A private PostgreSQL server; stopped when `stop()` is called or the process exits."""

    data_dir: Path
    url: str = ""
    remove_on_stop: bool = False
    _server: object | None = None

    def start(self) -> str:
        import pgserver  # imported here: only the demo needs it

        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._server = pgserver.get_server(self.data_dir, cleanup_mode="stop")
        self.url = self._server.get_uri()  # type: ignore[attr-defined]
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.cleanup()  # type: ignore[attr-defined]
            self._server = None
        if self.remove_on_stop:
            shutil.rmtree(self.data_dir.parent, ignore_errors=True)


def embedded_postgres(base_dir: Path | None = None) -> EmbeddedPostgres:
    root = Path(tempfile.mkdtemp(prefix="hub-pg-", dir=base_dir))
    return EmbeddedPostgres(root / "pgdata", remove_on_stop=True)


class EmbeddedBroker:
    """amqtt in a child process, so its event loop never competes with the hub's own threads."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"mqtt://127.0.0.1:{self.port}"
        self._process: subprocess.Popen[bytes] | None = None
        self.log_path = Path(tempfile.mkdtemp(prefix="hub-broker-")) / "amqtt.log"

    def start(self) -> str:
        # Its own session: a Ctrl-C in the terminal reaches the demo, which stops the broker last.
        with self.log_path.open("ab") as log_file:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "hub.embedded", str(self.port)],
                stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True,
            )
        try:
            wait_for_port("127.0.0.1", self.port)
        except TimeoutError as exc:
            self.stop()
            raise TimeoutError(f"the embedded broker did not start; see {self.log_path}") from exc
        return self.url

    def stop(self) -> None:
        if self._process and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(5)
            except subprocess.TimeoutExpired:
                self._process.kill()
        self._process = None
        shutil.rmtree(self.log_path.parent, ignore_errors=True)


MOSQUITTO_TEST_CONF = Path(__file__).resolve().parents[1] / "config" / "mosquitto" / "test.conf"


class PrivateMosquitto:
    """A Mosquitto of our own on a free loopback port, with the project's test config (production queue
    limits, anonymous on loopback only); its persistence directory survives `restart()`."""

    def __init__(self) -> None:
        if shutil.which("mosquitto") is None:
            raise RuntimeError("the mosquitto binary is needed: apt-get install mosquitto")
        self.port = free_port()
        self.url = f"mqtt://127.0.0.1:{self.port}"
        self.dir = Path(tempfile.mkdtemp(prefix="hub-mosquitto-"))
        conf = MOSQUITTO_TEST_CONF.read_text()
        conf += f"\npersistence_location {self.dir}/\nlistener {self.port} 127.0.0.1\n"
        if os.geteuid() == 0:
            conf += "user root\n"  # as root, Mosquitto would otherwise drop to a user that cannot write here
        self.conf_path = self.dir / "mosquitto.conf"
        self.conf_path.write_text(conf)
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> str:
        with (self.dir / "mosquitto.log").open("ab") as log_file:  # the broker's own words, if it ever dies
            self.process = subprocess.Popen(["mosquitto", "-c", str(self.conf_path)],
                                            stdout=log_file, stderr=subprocess.STDOUT)
        wait_for_port("127.0.0.1", self.port)
        return self.url

    def exit_report(self) -> str | None:
        """None while the broker runs; otherwise its exit code and the end of its log."""
        if self.process is None or self.process.poll() is None:
            return None
        log_path = self.dir / "mosquitto.log"
        tail = log_path.read_text(errors="replace").splitlines()[-5:] if log_path.exists() else []
        return f"mosquitto exited with {self.process.returncode}: " + " | ".join(tail)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def _broker_config(port: int) -> dict:
    return {
        "listeners": {"default": {"type": "tcp", "bind": f"127.0.0.1:{port}", "max_connections": 0}},
        "plugins": {
            "amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True},
        },
    }


class _IterationSafeDict(dict):  # type: ignore[type-arg]
    """amqtt walks its subscription table while a connecting client can add to it, which kills that
    client's connection ("dictionary changed size during iteration"); iterate over a snapshot instead."""

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(list(self.keys()))


def run_broker(port: int) -> None:
    from amqtt.broker import Broker

    logging.basicConfig(level=logging.WARNING)

    async def main() -> None:
        broker = Broker(_broker_config(port))
        broker._subscriptions = _IterationSafeDict(broker._subscriptions)
        await broker.start()
        await asyncio.Event().wait()

    asyncio.run(main())


if __name__ == "__main__":
    run_broker(int(sys.argv[1]))
