"""PostgreSQL/PostGIS: a table or a query, incremental on a cursor column.

Before downloading, one aggregate query asks the database for the row count and the cursor's
maximum: when both equal the previous ones, nothing is read. When only new rows arrived (the
maximum moved), only rows past the previous maximum are read and merged with the previous
landed payload (rows whose ``key`` reappears are replaced); when rows disappeared, or the merge
does not add up to the database's count, the whole relation is read again.

Rows stream through a server-side cursor into a Parquet file (bounded memory), landed once
complete. PostGIS geometries are reprojected to WGS84 and written as WKB with GeoParquet
metadata, so the reader types them GEOMETRY.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar, Literal

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from pydantic import BaseModel, ConfigDict, Field, model_validator

from territoria.connectors.http.secrets import Secrets
from territoria.connectors.postgres.db import Database, Relation
from territoria.connectors.spec import (
    CheckResult,
    FetchContext,
    FetchResult,
    check_declared_fields,
    landed_result,
    still_landed,
    unchanged_result,
)
from territoria.core.errors import SourceError
from territoria.landing.store import LandingError


class PostgresOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    #: postgresql://user@host:port/dbname — a password only as ``${VAR}``
    dsn: str
    password: str | None = None
    #: ``schema.table`` or ``table``
    table: str | None = None
    query: str | None = None
    #: a column that only grows (id, updated_at): enables incremental reads
    cursor: str | None = None
    #: columns identifying a row, so that an updated row replaces its previous version
    key: list[str] = Field(default_factory=list)
    batch_size: int = 10_000
    connect_timeout: int = 15
    format: Literal["parquet"] = "parquet"
    read: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_relation(self) -> PostgresOptions:
        if (self.table is None) == (self.query is None):
            raise ValueError("give either `table` or `query`")
        return self


def _geo_metadata(geometry_columns: list[str]) -> dict[bytes, bytes]:
    if not geometry_columns:
        return {}
    columns = {c: {"encoding": "WKB", "geometry_types": []} for c in geometry_columns}
    geo = {"version": "1.0.0", "primary_column": geometry_columns[0], "columns": columns}
    return {b"geo": json.dumps(geo).encode()}


def _previous_payload(ctx: FetchContext, sha256: str) -> pa.Table:
    """The payload landed last time, which the new rows are merged into."""
    path = ctx.landing.path(sha256)
    try:
        return pq.read_table(path)
    except OSError as exc:  # the landing store's file, unreadable to this process: not a bug
        raise SourceError(
            f"the previous payload of {ctx.dataset}, {path}, cannot be read: {exc.strerror or exc}",
            hint="give the territoria process read access to .territoria/landing (a workspace restored "
            "or copied as another user?), then run again",
        ) from exc


def _unwritable(dataset: str, target: Path, exc: OSError) -> LandingError:
    """The rows are written to a Parquet file in ``.territoria/tmp`` before they land: a refusal
    there (ENOSPC, EDQUOT, EACCES, EROFS...) names the file and what to free or grant."""
    why = exc.strerror or str(exc)  # Arrow's own errors carry no errno: its message says why
    return LandingError(
        f"the rows of {dataset} could not be written to {target} before landing: {why}",
        hint=f"free space on the disk that holds {target.parent} (df -h {target.parent}) and give the "
        "territoria process write access to it, then run again; nothing was landed or published",
    )


class PostgresConnector:
    kind: ClassVar[str] = "postgres"
    Options: ClassVar[type[BaseModel]] = PostgresOptions

    def fetch(self, options: BaseModel, ctx: FetchContext) -> FetchResult:
        assert isinstance(options, PostgresOptions)
        prev = ctx.previous_state or {}
        with Database(options, Secrets(ctx.dataset), ctx.dataset) as db:
            rel = db.relation()
            check_declared_fields(ctx, [c for c, _ in rel.columns], rel.label)
            stats = db.stats(rel)
            state = {"count": stats[0], "cursor_max": stats[1], "cursor_type": stats[2]}
            url = db.public_url(rel)
            same = prev.get("count") == stats[0] and prev.get("cursor_max") == stats[1]
            if options.cursor and same and still_landed(ctx):
                return unchanged_result(ctx, self.kind, url, "same row count and cursor maximum", prev)
            target = ctx.tmp_dir / f"postgres-{ctx.dataset}.parquet"
            try:
                try:
                    mode = self._write(db, rel, options, ctx, prev, stats[0], target)
                except OSError as exc:  # a full disk or a refused write in .territoria/tmp: not a bug
                    raise _unwritable(ctx.dataset, target, exc) from exc
                landed = ctx.landing.put_file(target)
            finally:
                target.unlink(missing_ok=True)
        headers = {"rows": stats[0], "read": mode, "geometry_columns": rel.geometry}
        return landed_result(ctx, self.kind, url, landed, state, headers=headers)

    def _write(
        self,
        db: Database,
        rel: Relation,
        options: PostgresOptions,
        ctx: FetchContext,
        prev: dict[str, Any],
        count: int,
        target: Any,
    ) -> str:
        schema = rel.arrow_schema().with_metadata(_geo_metadata(rel.geometry))
        incremental = (
            options.cursor
            and prev.get("cursor_max") is not None
            and still_landed(ctx)
            and count >= int(prev.get("count") or 0)
        )
        if incremental:
            previous = _previous_payload(ctx, prev["sha256"])
            delta = pa.Table.from_batches(list(db.batches(rel, schema, after=prev["cursor_max"])), schema=schema)
            if options.key and delta.num_rows:
                previous = _drop_keys(previous, delta, options.key)
            merged = pa.concat_tables([previous.cast(schema), delta])
            if merged.num_rows == count:
                pq.write_table(merged, target, compression="zstd")
                return f"incremental ({delta.num_rows} new row(s) after {prev['cursor_max']})"
        with pq.ParquetWriter(target, schema, compression="zstd") as writer:
            for batch in db.batches(rel, schema):
                writer.write_batch(batch)
        return "full"

    def check(self, options: BaseModel, ctx: FetchContext) -> CheckResult:
        assert isinstance(options, PostgresOptions)
        prev = ctx.previous_state or {}
        with Database(options, Secrets(ctx.dataset), ctx.dataset) as db:
            rel = db.relation()
            count, cursor_max, _ = db.stats(rel)
            url = db.public_url(rel)
        if not still_landed(ctx):
            return CheckResult(True, "never fetched (or its payload was removed by retention)", url)
        if count != prev.get("count") or cursor_max != prev.get("cursor_max"):
            return CheckResult(True, f"{count} rows, cursor maximum {cursor_max}", url)
        if options.cursor:
            return CheckResult(False, "same row count and cursor maximum", url)
        return CheckResult(
            None, "same row count; without a `cursor` column the content is compared at the next run", url
        )


def _drop_keys(previous: pa.Table, delta: pa.Table, key: list[str]) -> pa.Table:
    def keys(table: pa.Table) -> pa.Array:
        parts = [pc.cast(table[k], pa.string()) for k in key]
        return pc.binary_join_element_wise(*parts, "\x1f") if len(parts) > 1 else parts[0]

    return previous.filter(pc.invert(pc.is_in(keys(previous), value_set=keys(delta))))
