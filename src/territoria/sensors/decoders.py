"""Payload decoders for common temperature/humidity LoRaWAN sensors.

ChirpStack puts the device's decoded payload in ``object`` when a codec is configured in the
device profile; otherwise only the base64 FRMPayload (``data``) is there and we decode it here.
Each decoder returns a flat ``{key: number}`` dict with the manufacturer's field names, which the
device profile maps to measured quantities.

Dragino LHT65 (uplink on fPort 2, 11 bytes, big-endian), from the LHT65 user manual §2.4:

====== ======================================================================
bytes  meaning
====== ======================================================================
0-1    battery: two status bits, then the voltage in mV on 14 bits (``BatV``)
2-3    built-in SHT20 temperature, signed, hundredths of °C (``TempC_SHT``)
4-5    built-in SHT20 relative humidity, tenths of % (``Hum_SHT``)
6      external sensor type (1 = DS18B20 temperature probe)
7-8    external temperature, signed, hundredths of °C (``TempC_DS``)
9-10   reserved
====== ======================================================================

0x7FFF (327.67 °C) is the sensor-error sentinel: kept in the decoded values so that the range
check quarantines it with a clear reason instead of silently dropping it.

Milesight EM300-TH (channel/type/value records, little-endian), from the EM300 user guide:
``01 75`` battery % (uint8), ``03 67`` temperature (int16, tenths of °C), ``04 68`` humidity
(uint8, halves of %).
"""

from __future__ import annotations

import struct
from collections.abc import Callable

Decoded = dict[str, float]


class DecodeError(ValueError):
    """The frame does not match the decoder's format."""


_LHT65 = struct.Struct(">HhHBh")


def dragino_lht65(frame: bytes) -> Decoded:
    if len(frame) >= 9:  # the usual 11-byte frame: one unpack
        bat_raw, temp_raw, hum_raw, ext_kind, ext_raw = _LHT65.unpack_from(frame)
    elif len(frame) >= 6:
        bat_raw, temp_raw, hum_raw = struct.unpack_from(">HhH", frame, 0)
        ext_kind = ext_raw = 0
    else:
        raise DecodeError(f"LHT65 frame has {len(frame)} bytes, expected 11")
    values: Decoded = {
        "BatV": (bat_raw & 0x3FFF) / 1000.0,
        "TempC_SHT": temp_raw / 100.0,
        "Hum_SHT": hum_raw / 10.0,
    }
    if ext_kind == 0x01:
        values["TempC_DS"] = ext_raw / 100.0
    return values


def encode_lht65(temperature: float, humidity: float, battery_v: float = 3.05) -> bytes:
    """The inverse of ``dragino_lht65`` (used by the demo generator and the tests)."""
    bat = 0xC000 | (round(battery_v * 1000) & 0x3FFF)
    temp = 0x7FFF if temperature >= 327.67 else round(temperature * 100)
    return struct.pack(">HhHBhH", bat, temp, round(humidity * 10), 0x01, 0x7FFF, 0)


def milesight_em300_th(frame: bytes) -> Decoded:
    values: Decoded = {}
    i = 0
    while i + 2 <= len(frame):
        channel, kind = frame[i], frame[i + 1]
        i += 2
        if channel == 0x01 and kind == 0x75:
            values["battery"] = float(frame[i])
            i += 1
        elif channel == 0x03 and kind == 0x67:
            if i + 2 > len(frame):
                raise DecodeError("EM300-TH frame ends inside the temperature record")
            values["temperature"] = struct.unpack_from("<h", frame, i)[0] / 10.0
            i += 2
        elif channel == 0x04 and kind == 0x68:
            values["humidity"] = frame[i] / 2.0
            i += 1
        else:
            raise DecodeError(f"EM300-TH frame has an unknown record {channel:02x} {kind:02x} at byte {i - 2}")
    if not values:
        raise DecodeError("EM300-TH frame holds no record")
    return values


def encode_em300_th(temperature: float, humidity: float, battery: int = 95) -> bytes:
    return (
        bytes([0x01, 0x75, battery, 0x03, 0x67])
        + struct.pack("<h", round(temperature * 10))
        + bytes([0x04, 0x68, round(humidity * 2)])
    )


DECODERS: dict[str, Callable[[bytes], Decoded]] = {
    "dragino_lht65": dragino_lht65,
    "milesight_em300_th": milesight_em300_th,
}
