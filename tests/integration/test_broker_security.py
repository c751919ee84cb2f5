"""The production broker config against a real Mosquitto: TLS only, per-home identities, the ACL.

The broker runs config/mosquitto/mosquitto.conf itself, with only its paths and ports rewritten to a
temporary directory and free loopback ports, and the files `hub provision-*` write: CA, server
certificate, CRL, password file and ACL. Every refusal is shown next to the allowed path, so a broker
that refused everything would fail these tests as surely as one that allowed everything.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import ssl
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.reasoncodes import ReasonCode

from hub.broker_auth import pki
from hub.broker_auth.provision import BrokerFiles, provision_account, provision_ca, provision_home, revoke
from hub.embedded import free_port, wait_for_port
from simulators.homes import home_specs

pytestmark = pytest.mark.integration

PRODUCTION_CONF = Path(__file__).resolve().parents[2] / "config" / "mosquitto" / "mosquitto.conf"
NOT_AUTHORIZED = 0x87
HOST = "127.0.0.1"  # in the server certificate as an IP address
# Homes the `homes` fixture registers (tests/conftest.py) plus ones only these tests use.
REGISTERED = [spec.home_id for spec in home_specs(3, seed=7, heartbeat_interval_s=300)]
HOME_A, HOME_B = "home-a", "home-b"
REVOKED_BY_CERT, REVOKED_BY_PASSWORD = "home-cert-revoked", "home-password-revoked"


def _wait_for(predicate: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:.0f}s")
        time.sleep(0.05)


# -- the broker -------------------------------------------------------------------------------------


def render_production_config(conf: str, root: Path, password_port: int, certificate_port: int) -> str:
    """The production config with its container paths under `root` and its listeners on loopback ports.
    Each rewrite must apply exactly where expected, so a reshaped config fails here, not silently."""
    rewrites = [
        (r"^listener 8883$", f"listener {password_port} {HOST}", 1),
        (r"^listener 8884$", f"listener {certificate_port} {HOST}", 1),
        (r"/mosquitto/config/", f"{root}/config/", 2),
        (r"/mosquitto/certs/", f"{root}/certs/", 7),
        (r"/mosquitto/data/", f"{root}/data/", 1),
    ]
    for pattern, replacement, expected in rewrites:
        conf, count = re.subn(pattern, replacement, conf, flags=re.MULTILINE)
        assert count == expected, f"{pattern!r} matched {count} times in mosquitto.conf, expected {expected}"
    if os.geteuid() == 0:
        conf += "\nuser root\n"  # as root Mosquitto would drop to a user that cannot read the tmp files
    return conf


def listener_blocks(conf: str) -> dict[str, list[str]]:
    """listener line → the directives that follow it, up to the next listener."""
    blocks: dict[str, list[str]] = {}
    current: list[str] | None = None
    for raw in conf.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("listener "):
            current = blocks.setdefault(line, [])
        elif current is not None:
            current.append(line)
    return blocks


@dataclass
class SecureBroker:
    files: BrokerFiles
    password_port: int
    certificate_port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    passwords: dict[str, str] = field(default_factory=dict)

    def reload(self) -> None:
        """SIGHUP: Mosquitto re-reads the password file, ACL and CRL."""
        self.process.send_signal(signal.SIGHUP)

    def client_files(self, username: str) -> tuple[str, str]:
        key, cert = self.files.client(username)
        return str(cert), str(key)

    def url(self, **tls_files: str) -> str:
        query = "&".join(f"{name}={value}" for name, value in {"ca_file": str(self.files.ca_certificate),
                                                                **tls_files}.items())
        port = self.certificate_port if "cert_file" in tls_files else self.password_port
        return f"mqtts://{HOST}:{port}?{query}"


@pytest.fixture(scope="module")
def secure_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureBroker]:
    if shutil.which("mosquitto") is None:
        if os.environ.get("CI"):
            raise RuntimeError("the mosquitto binary is missing; .ci/run installs it")
        pytest.skip("mosquitto is not installed")
    root = tmp_path_factory.mktemp("secure-broker")
    files = BrokerFiles(root / "config" / "passwd", root / "config" / "acl", root / "certs")
    provision_ca(files, broker_hosts=[HOST, "localhost"], console_hosts=["localhost"])
    passwords = {"hub": provision_account(files, "hub").password}
    for home_id in [*REGISTERED, HOME_A, HOME_B, REVOKED_BY_CERT, REVOKED_BY_PASSWORD]:
        passwords[home_id] = provision_home(files, home_id, certificate=True).password
    (root / "data").mkdir()
    password_port, certificate_port = free_port(), free_port()
    conf_path = root / "mosquitto.conf"
    conf_path.write_text(render_production_config(PRODUCTION_CONF.read_text(), root, password_port,
                                                  certificate_port))
    log_path = root / "mosquitto.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(["mosquitto", "-c", str(conf_path)], stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_port(HOST, password_port)
        wait_for_port(HOST, certificate_port)
    except TimeoutError:
        process.kill()
        raise AssertionError(f"mosquitto did not start:\n{log_path.read_text()}") from None
    broker = SecureBroker(files, password_port, certificate_port, process, log_path, passwords)
    yield broker
    process.terminate()
    process.wait(10)


# -- clients ----------------------------------------------------------------------------------------


class Refused(Exception):
    """The broker did not let this client in (TLS handshake, CONNACK, or a dropped connection)."""


class Client:
    """A bare paho MQTT 5 client that records everything: CONNACK, SUBACK and PUBACK reason codes and
    messages. No reconnects: a refusal stays a refusal."""

    def __init__(self, port: int, *, ca_file: str | None, username: str | None = None,
                 password: str | None = None, cert_file: str | None = None, key_file: str | None = None,
                 use_tls: bool = True) -> None:
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"sec-{uuid.uuid4().hex[:10]}",
                                  protocol=mqtt.MQTTv5, reconnect_on_failure=False)
        if use_tls:
            self.client.tls_set(ca_certs=ca_file, certfile=cert_file, keyfile=key_file,
                                tls_version=ssl.PROTOCOL_TLS_CLIENT)
        if username is not None:
            self.client.username_pw_set(username, password)
        self.messages: list[tuple[str, bytes]] = []
        self.acks: dict[int, list[ReasonCode]] = {}
        self.connack: ReasonCode | None = None
        self.disconnected = threading.Event()
        self._answered = threading.Event()
        self._lock = threading.Lock()
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda _c, _u, mid, codes, _p: self._acked(mid, list(codes))
        self.client.on_publish = lambda _c, _u, mid, code, _p: self._acked(mid, [code])
        try:
            self.client.connect(HOST, port, keepalive=30)
        except (OSError, ssl.SSLError) as exc:  # a TLS refusal can surface during the handshake itself
            raise Refused(f"connect failed: {exc!r}") from exc
        self.client.loop_start()
        if not self._answered.wait(10):
            self.close()
            raise AssertionError("the broker neither accepted nor refused the connection")
        if self.connack is None or self.connack.is_failure:
            self.close()
            raise Refused(f"CONNACK {self.connack}" if self.connack else "connection dropped before CONNACK")

    def _on_connect(self, _c: mqtt.Client, _u: object, _f: object, code: ReasonCode, _p: object) -> None:
        self.connack = code
        self._answered.set()

    def _on_disconnect(self, _c: mqtt.Client, _u: object, _f: object, _code: object, _p: object) -> None:
        self.disconnected.set()
        self._answered.set()

    def _on_message(self, _c: mqtt.Client, _u: object, message: mqtt.MQTTMessage) -> None:
        with self._lock:
            self.messages.append((message.topic, message.payload))

    def _acked(self, mid: int, codes: list[ReasonCode]) -> None:
        with self._lock:
            self.acks[mid] = codes

    def _wait_ack(self, mid: int) -> list[ReasonCode]:
        _wait_for(lambda: mid in self.acks, f"ack of message {mid}")
        return self.acks[mid]

    def subscribe(self, topic: str) -> ReasonCode:
        _result, mid = self.client.subscribe(topic, qos=1)
        [code] = self._wait_ack(mid)
        return code

    def publish(self, topic: str, payload: bytes = b"{}") -> ReasonCode:
        info = self.client.publish(topic, payload, qos=1)
        [code] = self._wait_ack(info.mid)
        return code

    def received(self, topic_part: str) -> list[str]:
        with self._lock:
            return [topic for topic, _ in self.messages if topic_part in topic]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def connects(port: int, **credentials: object) -> bool:
    """True when the broker accepts a connection with these credentials."""
    try:
        Client(port, **credentials).close()  # type: ignore[arg-type]
    except Refused:
        return False
    return True


@pytest.fixture
def ca(secure_broker: SecureBroker) -> str:
    return str(secure_broker.files.ca_certificate)


@pytest.fixture
def hub_client(secure_broker: SecureBroker, ca: str) -> Iterator[Client]:
    """The hub's own account, subscribed to every home as `hub ingest` is."""
    client = Client(secure_broker.password_port, ca_file=ca, username="hub", password=secure_broker.passwords["hub"])
    assert not client.subscribe("tec/v1/#").is_failure
    yield client
    client.close()


