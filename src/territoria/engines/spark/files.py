"""Files in and out of the Spark engine: CSV read as text columns, results written as one file.

A CSV whose malformed lines are to be reported line by line (``rejects``) is read by an
in-process DuckDB, whose reader records each rejected line (number, text, error) where Spark's
drops or fails: the accepted rows are written as Parquet in the engine's scratch directory and
read from there, the rejects handed over as a temporary view named as asked. The file is read
on the driver, once, as the PostgreSQL engine reads it: sources are files of a territory.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from territoria.core.errors import EngineError

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import SparkSession


def read_csv_view(
    spark: SparkSession,
    path: Path,
    *,
    delimiter: str,
    columns: Sequence[str],
    skip: int,
    skip_bad_lines: bool,
) -> str:
    """A temp view of the CSV, every column as text in file order; its name is the relation."""
    schema = ", ".join(f"`{c.replace('`', '``')}` STRING" for c in columns)
    reader = spark.read.options(
        sep=delimiter, quote='"', escape='"', encoding="UTF-8", multiLine=True, enforceSchema=True,
        mode="DROPMALFORMED" if skip_bad_lines else "FAILFAST",
    ).schema(schema)  # fmt: skip
    if skip <= 1:
        frame = reader.option("header", skip == 1).csv(str(path))
    else:
        # no "skip n lines" option in Spark: the lines after the first n, numbered, parsed as CSV
        lines = spark.sparkContext.textFile(str(path)).zipWithIndex()
        frame = reader.csv(lines.filter(lambda pair: pair[1] >= skip).map(lambda pair: pair[0]))
    name = f"_csv_{uuid.uuid4().hex[:12]}"
    frame.createOrReplaceTempView(name)
    return name


def temp_view(name: str) -> str:
    """``name`` as Spark reads a temp view's name (quoted: ``_validate_population-communes`` has a
    dash); the view is then known, and dropped, by ``name`` itself."""
    return "`" + name.replace("`", "``") + "`"


def read_csv_with_rejects(
    spark: SparkSession, scratch: Path, path: Path, *, delimiter: str, columns: Sequence[str], skip: int, rejects: str
) -> str:
    """A temp view of the CSV's accepted lines (text columns, file order; its name is the
    relation, its Parquet the directory of that name under ``scratch``) and the temp view ``rejects`` of the others."""
    from territoria.engines.duckdb.engine import open_duckdb

    name = f"_csv_{uuid.uuid4().hex[:12]}"
    (scratch / name).mkdir(parents=True)
    reader = open_duckdb(None)
    try:
        relation = reader.read_csv_relation(path, delimiter=delimiter, columns=columns, skip=skip, rejects=rejects)
        reader.copy_to(f"SELECT * FROM {relation}", scratch / name / "part-0.parquet", "parquet")
        rejected = reader.fetch_arrow(
            f"SELECT CAST(line AS BIGINT) AS line, csv_line, CAST(error_type AS VARCHAR) AS error_type, "
            f"error_message FROM {rejects}"
        )
    finally:
        reader.close()
    spark.read.parquet(str(scratch / name)).createOrReplaceTempView(name)
    spark.createDataFrame(rejected.to_pylist(), REJECTS_SCHEMA).createOrReplaceTempView(temp_view(rejects))
    return name


#: the rejects view: as DuckDB's rejects table names the columns callers read
REJECTS_SCHEMA = "line BIGINT, csv_line STRING, error_type STRING, error_message STRING"


def copy_to(table: pa.Table, path: Path, fmt: str, options: dict[str, Any] | None = None) -> None:
    """Write a result as one file (Spark writes directories of parts; exports want one file)."""
    opts = {k.lower(): v for k, v in (options or {}).items()}
    kind = fmt.lower()
    if kind == "parquet":
        import pyarrow.parquet as pq

        pq.write_table(table, path, compression=str(opts.get("compression", "zstd")).lower())
    elif kind == "csv":
        import pyarrow.csv as pacsv

        header = str(opts.get("header", True)).lower() not in ("false", "0")
        delimiter = str(opts.get("delimiter", opts.get("delim", ",")))
        pacsv.write_csv(table, path, pacsv.WriteOptions(include_header=header, delimiter=delimiter))
    else:
        raise EngineError(f"the spark engine cannot write {fmt} files", hint="export as parquet or csv")
