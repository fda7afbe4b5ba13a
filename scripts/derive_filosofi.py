"""Ship INSEE's Filosofi 2021 files (commune and IRIS) in the social_health pack.

Run by a maintainer when the files are refreshed (never at run time):

    python scripts/derive_filosofi.py ../shared/data/real/insee

The national files are shipped as they are, gzipped (their bytes come back unchanged, which the
script checks): ``territoria init`` writes the lines of the territory's départements, under
the original header, into the workspace's ``data/`` folder, so the pack's Table Schemas read
INSEE's own layout (``;``, decimal comma, ``s``/``nd``/``ns``/``so`` markers, codes as
strings). The attribution (producer, licence, vintage, checksums) goes to ``ATTRIBUTION.md``.
"""

from __future__ import annotations

import gzip
import hashlib
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "src" / "territoria" / "usecases" / "social_health" / "data"
FILES = {
    "cc_filosofi_2021_COM.csv": "filosofi-2021-communes.csv.gz",
    "BASE_TD_FILO_IRIS_2021_DISP.csv": "filosofi-2021-iris-disp.csv.gz",
}
ROWS = [
    (
        "filosofi-2021-communes.csv.gz",
        "`cc_filosofi_2021_COM.csv`, unmodified: median disposable income, poverty rate at 60 %, D1, D9, "
        "D9/D1, income structure, by commune ({com_rows} communes; `s` = secret)",
        "INSEE, Filosofi 2021 — indicateurs de revenus et de pauvreté par commune "
        "(https://www.insee.fr/fr/statistiques/7756729)",
    ),
    (
        "filosofi-2021-iris-disp.csv.gz",
        "`BASE_TD_FILO_IRIS_2021_DISP.csv`, unmodified: disposable income by IRIS (poverty rate, median, "
        "deciles, Gini, income structure) ({iris_rows} IRIS of communes of 5,000 inhabitants or more; "
        "`s`, `nd`, `ns`, `so`)",
        "INSEE, Filosofi 2021 — revenus, pauvreté et niveau de vie par IRIS (https://www.insee.fr/fr/statistiques/8229323)",
    ),
]
LICENCE = "2021 incomes, 2022 geography | Licence Ouverte / Open Licence 2.0 — « Source : INSEE, Filosofi 2021 »"
ATTRIBUTION = """# Data shipped in this folder

| file | content | producer, dataset | vintage | licence |
| --- | --- | --- | --- | --- |
{rows}

Derived by `scripts/derive_filosofi.py`: gzip of the national files as published (SHA-256 of the
uncompressed bytes below); `territoria init` writes the lines of the territory's départements
(original header, whole lines) into the workspace's `data/`; the pack's models keep the
territory's communes and IRIS. INSEE states that Filosofi 2021 is the last edition.

| file | SHA-256 of the uncompressed bytes |
| --- | --- |
{sums}
"""


def main(folder: Path) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    sums, rows = [], {}
    for name, target in FILES.items():
        raw = (folder / name).read_bytes()
        # mtime 0 and no file name: the same input always gives the same bytes
        packed = gzip.compress(raw, compresslevel=9, mtime=0)
        if gzip.decompress(packed) != raw:
            raise SystemExit(f"{name}: the gzip copy does not give the original bytes back")
        (OUT / target).write_bytes(packed)
        sums.append(f"| `{target}` | `{hashlib.sha256(raw).hexdigest()}` |")
        rows[target] = raw.count(b"\n") - 1
    counts = {
        "com_rows": f"{rows['filosofi-2021-communes.csv.gz']:,}",
        "iris_rows": f"{rows['filosofi-2021-iris-disp.csv.gz']:,}",
    }
    table = "\n".join(
        f"| `{f}` | {content.format(**counts)} | {producer} | {LICENCE} |" for f, content, producer in ROWS
    )
    text = ATTRIBUTION.format(rows=table, sums="\n".join(sums))
    (OUT / "ATTRIBUTION.md").write_text(text, encoding="utf-8")
    print(f"wrote {', '.join(FILES.values())} and ATTRIBUTION.md into {OUT}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/real/insee"))
