"""Derive the climate pack's demonstration extract from Météo-France's daily station file.

    python scripts/derive_meteo_france.py Q_35_latest-2025-2026_RR-T-Vent.csv.gz

keeps the header and the lines of summer 2025 (1 June – 31 August) of every station, byte for
byte (same columns, same values, same line ends), gzipped with a fixed timestamp so that two runs
write identical bytes. The result is what `territoria demo` drops in the Rennes Métropole
workspace as the real reference network; the attribution is in the pack's data/ATTRIBUTION.md.
"""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

TARGET = Path(__file__).resolve().parents[1] / "src/territoria/usecases/climate_adaptation/data"
NAME = "Q_35_ete-2025_RR-T-Vent.csv.gz"
FIRST, LAST = b"20250601", b"20250831"
DATE_COLUMN = b"AAAAMMJJ"


def derive(source: Path, dest: Path) -> int:
    with gzip.open(source, "rb") as fh:
        lines = fh.read().splitlines(keepends=True)
    header, body = lines[0], lines[1:]
    at = header.rstrip(b"\r\n").split(b";").index(DATE_COLUMN)
    kept = [line for line in body if FIRST <= line.split(b";")[at] <= LAST]
    with dest.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as out:
        out.write(header + b"".join(kept))
    return len(kept)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    count = derive(Path(sys.argv[1]), TARGET / NAME)
    print(f"{count} station-days written to {TARGET / NAME}")
