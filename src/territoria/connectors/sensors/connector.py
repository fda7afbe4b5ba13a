"""The ``sensors`` connector: lands the sensor store's aggregates as Parquet.

So the normal pipeline (landing, validation, models, indicators) applies to sensor data: the
climate-adaptation pack's models read ``ref('capteurs-temperature-horaire')`` like any dataset.
The connector reads the store's files only (no lock), so it runs while a listener writes.
"""

from __future__ import annotations

import io
from typing import ClassVar, Literal

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import BaseModel, ConfigDict

from territoria.connectors.spec import FetchContext, FetchRecord, FetchResult
from territoria.core.errors import SourceError, WaitingForData
from territoria.core.hashing import stable_hash
from territoria.sensors.aggregates import connect, hourly_relation, landed_sql
from territoria.sensors.ingest import open_registry, store_for
from territoria.sensors.registry import REGISTRY


class SensorsOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    table: Literal["hourly", "daily", "datastreams"]
    #: only datastreams of these quantities (all when empty)
    quantities: list[str] = []
    format: Literal["parquet"] = "parquet"


DATASTREAM_COLUMNS = {
    "datastream": pa.int32(),
    "thing": pa.string(),
    "quantity": pa.string(),
    "unit": pa.string(),
    "dev_eui": pa.string(),
    "profile": pa.string(),
    "commune": pa.string(),
    "lon": pa.float64(),
    "lat": pa.float64(),
    "role": pa.string(),
}


def _reason(exc: OSError | duckdb.IOException) -> str:
    if isinstance(exc, OSError):
        return f"{exc.filename}: {exc.strerror}" if exc.filename and exc.strerror else str(exc)
    return str(exc).splitlines()[0]


class SensorsConnector:
    kind: ClassVar[str] = "sensors"
    Options: ClassVar[type[BaseModel]] = SensorsOptions

    def fetch(self, options: BaseModel, ctx: FetchContext) -> FetchResult:
        assert isinstance(options, SensorsOptions)
        private = ctx.workspace_root / ".territoria"
        store = store_for(private)
        reg_path = ctx.workspace_root / REGISTRY
        reg_stat = reg_path.stat() if reg_path.exists() else None
        fingerprint = stable_hash(
            [
                options.model_dump(),
                store.version(),
                [reg_stat.st_size, reg_stat.st_mtime_ns] if reg_stat else None,
                sorted(ctx.territory.communes),
            ]
        )
        prev = ctx.previous_state or {}
        url = f"territoria:sensors/{options.table}"
        if prev.get("fingerprint") == fingerprint and prev.get("sha256") and ctx.landing.has(prev["sha256"]):
            record = FetchRecord(ctx.dataset, self.kind, url, "unchanged (sensor store)", False, 0, prev["sha256"])
            return FetchResult(False, prev["sha256"], prev, record)
        try:
            table = self._build(options, ctx, store)
        except (OSError, duckdb.IOException) as exc:  # the user's registry or the store's files, not a bug
            raise SourceError(
                f"the sensor registry or store cannot be read: {_reason(exc)}",
                hint=f"give the territoria process read access to {REGISTRY} and .territoria/sensors "
                "(a workspace restored or copied as another user?), then run again",
            ) from exc
        if table.num_rows == 0:
            # no network declared, or no uplink yet: nothing to compute on, which is not a failure
            raise WaitingForData(
                f"the sensor store has no {options.table} data for {', '.join(options.quantities) or 'any quantity'}",
                hint=f"declare the sensors in {REGISTRY} and feed uplinks (`territoria sensors --help`)",
            )
        buffer = io.BytesIO()
        pq.write_table(table, buffer, compression="zstd")
        landed = ctx.landing.put_stream([buffer.getvalue()])
        changed = landed.sha256 != prev.get("sha256")
        status = "new content" if changed else "unchanged (same content hash)"
        record = FetchRecord(
            ctx.dataset, self.kind, url, status, changed, landed.size, landed.sha256, headers={"rows": table.num_rows}
        )
        state = {"fingerprint": fingerprint, "sha256": landed.sha256}
        return FetchResult(changed, landed.sha256, state, record, landed)

    def _build(self, options: SensorsOptions, ctx: FetchContext, store: object) -> pa.Table:
        private = ctx.workspace_root / ".territoria"
        rows: list[dict[str, object]] = []
        timezone = "Europe/Paris"
        if (ctx.workspace_root / REGISTRY).exists():
            registry = open_registry(ctx.workspace_root, private, ctx.territory.communes)
            timezone = registry.config.timezone
            rows = [r for r in registry.datastreams() if not options.quantities or r["quantity"] in options.quantities]
        streams = pa.Table.from_pylist(rows, schema=pa.schema(list(DATASTREAM_COLUMNS.items())))
        if options.table == "datastreams":
            return streams
        con = connect()
        try:
            con.register("_streams", streams)
            relation = hourly_relation(con, store_for(private))
            return con.execute(landed_sql(options.table, relation, "_streams", timezone)).to_arrow_table()
        finally:
            con.close()
