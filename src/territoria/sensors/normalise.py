"""From raw MQTT messages (topic, bytes) to observation columns and quarantine rows.

This is the hot path of ingestion: one strict msgspec decoding per message, straight from the
JSON bytes, then plain Python appends to column lists that become one Arrow table per batch.
Every rejected message or value becomes a quarantine row with its reason; nothing is dropped
silently. Observation identity is (devEui, fCnt, time, quantity), hashed to 64 bits: a QoS 1
re-delivery repeats all four and is recognised, while a device whose fCnt restarted at 0 after a
reset sends new times and is not mistaken for a duplicate.
"""

from __future__ import annotations

import binascii
import hashlib
import math
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any

import msgspec

from territoria.sensors.decoders import DECODERS, Decoded, DecodeError
from territoria.sensors.registry import SENTINELS, Measure, Placement, Registry

FUTURE_TOLERANCE_US = 300 * 1_000_000
_MISSING = re.compile(r"Object missing required field `(.+)`")

#: (reason, detail) or (reason, detail, devEui)
Rejection = tuple[str, str] | tuple[str, str, str]


class DeviceInfo(msgspec.Struct, gc=False):
    devEui: str
    applicationId: str | None = None
    deviceProfileName: str | None = None


#: LoRaWAN's frame counter is 32 bits (ChirpStack's ``uint32 f_cnt``): a value outside is refused
#: by the decoder, quarantined with its own reason, rather than failing the whole batch when the
#: store converts the column to int64 (a batch that fails is delivered again, and fails again)
FrameCounter = Annotated[int, msgspec.Meta(ge=0, le=2**32 - 1)]


class UplinkEvent(msgspec.Struct, gc=False):
    """The fields of ChirpStack v4's ``UplinkEvent`` we use (proto3 JSON, lowerCamelCase).

    Decoded by msgspec, strictly (no string taken for a number, nor a float or a bool for an
    integer) and ignoring the other fields: about five times faster than a pydantic model from the
    same bytes, and JSON decoding is most of the cost of an uplink. ``gc=False``: these hold no
    cycles, and untracked they cost the garbage collector nothing."""

    deviceInfo: DeviceInfo
    fCnt: FrameCounter
    time: str | None = None
    fPort: int | None = None
    data: str | None = None
    object: dict[str, Any] | None = None


class OtherEvent(msgspec.Struct, gc=False):
    deviceInfo: DeviceInfo
    time: str | None = None
    batteryLevel: float | None = None
    margin: int | None = None
    level: str | None = None
    code: str | None = None
    description: str | None = None


_UPLINK = msgspec.json.Decoder(UplinkEvent)
_OTHER = msgspec.json.Decoder(OtherEvent)


_FLOAT_MAX = int(sys.float_info.max)
_MASK = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15


def _uplink_digest(dev_eui: str, fcnt: int, time_us: int) -> bytes:
    return hashlib.blake2b(f"{dev_eui}|{fcnt}|{time_us}".encode(), digest_size=8).digest()


def uplink_key(dev_eui: str, fcnt: int, time_us: int) -> int:
    return int.from_bytes(_uplink_digest(dev_eui, fcnt, time_us), "little")


#: (quantity, datastream, measure, its key, min, max, scale, offset, key mix, sentinel inside the range)
Stream = tuple[str, int, Measure, str, float, float, float, float, int, bool]


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


@dataclass(frozen=True)
class Plan:
    """What the hot loop needs of a placement, resolved once: its streams with the measure's
    fields unpacked, and its profile's decoder."""

    streams: tuple[Stream, ...]
    profile: str
    decoder: Callable[[bytes], Decoded] | None


def _plan(registry: Registry, placement: Placement) -> Plan:
    streams = tuple(
        (quantity, ds, m, m.key, m.min, m.max, scale, offset, _signed((ds * _GOLDEN) & _MASK),
         any(m.min <= s <= m.max for s in SENTINELS))
        for quantity, (ds, m, scale, offset) in placement.streams.items()
    )  # fmt: skip
    profile = placement.entry.profile
    decoder = registry.config.profiles[profile].decoder
    return Plan(streams, profile, DECODERS[decoder] if decoder is not None else None)


