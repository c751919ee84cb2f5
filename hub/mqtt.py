"""Broker URLs and paho-mqtt clients configured the same way everywhere."""

from __future__ import annotations

import logging
import ssl
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BrokerAddress:
    host: str
    port: int
    tls: bool
    username: str | None = None
    password: str | None = None
    ca_file: str | None = None  # CA the broker's certificate must chain to (unset: the system's CAs)
    cert_file: str | None = None  # client certificate, for a broker listener that requires one
    key_file: str | None = None  # its private key (unset: inside cert_file)
    # Further nodes of a clustered broker (mqtt://h1:1883,h2:1883,...): tried in turn when one goes.
    others: tuple[tuple[str, int], ...] = ()

    @property
    def nodes(self) -> tuple[tuple[str, int], ...]:
        return ((self.host, self.port), *self.others)


# TLS files a URL may carry as query parameters, e.g. mqtts://broker:8883?ca_file=/certs/ca.crt, so
# every process handed the URL connects the same way (Settings folds MQTT_CA_FILE & co. into it).
TLS_FILE_PARAMETERS = ("ca_file", "cert_file", "key_file")


def parse_mqtt_url(url: str) -> BrokerAddress:
    """`mqtt://user:pass@host:1883`, `mqtts://host:8883?ca_file=...`, or the nodes of a broker cluster,
    `mqtt://host1:1883,host2:1883` → BrokerAddress."""
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts", "tcp", "ssl"):
        raise ValueError(f"MQTT_URL must start with mqtt:// or mqtts://, got {url!r}")
    tls = parts.scheme in ("mqtts", "ssl")
    files = _tls_files(parts.query)
    if files and not tls:
        raise ValueError(f"MQTT_URL carries TLS files ({', '.join(files)}) but is not mqtts://")
    credentials, _, hosts = parts.netloc.rpartition("@")
    default_port = 8883 if tls else 1883
    nodes = []
    for host in hosts.split(","):
        node = urlsplit(f"//{credentials}@{host}" if credentials else f"//{host}")
        try:
            port = node.port
        except ValueError:
            raise ValueError(f"MQTT_URL has a bad port in {host!r}") from None
        nodes.append((node.hostname or "127.0.0.1", port or default_port))
    return BrokerAddress(
        host=nodes[0][0],
        port=nodes[0][1],
        tls=tls,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        others=tuple(nodes[1:]),
        **files,
    )


def _tls_files(query: str) -> dict[str, str]:
    files = dict(parse_qsl(query, keep_blank_values=False, strict_parsing=False))
    unknown = sorted(set(files) - set(TLS_FILE_PARAMETERS))
    if unknown:
        raise ValueError(f"MQTT_URL has unknown parameters {unknown}; known: {', '.join(TLS_FILE_PARAMETERS)}")
    return files


def with_tls_files(url: str, *, ca_file: str | None = None, cert_file: str | None = None,
                   key_file: str | None = None) -> str:
    """`url` with the given TLS files added as query parameters (ones the URL already names are kept)."""
    parts = urlsplit(url)
    files = _tls_files(parts.query)
    for name, value in (("ca_file", ca_file), ("cert_file", cert_file), ("key_file", key_file)):
        if value and name not in files:
            files[name] = value
    updated = urlunsplit(parts._replace(query=urlencode(files, safe="/")))
    parse_mqtt_url(updated)  # refuses TLS files on a plaintext URL
    return updated


def protocol_of(version: str) -> mqtt.MQTTProtocolVersion:
    return mqtt.MQTTv5 if version == "5" else mqtt.MQTTv311


def make_client(
    client_id: str,
    broker: BrokerAddress,
    *,
    protocol: str = "5",
    persistent: bool = False,
    manual_ack: bool = False,
    username: str | None = None,
    password: str | None = None,
    ca_file: str | None = None,
) -> mqtt.Client:
    """A paho 2.x client with callback API v2. `persistent` keeps the broker session across reconnects."""
    proto = protocol_of(protocol)
    kwargs: dict = {}
    if proto != mqtt.MQTTv5:
        kwargs["clean_session"] = not persistent
    client = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=proto,
        manual_ack=manual_ack,
        reconnect_on_failure=True,
        **kwargs,
    )
    user = username if username is not None else broker.username
    pwd = password if password is not None else broker.password
    if user:
        client.username_pw_set(user, pwd or None)
    if broker.tls:
        # PROTOCOL_TLS_CLIENT verifies the certificate chain and the host name; there is no opt-out.
        client.tls_set(ca_certs=ca_file or broker.ca_file, certfile=broker.cert_file, keyfile=broker.key_file,
                       tls_version=ssl.PROTOCOL_TLS_CLIENT)
    client.reconnect_delay_set(min_delay=1, max_delay=10)
    return client


def connect_properties(session_expiry_s: int, receive_maximum: int = 65535) -> Properties:
    """MQTT 5 CONNECT properties: keep the session while away, allow many unacked messages in flight."""
    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = session_expiry_s
    props.ReceiveMaximum = receive_maximum
    return props


def _fail_over(client: mqtt.Client, broker: BrokerAddress) -> None:
    """With a clustered broker, each lost or failed connection moves the client on to the next node; the
    cluster keeps the persistent session, so what was unacked is redelivered from there."""
    nodes = broker.nodes
    at = [0]
    own_disconnect = client.on_disconnect

    def next_node(*_args: object) -> None:
        at[0] = (at[0] + 1) % len(nodes)
        host, port = nodes[at[0]]
        # paho's host/port setters refuse while its state is "connection lost", which is exactly when the
        # next node is wanted; its reconnect reads these two attributes (paho 2.x, pinned below 3).
        client._host, client._port = host, port
        log.warning("broker node lost; trying %s:%s next", host, port)

    def on_disconnect(*args: object) -> None:
        if own_disconnect is not None:
            own_disconnect(*args)
        next_node()  # after a deliberate disconnect too: harmless, nothing reconnects then

    client.on_disconnect = on_disconnect
    client.on_connect_fail = next_node


def connect(client: mqtt.Client, broker: BrokerAddress, *, protocol: str, persistent: bool,
            session_expiry_s: int = 0, keepalive: int = 30) -> None:
    """Start connecting; with MQTT 5 a persistent session means clean_start=False plus an expiry. With
    several broker nodes in the URL, a lost connection fails over to the next (callbacks already set)."""
    if broker.others:
        _fail_over(client, broker)
    if protocol == "5":
        client.connect_async(
            broker.host, broker.port, keepalive=keepalive,
            clean_start=not persistent,
            properties=connect_properties(session_expiry_s if persistent else 0),
        )
    else:
        client.connect_async(broker.host, broker.port, keepalive=keepalive)