def home_client(broker: SecureBroker, ca: str, home_id: str, transport: str) -> Client:
    if transport == "certificate":
        cert, key = broker.client_files(home_id)
        return Client(broker.certificate_port, ca_file=ca, cert_file=cert, key_file=key)
    return Client(broker.password_port, ca_file=ca, username=home_id, password=broker.passwords[home_id])


# -- the listeners ----------------------------------------------------------------------------------


def test_production_config_has_only_tls_listeners_and_no_anonymous_access() -> None:
    conf = PRODUCTION_CONF.read_text()
    blocks = listener_blocks(conf)

    assert set(blocks) == {"listener 8883", "listener 8884"}
    for directives in blocks.values():
        for needed in ("cafile /mosquitto/certs/ca.crt", "certfile /mosquitto/certs/server.crt",
                       "keyfile /mosquitto/certs/server.key"):
            assert needed in directives
    assert {"require_certificate true", "use_identity_as_username true",
            "crlfile /mosquitto/certs/ca.crl"} <= set(blocks["listener 8884"])
    assert re.search(r"^allow_anonymous false$", conf, re.MULTILINE)
    assert not re.search(r"^(port|bind_address) ", conf, re.MULTILINE)  # no listener outside the blocks


@pytest.mark.parametrize("listener", ["password", "certificate"])
def test_plaintext_mqtt_is_refused_on_every_listener(secure_broker: SecureBroker, ca: str, listener: str) -> None:
    port = secure_broker.password_port if listener == "password" else secure_broker.certificate_port
    cert, key = secure_broker.client_files(HOME_A)
    tls_credentials = (dict(username=HOME_A, password=secure_broker.passwords[HOME_A]) if listener == "password"
                       else dict(cert_file=cert, key_file=key))

    assert connects(port, ca_file=ca, **tls_credentials)
    assert not connects(port, ca_file=None, use_tls=False, username=HOME_A,
                        password=secure_broker.passwords[HOME_A])