def observation_key(uplink: int, datastream: int) -> int:
    """64-bit identity of one value of one uplink (signed, to fit Parquet's INT64)."""
    mixed = (uplink ^ (datastream * _GOLDEN)) & _MASK
    return mixed - (1 << 64) if mixed >= 1 << 63 else mixed


#: epoch microseconds of each minute seen (``2025-07-01T10:20:``): a network's uplinks share minutes
_MINUTES: dict[str, int] = {}
_MINUTES_CACHED = 100_000


def _minute(prefix: str) -> int | None:
    """Epoch microseconds of ``2025-07-01T10:20:`` (None if it is not the start of a time), cached."""
    try:
        moment = datetime.fromisoformat(prefix + "00+00:00")
    except ValueError:
        return None
    if len(_MINUTES) >= _MINUTES_CACHED:
        _MINUTES.clear()
    base = _MINUTES[prefix] = int(moment.timestamp()) * 1_000_000
    return base


def parse_time(text: str) -> int:
    """Microseconds since the epoch of an RFC 3339 time (ChirpStack writes nanoseconds)."""
    # Fast path for a UTC time, ChirpStack's 2025-07-01T10:20:30.123456789+00:00: the minute's epoch
    # is cached, seconds and microseconds are one integer ("30" + "123456"), the rest truncated.
    if len(text) >= 20 and text[13] == ":" and text[16] == ":":
        end = -1 if text[-1] == "Z" else -6 if text[-6:] == "+00:00" else 0
        sep = text[19]
        frac = text[20:end] if sep == "." else ""
        micros = text[17:19] + (frac[:6] if len(frac) >= 6 else frac.ljust(6, "0"))
        valid = micros.isdigit() and text[17] < "6"  # seconds 00-59: the minute itself is checked by _minute
        if end and (sep in "+Z" or sep == ".") and (frac.isdigit() or not frac) and valid:
            base = _MINUTES.get(text[:17])
            if base is None:
                base = _minute(text[:17])
            if base is not None:
                return base + int(micros)
    if "." in text:
        head, _, rest = text.partition(".")
        digits = len(rest) - len(rest.lstrip("0123456789"))
        text = head + "." + rest[: min(digits, 6)].ljust(6, "0") + rest[digits:]
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp()) * 1_000_000 + moment.microsecond


@dataclass
class Batch:
    """Columns of the accepted observations and rows of everything set aside."""

    datastream: list[int] = field(default_factory=list)
    time_us: list[int] = field(default_factory=list)
    result: list[float] = field(default_factory=list)
    foi: list[int] = field(default_factory=list)
    fcnt: list[int] = field(default_factory=list)
    key: list[int] = field(default_factory=list)
    quarantine: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    uplinks: int = 0
    late: int = 0
    out_of_order: int = 0

    def __len__(self) -> int:
        return len(self.key)


