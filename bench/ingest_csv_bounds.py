"""What bounds the CSV ingest: the ingest statement of ``bench/ingest_csv.py`` taken apart.

    .venv/bin/python bench/ingest_csv_bounds.py                       # 5 million rows, 3 runs each
    .venv/bin/python bench/ingest_csv_bounds.py --workdir /tmp/b --reuse   # the CSV ingest_csv.py left there

The file is transcoded once, then DuckDB runs, on the same store settings as the bench
(``memory_limit`` 512MB), statements that each do one thing more than the one before: the
reader alone (values not built), every value built, the validation's typing and checks (the
ingest's own statement, aggregated), the same rows into an in-memory table, then into the store
(what the ingest step does). CPU seconds of the process, all DuckDB threads, median of the runs:
the difference between two lines is what the added work costs.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
from pathlib import Path

from ingest_csv import SCHEMA, generate

from territoria.catalog.model import TableSchema
from territoria.connectors.formats.csv import read_csv, transcode_to_utf8
from territoria.engines.base import quote_ident
from territoria.engines.duckdb.engine import DuckDBEngine
from territoria.validation.tableschema import _plan, _statement


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def steps(engine: DuckDBEngine, csv_path: Path, tmp: Path) -> list[tuple[str, str]]:
    """(label, statement) from the reader alone to the ingest's own write."""
    raw = read_csv(engine, csv_path, {}, tmp)
    parts, names, _ = _plan(raw, TableSchema.model_validate(SCHEMA))
    statement = _statement(raw.in_file_order, raw, parts, numbered=False)
    columns = [c for c, _ in raw.columns]
    built = " + ".join(f"sum(length({quote_ident(c)}))" for c in columns)
    checked = ", ".join(f"count({quote_ident(c)})" for c in [*names, "_errors", "_raw"])
    return [
        ("read: lines split, values not built", f"SELECT count(*) FROM {raw.in_file_order}"),
        ("read: every value built", f"SELECT {built} FROM {raw.in_file_order}"),
        ("+ typing and checks (the ingest statement)", f"SELECT {checked} FROM ({statement})"),
        ("+ rows into an in-memory table", f"CREATE OR REPLACE TEMP TABLE bound AS {statement}"),
        ("+ rows into the store (the ingest step)", f"CREATE OR REPLACE TABLE main.bound AS {statement}"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--reuse", action="store_true", help="keep the CSV already in --workdir")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-bounds-") as tmp:
        work = args.workdir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        source = work / "conso.csv"
        if not (args.reuse and source.exists()):
            generate(args.rows, source)
        utf8 = Path(tmp) / "conso.utf8.csv"
        started = cpu()
        transcode_to_utf8(source, utf8, "cp1252")
        print(f"{cpu() - started:6.2f} CPU-s  transcoding Windows-1252 -> UTF-8 (Python, one thread)")
        engine = DuckDBEngine.open(Path(tmp), memory_limit="512MB")
        try:
            for label, sql in steps(engine, utf8, Path(tmp)):
                times = []
                for _ in range(args.repeat):
                    started = cpu()
                    engine.execute(sql)
                    times.append(cpu() - started)
                print(f"{statistics.median(times):6.2f} CPU-s  {label}")
        finally:
            engine.close()


if __name__ == "__main__":
    main()
