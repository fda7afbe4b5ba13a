"""Files in and out of the Spark engine: CSV read as text columns, results written as one file."""

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
    rejects: str | None,
    skip_bad_lines: bool,
) -> str:
    """A temp view of the CSV, every column as text in file order; its name is the relation."""
    if rejects:
        raise EngineError(
            "the spark engine does not report a CSV's malformed lines line by line",
            hint="check the file with `engine: duckdb`, or declare the source `on_bad_lines: skip`",
        )
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