class Normaliser:
    def __init__(self, registry: Registry, *, max_payload_bytes: int | None = None, live: bool = True) -> None:
        self.registry = registry
        cfg = registry.config
        self.max_payload = max_payload_bytes or cfg.broker.max_payload_bytes
        self.application = cfg.broker.application_id
        self.late_after_us = cfg.late_after_s * 1_000_000
        self.last_time: dict[str, int] = {}
        #: False when replaying history: arrival time then says nothing about lateness
        self.live = live
        self._plans: dict[int, Plan] = {}
        self._topics: dict[str, list[str]] = {}

    def process(self, messages: list[tuple[str, bytes]], received_us: int) -> Batch:
        batch = Batch()
        for topic, payload in messages:
            reason = self._one(batch, topic, payload, received_us)
            if reason is not None:
                dev_eui = reason[2] if len(reason) > 2 else None
                self._quarantine(batch, received_us, topic, payload, reason[0], reason[1], dev_eui)
        return batch

    def _quarantine(
        self,
        batch: Batch,
        received_us: int,
        topic: str,
        payload: bytes,
        reason: str,
        detail: str,
        dev_eui: str | None = None,
        key: int | None = None,
    ) -> None:
        batch.quarantine.append(
            {
                "received_us": received_us,
                "topic": topic[:256],
                "dev_eui": dev_eui,
                "reason": reason,
                "detail": detail[:500],
                "payload": payload[:2048].decode("utf-8", "replace"),
                "payload_bytes": len(payload),
                "key": key,
            }
        )

    def _one(self, batch: Batch, topic: str, payload: bytes, received_us: int) -> Rejection | None:
        if len(payload) > self.max_payload:
            return ("payload too large", f"{len(payload)} bytes > limit {self.max_payload}")
        parts = self._topics.get(topic)
        if parts is None:
            parts = self._topic(topic)
        if not parts:
            return ("unexpected topic", "expected application/{applicationId}/device/{devEui}/event/{event}")
        event = parts[5]
        if event != "up":
            return self._other_event(batch, event, topic, payload, received_us)
        try:
            up = _UPLINK.decode(payload)
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            return _validation_reason(exc)
        dev_eui = up.deviceInfo.devEui.lower()
        app = up.deviceInfo.applicationId or parts[1]
        if self.application not in ("+", app):
            return ("other application", f"application {app} is not {self.application}", dev_eui)
        if topic and parts[3].lower() != dev_eui:
            return ("topic and payload disagree", f"topic names {parts[3]}, payload {dev_eui}", dev_eui)
        if up.time is None:
            return ("missing time", "the uplink has no `time`", dev_eui)
        try:
            time_us = parse_time(up.time)
        except ValueError:
            return ("invalid time", f"{up.time!r} is not an RFC 3339 time", dev_eui)
        if time_us > received_us + FUTURE_TOLERANCE_US:
            return ("time in the future", f"{up.time} is after the arrival time", dev_eui)
        placement = self.registry.placement(dev_eui, time_us)
        if placement is None:
            if dev_eui in self.registry.by_eui:
                return ("outside validity window", f"{dev_eui} is not registered at {up.time}", dev_eui)
            return ("unknown device", f"{dev_eui} is not in sensors/devices.yaml", dev_eui)
        plan = self._plans.get(id(placement))
        if plan is None:
            plan = self._plans[id(placement)] = _plan(self.registry, placement)
        values = self._values(up, plan)
        if isinstance(values, tuple):
            return (*values, dev_eui)
        batch.uplinks += 1
        if self.live and received_us - time_us > self.late_after_us:
            batch.late += 1
        if time_us < self.last_time.get(dev_eui, -(2**62)):
            batch.out_of_order += 1
        else:
            self.last_time[dev_eui] = time_us
        uplink = int.from_bytes(_uplink_digest(dev_eui, up.fCnt, time_us), "little", signed=True)
        message = (received_us, topic, payload, dev_eui)
        self._add(batch, plan, values, uplink, time_us, placement.location_id, up.fCnt, message)
        return None

    def _add(
        self,
        batch: Batch,
        plan: Plan,
        values: Decoded,
        uplink: int,
        time_us: int,
        foi: int,
        fcnt: int,
        message: tuple[int, str, bytes, str],
    ) -> None:
        """Append an uplink's values to the batch's columns, or quarantine those that are not valid.

        Once per value: the key is the uplink's (signed) XOR the stream's (signed) mix, which is
        ``observation_key`` in two's complement without the masking, and a value within the range
        needs no sentinel test when no sentinel lies within that range (the usual case)."""
        for quantity, ds, measure, name, low, high, scale, offset, mix, guarded in plan.streams:
            raw = values.get(name)
            if raw is None:
                continue
            key = uplink ^ mix
            if low <= raw <= high and not (guarded and raw in SENTINELS):  # False for NaN too
                # six column lists rather than one list of row tuples: tuples are objects the
                # cyclic garbage collector has to visit, and it would, many times over a batch
                batch.datastream.append(ds)
                batch.time_us.append(time_us)
                batch.result.append(raw * scale + offset)
                batch.foi.append(foi)
                batch.fcnt.append(fcnt)
                batch.key.append(key)
            else:
                received_us, topic, payload, dev_eui = message
                if raw in SENTINELS:
                    reason, detail = "sensor error sentinel", f"{quantity} = {raw} is the sensor's error value"
                else:
                    reason = "out of valid range"
                    detail = f"{quantity} = {raw} outside [{measure.min}, {measure.max}] {measure.unit}"
                self._quarantine(batch, received_us, topic, payload, reason, detail, dev_eui, key)

    def _topic(self, topic: str) -> list[str]:
        """The parts of an event topic (empty if it is not one), cached: a device's topics repeat."""
        # An empty topic is a replayed uplink: the payload alone names its device and application.
        parts = topic.split("/") if topic else ["application", "", "device", "", "event", "up"]
        if len(parts) != 6 or parts[0] != "application" or parts[2] != "device" or parts[4] != "event":
            parts = []
        if len(self._topics) >= 100_000:
            self._topics.clear()
        self._topics[topic] = parts
        return parts

    def _values(self, up: UplinkEvent, plan: Plan) -> Decoded | tuple[str, str]:
        if up.object is not None:
            values: Decoded = {}
            for k, v in up.object.items():
                if isinstance(v, bool) or v is None:
                    continue
                if isinstance(v, float):
                    values[k] = v
                elif isinstance(v, int):
                    # JSON integers have no bound: one beyond a double is out of any valid range and
                    # quarantined as such (float() raised, and failed the batch at every redelivery)
                    values[k] = float(v) if -_FLOAT_MAX <= v <= _FLOAT_MAX else math.inf if v > 0 else -math.inf
                elif isinstance(v, str):
                    try:
                        values[k] = float(v)
                    except ValueError:
                        continue
            return values
        if up.data is None:
            return ("no payload", "neither `object` nor `data` in the uplink")
        if plan.decoder is None:
            return ("no decoder", f"no decoded `object` and profile {plan.profile} has no decoder")
        try:
            frame = binascii.a2b_base64(up.data, strict_mode=True)  # base64.b64decode(validate=True), less overhead
        except (binascii.Error, ValueError):
            return ("undecodable payload", "`data` is not base64")
        try:
            return plan.decoder(frame)
        except DecodeError as exc:
            return ("undecodable payload", str(exc))

    def _other_event(self, batch: Batch, event: str, topic: str, payload: bytes, received_us: int) -> Rejection | None:
        if event not in ("status", "log"):
            return None
        try:
            ev = _OTHER.decode(payload)
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            return _validation_reason(exc)
        batch.events.append(
            {
                "received_us": received_us,
                "dev_eui": ev.deviceInfo.devEui.lower(),
                "event": event,
                "time": ev.time,
                "battery_level": ev.batteryLevel,
                "margin": ev.margin,
                "level": ev.level,
                "code": ev.code,
                "description": (ev.description or "")[:500] or None,
            }
        )
        return None


_BOUND = re.compile(r"^Expected `\w+` [<>]=? ")


def _validation_reason(exc: msgspec.ValidationError | msgspec.DecodeError) -> tuple[str, str]:
    """The quarantine reason of a payload msgspec refused, and where in it.

    msgspec says ``Expected `int`, got `str` - at `$.fCnt``` or ``Object missing required field
    `devEui` - at `$.deviceInfo```: the path becomes ``fCnt`` or ``deviceInfo.devEui``."""
    if not isinstance(exc, msgspec.ValidationError):
        return ("malformed JSON", str(exc))
    message, _, at = str(exc).partition(" - at `$")
    where = at.rstrip("`").lstrip(".")
    missing = _MISSING.fullmatch(message)
    if missing:
        return ("missing field", f"{where + '.' if where else ''}{missing.group(1)} is required")
    if _BOUND.search(message):  # ``Expected `int` <= 4294967295``: the right type, out of its range
        return ("field out of range", f"{where or 'payload'}: {message}")
    return ("wrong type", f"{where or 'payload'}: {message}")