def test_anonymous_clients_are_refused(secure_broker: SecureBroker, ca: str) -> None:
    assert connects(secure_broker.password_port, ca_file=ca, username=HOME_A, password=secure_broker.passwords[HOME_A])
    assert not connects(secure_broker.password_port, ca_file=ca)
    assert not connects(secure_broker.certificate_port, ca_file=ca)  # no client certificate


def test_a_wrong_password_is_refused(secure_broker: SecureBroker, ca: str) -> None:
    right = secure_broker.passwords[HOME_A]

    assert connects(secure_broker.password_port, ca_file=ca, username=HOME_A, password=right)
    assert not connects(secure_broker.password_port, ca_file=ca, username=HOME_A, password=right[:-1] + "x")
    assert not connects(secure_broker.password_port, ca_file=ca, username=HOME_A,
                        password=secure_broker.passwords[HOME_B])  # another home's password
    assert not connects(secure_broker.password_port, ca_file=ca, username="home-unknown", password=right)


def test_a_certificate_from_another_ca_is_refused(secure_broker: SecureBroker, ca: str, tmp_path: Path) -> None:
    intruder = pki.create_authority("Intruder CA")
    key, certificate = pki.issue(intruder, HOME_A)  # the right name, the wrong signer
    pki.save_key(tmp_path / "intruder.key", key)
    pki.save_certificate(tmp_path / "intruder.crt", certificate)
    cert, genuine_key = secure_broker.client_files(HOME_A)

    assert connects(secure_broker.certificate_port, ca_file=ca, cert_file=cert, key_file=genuine_key)
    assert not connects(secure_broker.certificate_port, ca_file=ca, cert_file=str(tmp_path / "intruder.crt"),
                        key_file=str(tmp_path / "intruder.key"))


def test_the_broker_is_checked_against_the_repo_ca(secure_broker: SecureBroker, tmp_path: Path) -> None:
    other_ca = tmp_path / "other-ca.crt"
    pki.save_certificate(other_ca, pki.create_authority("Some other CA").certificate)
    password = secure_broker.passwords[HOME_A]

    assert connects(secure_broker.password_port, ca_file=str(secure_broker.files.ca_certificate),
                    username=HOME_A, password=password)
    assert not connects(secure_broker.password_port, ca_file=str(other_ca), username=HOME_A, password=password)


