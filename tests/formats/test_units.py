"""Small pure functions of the readers."""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path

import pytest

from territoria.connectors.formats.csv import detect_delimiter, detect_encoding, looks_like_html, normalise_encoding
from territoria.connectors.formats.xlsx import cell_text
from territoria.core.errors import ConfigError
from territoria.engines.base import Engine

from .support import ingest


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        (b"a;b\n\xc3\xa9;1\n", "utf-8"),
        (b"\xef\xbb\xbfa;b\n", "utf-8-sig"),
        (b"a;b\n\xe9;\x80\n", "cp1252"),
        ("a;b\n".encode("utf-16"), "utf-16"),
        (b"a;b\n\xc3", "utf-8"),  # a character cut by the end of the sample is not an error
    ],
)
def test_detect_encoding(sample: bytes, expected: str) -> None:
    assert detect_encoding(sample) == expected


def test_utf16_file_is_transcoded(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "u16.csv"
    path.write_bytes("commune\tvaleur\nSaint-Malo\t1\n".encode("utf-16"))
    assert ingest(engine, path, tmp_path).staging == [("Saint-Malo", "1")]


def test_delimiter_and_html_and_encoding_names() -> None:
    assert detect_delimiter("a;b;c") == ";"
    assert detect_delimiter("a,b,c") == ","
    assert detect_delimiter("a\tb") == "\t"
    assert detect_delimiter("seule") == ";"
    assert looks_like_html("  <!DOCTYPE html><html>")
    assert looks_like_html("<?xml version='1.0'?><html><body>")
    assert not looks_like_html("code;libelle\n")
    assert normalise_encoding("Windows-1252") == "cp1252"
    assert normalise_encoding("ISO-8859-1") == "latin-1"
    with pytest.raises(ConfigError):
        normalise_encoding("nope")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, None),
        (True, "true"),
        (12.0, "12"),
        (12.5, "12.5"),
        (7, "7"),
        (datetime(2023, 6, 30), "2023-06-30"),
        (datetime(2023, 6, 30, 8, 15), "2023-06-30T08:15:00"),
        (date(2023, 6, 30), "2023-06-30"),
        (time(8, 15), "08:15:00"),
        ("  Rennes ", "Rennes"),
        ("   ", None),
    ],
)
def test_cell_text(value: object, text: str | None) -> None:
    assert cell_text(value) == text
