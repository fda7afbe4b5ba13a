"""The MQTT 5 packets the listener exchanges, encoded and parsed by hand (OASIS MQTT 5.0, §2-3).

Only what a QoS 1 subscriber needs: CONNECT, SUBSCRIBE, PUBACK, PINGREQ and DISCONNECT out;
CONNACK, SUBACK, PUBLISH (QoS 0 and 1), PINGRESP and DISCONNECT in. ``Parser.feed`` takes
whatever one ``recv`` returned and yields every complete packet in it, so that thousands of
PUBLISH packets cost one system call and one pass of a tight loop rather than paho's several
``recv`` calls and callbacks per message. A packet that breaks the protocol raises
``MalformedPacket``: the specification's answer is to close the connection (§4.13), and the
broker then re-delivers what was not acknowledged.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

CONNECT, CONNACK, PUBLISH, PUBACK = 1, 2, 3, 4
SUBSCRIBE, SUBACK, PINGREQ, PINGRESP, DISCONNECT = 8, 9, 12, 13, 14
PINGREQ_PACKET = b"\xc0\x00"
DISCONNECT_PACKET = b"\xe0\x00"  # normal disconnection: the session (and its queued messages) is kept
#: MQTT caps the remaining length at 268,435,455 bytes; we refuse far less (a hostile length
#: would otherwise make us buffer without bound)
MAX_PACKET = 16 * 1024 * 1024
_PUBACKS = [bytes((0x40, 2, pid >> 8, pid & 0xFF)) for pid in range(65536)]
_TOPICS_CACHED = 10_000


class MalformedPacket(ValueError):
    """The broker sent bytes that are not a valid MQTT 5 packet for a subscriber."""


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        n, digit = n >> 7, n & 0x7F
        out.append(digit | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _string(text: str) -> bytes:
    raw = text.encode()
    return struct.pack(">H", len(raw)) + raw


def _packet(first: int, body: bytes) -> bytes:
    return bytes((first,)) + varint(len(body)) + body


def connect_packet(
    client_id: str,
    *,
    keepalive: int,
    session_expiry: int,
    receive_maximum: int = 65535,
    clean_start: bool = False,
    username: str | None = None,
    password: str | None = None,
) -> bytes:
    flags = (0x02 if clean_start else 0) | (0x80 if username is not None else 0)
    flags |= 0x40 if password is not None else 0
    props = b"\x11" + struct.pack(">I", session_expiry) + b"\x21" + struct.pack(">H", receive_maximum)
    body = _string("MQTT") + bytes((5, flags)) + struct.pack(">H", keepalive) + varint(len(props)) + props
    body += _string(client_id)
    if username is not None:
        body += _string(username)
    if password is not None:
        body += _string(password)  # binary data has the same length-prefixed shape
    return _packet(CONNECT << 4, body)


def subscribe_packet(packet_id: int, topics: list[tuple[str, int]]) -> bytes:
    body = struct.pack(">H", packet_id) + b"\x00" + b"".join(_string(t) + bytes((qos,)) for t, qos in topics)
    return _packet((SUBSCRIBE << 4) | 0x02, body)


def pubacks(packet_ids: list[int]) -> bytes:
    """PUBACKs (success, no properties: the 4-byte short form of §3.4.2.1) for ``packet_ids``."""
    table = _PUBACKS
    return b"".join([table[pid] for pid in packet_ids])


@dataclass
class Control:
    """A packet other than PUBLISH: its type, and its reason code and bytes where they matter."""

    kind: int
    body: bytes = b""
    #: CONNACK/DISCONNECT reason code, or every reason code of a SUBACK
    reasons: list[int] = field(default_factory=list)
    session_present: bool = False


def _varint_at(buf: bytearray | bytes, pos: int, end: int) -> tuple[int, int] | None:
    """(value, position after it), None when the buffer ends inside it."""
    value = shift = 0
    for i in range(pos, min(pos + 4, end)):
        byte = buf[i]
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, i + 1
        shift += 7
    if end - pos >= 4:
        raise MalformedPacket("a variable byte integer runs past 4 bytes")
    return None


class Parser:
    """Bytes from the broker in, complete packets out; keeps a partial packet for the next read."""

    def __init__(self, max_packet: int = MAX_PACKET) -> None:
        #: the start of a packet the last read ended inside
        self.buffer = b""
        self.max_packet = max_packet
        self._topics: dict[bytes, str] = {}

    def feed(self, data: bytes) -> tuple[list[tuple[int, str, bytes]], list[Control]]:
        """(PUBLISH packets as (packet id, topic, payload), other packets) completed by ``data``.

        A QoS 0 message has packet id 0 (MQTT never gives a QoS 1 message that id). Parsed from
        ``bytes``, not a ``bytearray``: a topic or a payload is then copied out once, not twice."""
        buf = self.buffer + data if self.buffer else data
        end = len(buf)
        pos = 0
        messages: list[tuple[int, str, bytes]] = []
        controls: list[Control] = []
        while end - pos >= 2:
            first, low = buf[pos], buf[pos + 1]
            if low < 0x80:  # a packet under 128 bytes
                length, start = low, pos + 2
            elif end - pos >= 3 and buf[pos + 2] < 0x80:  # under 16 KiB: an uplink, inlined (no call)
                length, start = (low & 0x7F) | buf[pos + 2] << 7, pos + 3
            else:
                found = _varint_at(buf, pos + 1, end)
                if found is None:
                    break
                length, start = found
            if length > self.max_packet:
                raise MalformedPacket(f"a packet of {length} bytes is over the {self.max_packet}-byte limit")
            stop = start + length
            if stop > end:
                break
            if first >> 4 == PUBLISH:
                messages.append(self._publish(buf, first, start, stop))
            else:
                controls.append(_control(buf[start:stop], first))
            pos = stop
        self.buffer = buf[pos:] if pos < end else b""
        return messages, controls

    def _publish(self, buf: bytes, first: int, start: int, stop: int) -> tuple[int, str, bytes]:
        qos = (first >> 1) & 0x03
        if qos > 1:
            raise MalformedPacket(f"PUBLISH with QoS {qos} on a subscription granted QoS 1 at most")
        if stop - start < 2:
            raise MalformedPacket("PUBLISH too short for its topic length")
        topic_end = start + 2 + (buf[start] << 8 | buf[start + 1])
        pos = topic_end + (2 if qos else 0)
        if pos >= stop:  # the property length byte must still fit
            raise MalformedPacket("PUBLISH topic runs past the end of the packet")
        raw_topic = buf[start + 2 : topic_end]
        topic = self._topics.get(raw_topic)
        if topic is None:
            try:
                topic = raw_topic.decode()
            except UnicodeDecodeError:
                raise MalformedPacket("PUBLISH topic is not UTF-8") from None
            if len(self._topics) >= _TOPICS_CACHED:
                self._topics.clear()
            self._topics[raw_topic] = topic
        packet_id = (buf[topic_end] << 8 | buf[topic_end + 1]) if qos else 0
        if qos and packet_id == 0:
            raise MalformedPacket("QoS 1 PUBLISH with packet id 0")
        if buf[pos] < 0x80:
            props, pos = buf[pos], pos + 1
        else:
            found = _varint_at(buf, pos, stop)
            if found is None:
                raise MalformedPacket("PUBLISH property length runs past the end of the packet")
            props, pos = found
        pos += props
        if pos > stop:
            raise MalformedPacket("PUBLISH properties run past the end of the packet")
        return packet_id, topic, buf[pos:stop]


def _control(body: bytes, first: int) -> Control:
    kind = first >> 4
    if kind == CONNACK:
        if len(body) < 2:
            raise MalformedPacket("CONNACK too short")
        return Control(kind, body, [body[1]], bool(body[0] & 0x01))
    if kind == SUBACK:
        if len(body) < 3:
            raise MalformedPacket("SUBACK too short")
        found = _varint_at(body, 2, len(body))
        if found is None:
            raise MalformedPacket("SUBACK property length runs past the end of the packet")
        props, pos = found
        return Control(kind, body, list(body[pos + props :]))
    if kind == DISCONNECT:
        return Control(kind, body, [body[0] if body else 0])
    if kind in (PINGRESP, PUBACK):
        return Control(kind, body)
    raise MalformedPacket(f"unexpected packet type {kind} from the broker")
