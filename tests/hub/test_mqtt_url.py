"""Broker URLs → BrokerAddress (hub/mqtt.py `parse_mqtt_url`)."""

from __future__ import annotations

import pytest

from hub.mqtt import BrokerAddress, parse_mqtt_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("mqtt://broker.internal", BrokerAddress("broker.internal", 1883, tls=False)),
        ("mqtts://broker.internal", BrokerAddress("broker.internal", 8883, tls=True)),
        ("tcp://broker.internal", BrokerAddress("broker.internal", 1883, tls=False)),
        ("ssl://broker.internal", BrokerAddress("broker.internal", 8883, tls=True)),
        ("mqtt://broker.internal:11883", BrokerAddress("broker.internal", 11883, tls=False)),
        ("mqtts://broker.internal:443", BrokerAddress("broker.internal", 443, tls=True)),
        ("mqtt://[::1]:1884", BrokerAddress("::1", 1884, tls=False)),
    ],
)
def test_scheme_decides_tls_and_default_port(url: str, expected: BrokerAddress) -> None:
    assert parse_mqtt_url(url) == expected


def test_credentials_are_read_from_the_url() -> None:
    address = parse_mqtt_url("mqtts://hub:s3cret@broker.internal:8883")

    assert (address.username, address.password) == ("hub", "s3cret")


def test_percent_encoded_credentials_are_decoded() -> None:
    address = parse_mqtt_url("mqtt://hub%40arc:p%3Ass%2Fw%25rd%40@broker.internal")

    assert address.username == "hub@arc"
    assert address.password == "p:ss/w%rd@"
    assert address.host == "broker.internal"
    assert address.port == 1883


def test_a_url_without_credentials_has_none() -> None:
    address = parse_mqtt_url("mqtt://broker.internal")

    assert (address.username, address.password) == (None, None)


def test_a_username_without_password_keeps_password_none() -> None:
    address = parse_mqtt_url("mqtt://hub@broker.internal")

    assert (address.username, address.password) == ("hub", None)


@pytest.mark.parametrize(
    "url", ["http://broker.internal", "ws://broker.internal:9001", "broker.internal:1883", "", "amqp://broker"]
)
def test_other_schemes_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match="MQTT_URL"):
        parse_mqtt_url(url)


def test_a_broker_cluster_is_its_nodes_in_order() -> None:
    address = parse_mqtt_url("mqtt://hub:pw@node-a:1883,node-b:1884,node-c")

    assert address.nodes == (("node-a", 1883), ("node-b", 1884), ("node-c", 1883))
    assert (address.host, address.port, address.username, address.password) == ("node-a", 1883, "hub", "pw")


def test_a_bad_port_in_a_cluster_url_is_named() -> None:
    with pytest.raises(ValueError, match="node-b:x"):
        parse_mqtt_url("mqtt://node-a:1883,node-b:x")
