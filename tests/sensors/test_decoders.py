from __future__ import annotations

import pytest

from territoria.sensors.decoders import (
    DecodeError,
    dragino_lht65,
    encode_em300_th,
    encode_lht65,
    milesight_em300_th,
)


def test_lht65_manual_example() -> None:
    # Example frame of the Dragino LHT65 user manual: BAT 3.062 V, 28.29 °C, 88.6 %RH, DS18B20 27.81 °C.
    values = dragino_lht65(bytes.fromhex("CBF60B0D0376010ADD7FFF"))
    assert values == {"BatV": 3.062, "TempC_SHT": 28.29, "Hum_SHT": 88.6, "TempC_DS": 27.81}


def test_lht65_negative_temperature_and_sentinel() -> None:
    assert dragino_lht65(encode_lht65(-5.25, 91.0))["TempC_SHT"] == -5.25
    # 0x7FFF is the firmware's "sensor error" value; it is decoded, the range check rejects it.
    assert dragino_lht65(encode_lht65(327.67, 50.0))["TempC_SHT"] == 327.67
    assert "TempC_DS" in dragino_lht65(encode_lht65(20.0, 50.0))


def test_lht65_short_frame() -> None:
    with pytest.raises(DecodeError, match="expected 11"):
        dragino_lht65(b"\x01\x02")


def test_em300_th_documented_example() -> None:
    # Milesight EM300-TH decoder example: battery 92 %, 30.8 °C, 50.5 %RH.
    assert milesight_em300_th(bytes.fromhex("01755C03673401046865")) == {
        "battery": 92.0,
        "temperature": 30.8,
        "humidity": 50.5,
    }


def test_em300_th_round_trip_and_errors() -> None:
    assert milesight_em300_th(encode_em300_th(-3.4, 40.5)) == {"battery": 95.0, "temperature": -3.4, "humidity": 40.5}
    with pytest.raises(DecodeError, match="unknown record"):
        milesight_em300_th(bytes.fromhex("0999FF"))
    with pytest.raises(DecodeError, match="no record"):
        milesight_em300_th(b"")
