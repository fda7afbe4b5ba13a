"""Derive the SINOE déchèterie extract shipped with the resources pack.

Input: ADEME SINOE "tonnage déchèterie par type de déchet" by département
(SINOE14_TonnageDecheterieParTypeDechet.csv, Licence Ouverte 2.0). Output: the same lines, byte
for byte, header first, gzip-compressed (mtime 0, so the bytes are reproducible), and the
attribution file next to it. Optional ``--departements 35,56`` keeps only those départements'
lines (whole lines, unmodified): that is how the test fixture was cut.

    python scripts/derive_sinoe.py SINOE14_TonnageDecheterieParTypeDechet.csv \
        src/territoria/usecases/resources/data/sinoe-decheteries-departements.csv.gz
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import io
from pathlib import Path

HEADER = "ANNEE,C_REGION,L_REGION,C_DEPT,N_DEPT,C_TYP_REG_DECHET,L_TYP_REG_DECHET,TONNAGE_T"


def whole_lines(raw: bytes, departements: set[str] | None) -> bytes:
    lines = raw.splitlines(keepends=True)
    if lines[0].decode("utf-8").strip() != HEADER:
        raise SystemExit(f"unexpected header {lines[0]!r}: the producer changed the layout, check the schema")
    kept = [lines[0]]
    for line in lines[1:]:
        row = next(csv.reader(io.StringIO(line.decode("utf-8"))))
        if departements is None or row[3] in departements:
            kept.append(line)
    return b"".join(kept)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", type=Path)
    parser.add_argument("dest", type=Path)
    parser.add_argument("--departements", default="")
    args = parser.parse_args()
    raw = args.source.read_bytes()
    deps = {d.strip() for d in args.departements.split(",") if d.strip()} or None
    out = whole_lines(raw, deps)
    if args.dest.suffix == ".gz":
        args.dest.write_bytes(gzip.compress(out, compresslevel=9, mtime=0))
    else:
        args.dest.write_bytes(out)
    kept, total = out.count(b"\n") - 1, raw.count(b"\n") - 1
    print(f"{args.dest}: {kept} lines of {total}, sha256 of the source {hashlib.sha256(raw).hexdigest()}")


if __name__ == "__main__":
    main()
