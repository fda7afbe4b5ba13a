"""The publication's canonical order on a 7 M-row keyed table: every column, or the unique key.

``publication/snapshot.py`` copies each changed published table sorted on every column (the same
rows give the same file on any thread count). A source whose validated primary key lies among its
first columns is sorted on those columns only: the same order, so the same bytes. This copies a
table shaped like Enedis' IRIS consumption (``annee, code_iris`` then names, codes and figures,
some masked) from a DuckDB store file to Parquet both ways, alternately (A B A B...), and prints
the CPU and wall medians of each, their ratio, and that the files are identical; and, for scale,
the same copy in no order (C: what the sort costs on top of writing the file).

    .venv/bin/python bench/publication_order.py [--rows 7000000] [--repeat 3] [--threads N]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import sys
import tempfile
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _usage import Usage

from territoria.engines.base import Engine
from territoria.engines.duckdb.engine import DuckDBEngine
from territoria.pipelines.spec import DatasetInfo
from territoria.publication.snapshot import _all_columns, _in_canonical_order

TABLE = """
CREATE TABLE published.conso_iris AS
SELECT 2015 + (i % 10) AS annee, lpad(((i // 10) * 7 % 1000000000)::VARCHAR, 9, '0') AS code_iris,
       'IRIS ' || (i // 10)::VARCHAR AS nom_iris, lpad(((i // 160) % 35000)::VARCHAR, 5, '0') AS code_commune,
       'Commune ' || ((i // 160) % 35000)::VARCHAR AS nom_commune, ['H', 'A', 'D'][1 + i % 3] AS type_iris,
       CASE WHEN i % 11 = 0 THEN NULL ELSE (hash(i) % 500)::INTEGER END AS nb_sites_residentiel,
       CASE WHEN i % 11 = 0 THEN NULL ELSE (hash(i) % 100000) / 7.0 END AS conso_totale_residentiel_mwh,
       i % 11 = 0 AS nb_sites_residentiel_secret,
       (hash(i + 1) % 90)::INTEGER AS nb_sites_professionnel,
       (hash(i + 1) % 70000) / 3.0 AS conso_totale_professionnel_mwh
FROM range({rows}) r(i) ORDER BY hash(i)
"""


def _copy(engine: Engine, select: str, dest: Path) -> Usage:
    before = Usage.now()
    engine.copy_to(select, dest, "PARQUET", {"COMPRESSION": "zstd"})
    return Usage.now() - before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=7_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        engine = DuckDBEngine(work / "store.duckdb", threads=args.threads)
        engine.execute("CREATE SCHEMA published")
        engine.execute(TABLE.format(rows=args.rows))
        info = DatasetInfo("conso_iris", "published", "")
        every = f"SELECT * FROM {info.qualified} ORDER BY ALL"  # main's order
        keyed = _in_canonical_order(engine, info, ["annee", "code_iris"], partial(_all_columns, engine))
        print(f"{args.rows:,} rows; A: {every}\nB: {keyed}")
        runs: dict[str, list[Usage]] = {"A": [], "B": [], "C": []}
        digests: dict[str, set[str]] = {"A": set(), "B": set(), "C": set()}
        for _ in range(args.repeat):
            for name, select in (("A", every), ("B", keyed), ("C", f"SELECT * FROM {info.qualified}")):
                dest = work / f"{name}.parquet"
                runs[name].append(_copy(engine, select, dest))
                digests[name].add(hashlib.sha256(dest.read_bytes()).hexdigest())
                dest.unlink()
        engine.close()
    for name, usages in runs.items():
        cpu, wall = statistics.median(u.cpu for u in usages), statistics.median(u.wall for u in usages)
        print(f"{name}: CPU median {cpu:.2f} s {[round(u.cpu, 2) for u in usages]}, wall median {wall:.2f} s")
    ratio_cpu = statistics.median(u.cpu for u in runs["A"]) / statistics.median(u.cpu for u in runs["B"])
    ratio_wall = statistics.median(u.wall for u in runs["A"]) / statistics.median(u.wall for u in runs["B"])
    print(f"every column / key: CPU {ratio_cpu:.2f}x, wall {ratio_wall:.2f}x; load average {os.getloadavg()}")
    same = len(digests["A"]) == 1 and digests["A"] == digests["B"]
    print("files identical on every copy:", same)
    if not same:
        raise SystemExit("the two orders gave different files")


if __name__ == "__main__":
    main()
