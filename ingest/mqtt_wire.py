"""MQTT 3.1.1 and 5 packets as ingest's main session uses them: encoding and decoding, no I/O.

Only what the hub's bulk session needs: CONNECT/CONNACK, SUBSCRIBE/SUBACK, UNSUBSCRIBE/UNSUBACK, QoS 0 and 1
PUBLISH in both directions, PUBACK, PINGREQ/PINGRESP and DISCONNECT. The session subscribes at QoS 1 at
most, so the broker never sends it QoS 2. `split_packets` cuts a buffer of whatever the socket returned
into whole packets in one pass, which is why this exists: paho reads a packet a few bytes per system call
and builds several objects for each, and that was most of an ingest worker's time under load.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import NamedTuple

CONNECT, CONNACK, PUBLISH, PUBACK = 0x10, 0x20, 0x30, 0x40
SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK = 0x82, 0x90, 0xA2, 0xB0
PINGREQ_PACKET, DISCONNECT_PACKET = b"\xc0\x00", b"\xe0\x00"
PINGRESP, DISCONNECT = 0xD0, 0xE0
DUP_FLAG = 0x08
MAX_REMAINING_LENGTH = 268_435_455  # four length bytes (MQTT's limit)

# MQTT 5 property identifiers this session writes or must read.
_SESSION_EXPIRY, _RECEIVE_MAXIMUM = 0x11, 0x21
_V5_NO_LOCAL = 0x04


class ProtocolError(ValueError):
    """The broker sent something that is not MQTT: the connection is dropped and made again."""


class Packet(NamedTuple):
    kind: int  # the first byte's high nibble, e.g. PUBLISH (0x30)
    flags: int  # the first byte's low nibble
    body: bytes


class Publish(NamedTuple):
    topic: str
    payload: bytes
    qos: int
    packet_id: int  # 0 for QoS 0
    retain: bool


@dataclass(frozen=True, slots=True)
class ConnAck:
    session_present: bool
    code: int  # 0 accepted; 3.1.1 return codes 1-5, MQTT 5 reason codes >= 0x80 refuse
    receive_maximum: int  # MQTT 5: how many QoS 1 publishes the broker takes unacknowledged (65535 otherwise)

    @property
    def accepted(self) -> bool:
        return self.code == 0


def remaining_length(n: int) -> bytes:
    if not 0 <= n <= MAX_REMAINING_LENGTH:
        raise ValueError(f"an MQTT packet cannot carry {n} bytes")
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _utf8(text: str) -> bytes:
    raw = text.encode()
    if len(raw) > 0xFFFF:
        raise ValueError("an MQTT string is at most 65535 bytes")
    return struct.pack("!H", len(raw)) + raw


def _binary(data: bytes) -> bytes:
    return struct.pack("!H", len(data)) + data


def _packet(first: int, body: bytes) -> bytes:
    return bytes([first]) + remaining_length(len(body)) + body


def connect_packet(client_id: str, *, v5: bool, clean_start: bool, keepalive: int, session_expiry_s: int = 0,
                   receive_maximum: int = 65535, username: str | None = None, password: str | None = None) -> bytes:
    flags = 0x02 if clean_start else 0
    if username is not None:
        flags |= 0x80
        if password is not None:
            flags |= 0x40
    body = _utf8("MQTT") + bytes([5 if v5 else 4, flags]) + struct.pack("!H", keepalive)
    if v5:
        props = bytes([_SESSION_EXPIRY]) + struct.pack("!I", session_expiry_s)
        props += bytes([_RECEIVE_MAXIMUM]) + struct.pack("!H", receive_maximum)
        body += remaining_length(len(props)) + props
    body += _utf8(client_id)
    if username is not None:
        body += _utf8(username)
        if password is not None:
            body += _binary(password.encode())
    return _packet(CONNECT, body)


def subscribe_packet(packet_id: int, filters: list[str], *, v5: bool, qos: int = 1) -> bytes:
    """With MQTT 5 every filter is no-local: the hub does not want its own acks to the homes echoed back."""
    options = bytes([qos | (_V5_NO_LOCAL if v5 else 0)])
    body = struct.pack("!H", packet_id) + (b"\x00" if v5 else b"")
    body += b"".join(_utf8(f) + options for f in filters)
    return _packet(SUBSCRIBE, body)


def unsubscribe_packet(packet_id: int, filters: list[str], *, v5: bool) -> bytes:
    body = struct.pack("!H", packet_id) + (b"\x00" if v5 else b"") + b"".join(_utf8(f) for f in filters)
    return _packet(UNSUBSCRIBE, body)


def publish_packet(topic: str, payload: bytes, *, v5: bool, qos: int = 1, packet_id: int = 0) -> bytes:
    body = _utf8(topic) + (struct.pack("!H", packet_id) if qos else b"") + (b"\x00" if v5 else b"") + payload
    return _packet(PUBLISH | (qos << 1), body)


def as_duplicate(packet: bytes) -> bytes:
    """A QoS 1 PUBLISH sent again after a reconnect carries the DUP flag."""
    return bytes([packet[0] | DUP_FLAG]) + packet[1:]


def puback_packet(packet_id: int) -> bytes:
    # MQTT 5 allows the short form (no reason code, no properties) for success.
    return b"\x40\x02" + struct.pack("!H", packet_id)


def split_packets(buffer: bytes) -> tuple[list[Packet], bytes]:
    """The whole packets at the start of `buffer`, and the bytes of an unfinished one after them."""
    packets: list[Packet] = []
    at, size = 0, len(buffer)
    while size - at >= 2:
        length, shift, i = 0, 0, at + 1
        while True:
            if i >= size:
                return packets, buffer[at:]
            byte = buffer[i]
            length |= (byte & 0x7F) << shift
            i += 1
            if not byte & 0x80:
                break
            shift += 7
            if shift > 21:
                raise ProtocolError("remaining length longer than four bytes")
        end = i + length
        if end > size:
            break
        first = buffer[at]
        packets.append(Packet(first & 0xF0, first & 0x0F, buffer[i:end]))
        at = end
    return packets, buffer[at:]


def _varint(data: bytes, at: int) -> tuple[int, int]:
    """(value, index after it) of a variable byte integer starting at `at`."""
    value, shift = 0, 0
    while True:
        if at >= len(data):
            raise ProtocolError("variable byte integer runs past the packet")
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, at
        shift += 7
        if shift > 21:
            raise ProtocolError("variable byte integer longer than four bytes")


def _skip_properties(body: bytes, at: int) -> int:
    length, at = _varint(body, at)
    if at + length > len(body):
        raise ProtocolError("properties run past the packet")
    return at + length


def decode_publish(packet: Packet, *, v5: bool) -> Publish:
    body, qos = packet.body, (packet.flags >> 1) & 0x03
    if qos == 3 or len(body) < 2:
        raise ProtocolError("malformed PUBLISH")
    topic_end = 2 + ((body[0] << 8) | body[1])
    if topic_end > len(body):
        raise ProtocolError("PUBLISH topic runs past the packet")
    try:
        topic = body[2:topic_end].decode()
    except UnicodeDecodeError as exc:
        raise ProtocolError("PUBLISH topic is not UTF-8") from exc
    at, packet_id = topic_end, 0
    if qos:
        if at + 2 > len(body):
            raise ProtocolError("PUBLISH packet id missing")
        packet_id = (body[at] << 8) | body[at + 1]
        at += 2
    if v5:
        at = _skip_properties(body, at)
    return Publish(topic, body[at:], qos, packet_id, bool(packet.flags & 0x01))


def decode_connack(packet: Packet, *, v5: bool) -> ConnAck:
    body = packet.body
    if len(body) < 2:
        raise ProtocolError("short CONNACK")
    receive_maximum = 65535
    if v5 and len(body) > 2:
        length, at = _varint(body, 2)
        end = at + length
        while at < end:
            ident = body[at]
            at += 1
            if ident == _RECEIVE_MAXIMUM:
                receive_maximum = (body[at] << 8) | body[at + 1]
            at += _property_value_size(ident, body, at)
    return ConnAck(bool(body[0] & 0x01), body[1], receive_maximum)


# MQTT 5 property value sizes by identifier: fixed widths, or "s" (two-byte length prefix) or "v" (varint).
_FIXED = {0x01: 1, 0x17: 1, 0x19: 1, 0x24: 1, 0x25: 1, 0x28: 1, 0x29: 1, 0x2A: 1,
          0x13: 2, 0x21: 2, 0x22: 2, 0x23: 2,
          0x02: 4, 0x11: 4, 0x18: 4, 0x27: 4}
_PREFIXED = {0x03, 0x08, 0x09, 0x12, 0x15, 0x16, 0x1A, 0x1C, 0x1F}


def _property_value_size(ident: int, body: bytes, at: int) -> int:
    if ident in _FIXED:
        return _FIXED[ident]
    if ident in _PREFIXED:
        return 2 + ((body[at] << 8) | body[at + 1])
    if ident == 0x26:  # user property: two strings
        first = 2 + ((body[at] << 8) | body[at + 1])
        return first + 2 + ((body[at + first] << 8) | body[at + first + 1])
    if ident == 0x0B:  # subscription identifier: a varint
        return _varint(body, at)[1] - at
    raise ProtocolError(f"unknown MQTT 5 property 0x{ident:02x}")


def decode_ack_id(packet: Packet) -> int:
    """The packet id at the start of PUBACK, SUBACK and UNSUBACK."""
    if len(packet.body) < 2:
        raise ProtocolError("acknowledgement without a packet id")
    return (packet.body[0] << 8) | packet.body[1]


def suback_codes(packet: Packet, *, v5: bool) -> bytes:
    """The granted QoS (or failure code >= 0x80) for each filter of the SUBSCRIBE."""
    at = _skip_properties(packet.body, 2) if v5 else 2
    return packet.body[at:]