# -- the ACL ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("transport", ["password", "certificate"])
def test_a_home_cannot_publish_as_another_home(secure_broker: SecureBroker, ca: str, hub_client: Client,
                                               transport: str) -> None:
    device = f"dev-{uuid.uuid4().hex[:8]}"  # this test's messages only
    home = home_client(secure_broker, ca, HOME_A, transport)
    forbidden = [f"tec/v1/{HOME_B}/{device}/event", f"tec/v1/{HOME_B}/status",
                 f"tec/v1/{HOME_A}/{device}/ack", f"tec/v1/{HOME_B}/{device}/ack"]
    try:
        codes = {topic: home.publish(topic) for topic in forbidden}
        allowed = home.publish(f"tec/v1/{HOME_A}/{device}/event")
    finally:
        home.close()

    assert {topic: code.value for topic, code in codes.items()} == dict.fromkeys(forbidden, NOT_AUTHORIZED)
    assert not allowed.is_failure
    # The allowed message was published last; once it is here, anything earlier would be too.
    _wait_for(lambda: hub_client.received(f"/{device}/event"), "the home's own event at the hub")
    assert hub_client.received(device) == [f"tec/v1/{HOME_A}/{device}/event"]


@pytest.mark.parametrize("transport", ["password", "certificate"])
def test_a_home_receives_nothing_outside_its_own_acks(secure_broker: SecureBroker, ca: str, hub_client: Client,
                                                      transport: str) -> None:
    """Mosquitto 2.0 enforces the ACL file's read rules on every message it delivers, retained ones included,
    not on the SUBSCRIBE itself (its file ACL grants every SUBACK): a home may subscribe to `#`, and receives
    nothing but its own acks through it."""
    device = f"dev-{uuid.uuid4().hex[:8]}"
    other = home_client(secure_broker, ca, HOME_B, "password")
    home = home_client(secure_broker, ca, HOME_A, transport)
    wildcards = ["#", "tec/v1/#", "tec/v1/+/+/ack", f"tec/v1/{HOME_B}/+/ack", f"tec/v1/{HOME_B}/#",
                 f"tec/v1/{HOME_A}/#", f"tec/v1/{HOME_B}/status", f"tec/v1/{HOME_B}/{device}/event"]
    try:
        # Something to see in every forbidden place: a retained status, an event, an ack for home B.
        retained = other.client.publish(f"tec/v1/{HOME_B}/status", b'{"state":"online"}', qos=1, retain=True)
        assert not other._wait_ack(retained.mid)[0].is_failure
        codes = {topic: home.subscribe(topic) for topic in wildcards}
        own = home.subscribe(f"tec/v1/{HOME_A}/+/ack")
        assert not other.publish(f"tec/v1/{HOME_B}/{device}/event").is_failure
        assert not hub_client.publish(f"tec/v1/{HOME_B}/{device}/ack", b'{"seq":1}').is_failure
        # Home A's own ack goes last: once it has arrived, anything queued before it would have too.
        assert not hub_client.publish(f"tec/v1/{HOME_A}/{device}/ack", b'{"seq":2}').is_failure
        _wait_for(lambda: home.received(f"{HOME_A}/{device}/ack"), "the home's own ack")
        seen = [topic for topic, _ in home.messages]
        other.client.publish(f"tec/v1/{HOME_B}/status", b"", qos=1, retain=True).wait_for_publish(10)
    finally:
        home.close()
        other.close()

    assert not own.is_failure
    assert all(code.value in (1, NOT_AUTHORIZED) for code in codes.values()), codes
    # Every matching subscription delivers its own copy of the home's ack; nothing else arrives.
    assert set(seen) == {f"tec/v1/{HOME_A}/{device}/ack"}
    assert hub_client.received(f"tec/v1/{HOME_B}/status")  # the status did exist to be leaked


