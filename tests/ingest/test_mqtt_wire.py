"""MQTT packets of ingest's main session (ingest/mqtt_wire.py): what is encoded reads back the same, a
buffer cut anywhere yields whole packets only, and what paho writes is read as paho means it."""

from __future__ import annotations

import pytest
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from ingest import mqtt_wire as wire


def _publish_from_paho(topic: str, payload: bytes, packet_id: int, v5: bool) -> bytes:
    """A PUBLISH as a broker writes it, built with paho's own encoders."""
    body = len(topic.encode()).to_bytes(2, "big") + topic.encode() + packet_id.to_bytes(2, "big")
    if v5:
        props = Properties(PacketTypes.PUBLISH)
        props.MessageExpiryInterval = 30
        props.UserProperty = ("k", "v")
        body += props.pack()
    body += payload
    return bytes([0x32]) + wire.remaining_length(len(body)) + body


@pytest.mark.parametrize("v5", [True, False])
def test_a_publish_reads_back_as_written(v5: bool) -> None:
    packet = wire.publish_packet("tec/v1/home-1/pir-1/event", b'{"v":1}', v5=v5, packet_id=513)
    packets, rest = wire.split_packets(packet)
    assert rest == b""
    expected = wire.Publish("tec/v1/home-1/pir-1/event", b'{"v":1}', 1, 513, False)
    assert wire.decode_publish(packets[0], v5=v5) == expected


@pytest.mark.parametrize("v5", [True, False])
def test_a_broker_publish_with_properties_is_read(v5: bool) -> None:
    packets, _ = wire.split_packets(_publish_from_paho("tec/v1/h/d/event", b"x" * 300, 7, v5))
    publish = wire.decode_publish(packets[0], v5=v5)
    assert (publish.topic, publish.payload, publish.packet_id, publish.qos) == ("tec/v1/h/d/event", b"x" * 300, 7, 1)


def test_a_buffer_cut_anywhere_gives_whole_packets_and_keeps_the_rest() -> None:
    stream = b"".join(wire.publish_packet(f"t/{i}", bytes(i * 40), v5=True, packet_id=i + 1) for i in range(6))
    stream += wire.puback_packet(9) + wire.PINGREQ_PACKET
    whole, _ = wire.split_packets(stream)
    assert len(whole) == 8
    for cut in range(len(stream) + 1):
        first, rest = wire.split_packets(stream[:cut])
        second, left = wire.split_packets(rest + stream[cut:])
        assert left == b""
        assert first + second == whole, f"cut at {cut}"


@pytest.mark.parametrize("size", [0, 127, 128, 16_383, 16_384, 2_097_152])
def test_remaining_length_reads_back_at_every_width(size: int) -> None:
    packet = bytes([0x30]) + wire.remaining_length(size) + bytes(size)
    packets, rest = wire.split_packets(packet)
    assert (len(packets[0].body), rest) == (size, b"")


def test_a_remaining_length_past_four_bytes_is_refused() -> None:
    with pytest.raises(wire.ProtocolError):
        wire.split_packets(b"\x30\xff\xff\xff\xff\x01")
    with pytest.raises(ValueError):
        wire.remaining_length(wire.MAX_REMAINING_LENGTH + 1)


def test_a_connack_gives_the_brokers_receive_maximum_among_other_properties() -> None:
    props = Properties(PacketTypes.CONNACK)
    props.AssignedClientIdentifier = "abc"
    props.ReceiveMaximum = 20
    props.TopicAliasMaximum = 10
    props.UserProperty = ("a", "b")
    packets, _ = wire.split_packets(bytes([0x20]) + wire.remaining_length(2 + len(props.pack()))
                                    + b"\x01\x00" + props.pack())
    assert wire.decode_connack(packets[0], v5=True) == wire.ConnAck(True, 0, 20)
    refused, _ = wire.split_packets(b"\x20\x02\x00\x05")
    assert not wire.decode_connack(refused[0], v5=False).accepted


def test_connect_carries_the_session_settings_and_credentials() -> None:
    packet = wire.connect_packet("hub-1", v5=True, clean_start=False, keepalive=30, session_expiry_s=3600,
                                 username="hub", password="s3cret")
    body = wire.split_packets(packet)[0][0].body
    assert body[:7] == b"\x00\x04MQTT\x05"
    assert body[7] == 0xC0  # username and password, clean start off
    assert b"\x11\x00\x00\x0e\x10" in body  # session expiry 3600 s
    assert body.endswith(b"\x00\x03hub\x00\x06s3cret")


@pytest.mark.parametrize("v5", [True, False])
def test_subscribe_asks_for_qos_1_and_no_local_on_mqtt_5(v5: bool) -> None:
    body = wire.split_packets(wire.subscribe_packet(5, ["tec/v1/#", "a/b"], v5=v5))[0][0].body
    options = 0x05 if v5 else 0x01
    filters = b"\x00\x08tec/v1/#" + bytes([options]) + b"\x00\x03a/b" + bytes([options])
    assert body == b"\x00\x05" + (b"\x00" if v5 else b"") + filters


def test_suback_codes_and_a_resent_publish_carry_what_they_should() -> None:
    suback, _ = wire.split_packets(b"\x90\x05\x00\x05\x00\x01\x80")
    assert (wire.decode_ack_id(suback[0]), wire.suback_codes(suback[0], v5=True)) == (5, b"\x01\x80")
    resent = wire.as_duplicate(wire.publish_packet("t", b"p", v5=False, packet_id=1))
    assert resent[0] & wire.DUP_FLAG
