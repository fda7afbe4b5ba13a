"""Readers that turn a landed payload into a SQL relation of raw rows.

A reader is chosen by the source's ``format`` option and registered in ``READERS``; each
returns a ``RawRelation`` whose columns are the file's own names, in file order, with a
``_line`` column locating every row in the file (for quarantine reports).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from territoria.connectors.formats.base import RawRelation, Rejected
from territoria.connectors.formats.csv import read_csv
from territoria.connectors.formats.parquet import read_parquet
from territoria.connectors.formats.vector import read_geojson, read_shapefile
from territoria.connectors.formats.xlsx import read_xlsx
from territoria.core.errors import ConfigError
from territoria.core.suggest import did_you_mean
from territoria.engines.base import Engine

Reader = Callable[[Engine, Path, dict[str, Any], Path], RawRelation]

READERS: dict[str, Reader] = {
    "csv": read_csv,
    "xlsx": read_xlsx,
    "parquet": read_parquet,
    "geoparquet": read_parquet,
    "geojson": read_geojson,
    "shapefile": read_shapefile,
}


def get_reader(fmt: str) -> Reader:
    if fmt not in READERS:
        raise ConfigError(
            f"unknown format {fmt!r}; known formats: {', '.join(READERS)}", hint=did_you_mean(fmt, READERS)
        )
    return READERS[fmt]


__all__ = ["READERS", "RawRelation", "Rejected", "get_reader"]