def test_the_hub_account_reads_every_home_and_writes_only_acks(secure_broker: SecureBroker, ca: str,
                                                               hub_client: Client) -> None:
    device = f"dev-{uuid.uuid4().hex[:8]}"
    for home_id in (HOME_A, HOME_B):
        home = home_client(secure_broker, ca, home_id, "password")
        try:
            assert not home.publish(f"tec/v1/{home_id}/{device}/event").is_failure
        finally:
            home.close()

    _wait_for(lambda: len(hub_client.received(device)) == 2, "both homes' events at the hub")
    assert hub_client.publish(f"tec/v1/{HOME_A}/{device}/event").value == NOT_AUTHORIZED  # no forged events
    assert not hub_client.publish(f"tec/v1/{HOME_A}/{device}/ack").is_failure


# -- revocation -------------------------------------------------------------------------------------


def test_a_revoked_certificate_is_refused_after_reload(secure_broker: SecureBroker, ca: str,
                                                       tmp_path: Path) -> None:
    cert, key = secure_broker.client_files(REVOKED_BY_CERT)
    kept_cert, kept_key = shutil.copy(cert, tmp_path / "unit.crt"), shutil.copy(key, tmp_path / "unit.key")
    with_kept = dict(ca_file=ca, cert_file=str(kept_cert), key_file=str(kept_key))
    assert connects(secure_broker.certificate_port, **with_kept)

    result = revoke(secure_broker.files, REVOKED_BY_CERT)
    secure_broker.reload()

    assert result.revoked_serials == [pki.load_certificate(Path(kept_cert)).serial_number]
    _wait_for(lambda: not connects(secure_broker.certificate_port, **with_kept), "refusal of the revoked certificate")
    cert_a, key_a = secure_broker.client_files(HOME_A)
    assert connects(secure_broker.certificate_port, ca_file=ca, cert_file=cert_a, key_file=key_a)  # others still in


def test_a_revoked_password_is_refused_and_its_connection_dropped(secure_broker: SecureBroker, ca: str) -> None:
    password = secure_broker.passwords[REVOKED_BY_PASSWORD]
    credentials = dict(ca_file=ca, username=REVOKED_BY_PASSWORD, password=password)
    connected = Client(secure_broker.password_port, **credentials)  # type: ignore[arg-type]
    try:
        revoke(secure_broker.files, REVOKED_BY_PASSWORD)
        secure_broker.reload()

        assert connected.disconnected.wait(10), "the revoked home kept its connection after the reload"
    finally:
        connected.close()
    assert not connects(secure_broker.password_port, **credentials)
    assert connects(secure_broker.password_port, ca_file=ca, username=HOME_A, password=secure_broker.passwords[HOME_A])


# -- end to end -------------------------------------------------------------------------------------


def test_the_hub_ingests_and_acks_over_tls_for_password_and_certificate_homes(
        secure_broker: SecureBroker, db_url: str, conn, homes) -> None:
    from hub.settings import Settings
    from ingest.consumer import IngestService
    from simulators.unit import HomeUnit

    settings = Settings(
        mqtt_url=f"mqtts://{HOST}:{secure_broker.password_port}", mqtt_ca_file=str(secure_broker.files.ca_certificate),
        mqtt_username="hub", mqtt_password=secure_broker.passwords["hub"],
        mqtt_client_id=f"hub-test-{uuid.uuid4().hex[:8]}", mqtt_protocol="5", ingest_batch_wait_ms=2,
    )
    assert settings.mqtt_url is not None
    service = IngestService(settings, db_url, settings.mqtt_url)
    service.start()
    by_password, by_certificate = homes[0], homes[1]
    cert, key = secure_broker.client_files(by_certificate.home_id)
    units = [
        HomeUnit(by_password.home_id, secure_broker.url(), password=secure_broker.passwords[by_password.home_id]),
        HomeUnit(by_certificate.home_id, secure_broker.url(cert_file=cert, key_file=key)),
    ]
    try:
        assert service.connected.wait(15), "ingest did not connect to the TLS broker"
        for unit in units:
            unit.start()
            assert unit.wait_connected(15), f"{unit.home_id} did not connect: {unit.last_connect_error}"
        for unit, spec in zip(units, (by_password, by_certificate), strict=True):
            unit.send(spec.find("pendant").device_id, "pendant_press")
        _wait_for(lambda: all(unit.acked == 1 for unit in units), "the hub's acks after commit", timeout=20)
    finally:
        for unit in units:
            unit.stop()
        service.stop()

    stored = conn.execute("SELECT home_id, type FROM events WHERE type = 'pendant_press' ORDER BY home_id").fetchall()
    assert stored == sorted([(by_password.home_id, "pendant_press"), (by_certificate.home_id, "pendant_press")])
