"""Build the SensorThings relations from the registry and the store, and run queries on them.

The small entity tables are rebuilt when the registry changes; a write to the store (seen at each
request by a few ``stat`` calls on the hourly files) only replaces the local days and per-month
spans of the months it touched. Observations and hourly statistics read the Parquet files
directly, so new uplinks are visible as soon as they are written.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import duckdb

from territoria.engines.base import quote_ident, quote_literal
from territoria.engines.duckdb.engine import DuckDBEngine
from territoria.sensors.aggregates import daily_sql
from territoria.sensors.ingest import open_registry, store_for
from territoria.sensors.registry import REGISTRY, Registry
from territoria.sensors.sta.entities import SCHEMAS, registry_tables, table_sql
from territoria.sensors.sta.model import ENTITY_SETS, OBS_ID_SHIFT, EntitySet, Prop
from territoria.sensors.sta.obsfiles import ObservationFiles
from territoria.sensors.sta.odata import Options, QueryError, Resolver, Term, parse_filter

T = TypeVar("T")


def _iso(us: int) -> str:
    return datetime.fromtimestamp(us / 1e6, UTC).isoformat().replace("+00:00", "Z")


@dataclass
class Page:
    rows: list[dict[str, Any]]
    count: int | None
    more: bool


class Service:
    def __init__(self, root: Path, private: Path, communes: list[str]) -> None:
        self.root = root
        self.private = private
        self.communes = communes
        self.store = store_for(private)
        self._engine: DuckDBEngine | None = None
        self._lock = threading.Lock()
        self._engine_lock = threading.Lock()
        self._version: tuple[int | None, dict[str, tuple[int, int]]] | None = None
        self._registry: Registry | None = None
        #: the observation files, their row counts, by datastream and month
        self._files = ObservationFiles()

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """The in-memory DuckDB, opened at the first request so that mounting the API stays instant."""
        if self._engine is None:
            with self._engine_lock:
                if self._engine is None:
                    engine = DuckDBEngine(None)
                    engine.con.execute("SET TimeZone = 'UTC'")
                    # Observation files come and go (every flush writes some, compaction replaces them):
                    # DuckDB's external file cache, bounded only by memory_limit, would keep each one read.
                    engine.con.execute("SET enable_external_file_cache = false")
                    self._engine = engine
        return self._engine.con

    # -- catalog -----------------------------------------------------------------------------
    def refresh(self) -> None:
        """Bring the relations up to date with the registry and the store (a few ``stat`` calls
        when nothing changed). A write to the store changes one or two months of hourly
        aggregates: only those months' hours and local days are replaced, so the cost of a
        request right after a write does not grow with the history."""
        reg = self.root / REGISTRY
        stat = reg.stat() if reg.exists() else None
        registry_version = stat.st_mtime_ns if stat else None
        # Every write folds into (and compaction re-stamps) the hourly files: their stat is the signal.
        months = self.store.hourly_versions()
        if (registry_version, months) == self._version:
            return
        with self._lock:
            if self._version is not None and (registry_version, months) == self._version:
                return
            previous = self._version
            if previous is None or previous[0] != registry_version:
                self._registry = open_registry(self.root, self.private, self.communes) if stat else None
                self._build_registry(self._registry)
                changed = set(months)
                full = True
            else:
                old = previous[1]
                changed = {m for m in set(months) | set(old) if months.get(m) != old.get(m)}
                full = False
            self._update_store(changed, full)
            self._version = (registry_version, months)

    def _build_registry(self, registry: Registry | None) -> None:
        con = self.con
        for name, rows in registry_tables(registry).items():
            con.execute(table_sql(name, SCHEMAS[name], rows))
        con.execute(
            "CREATE OR REPLACE TABLE sta_spans (month VARCHAR, datastream_id BIGINT, first TIMESTAMPTZ, "
            "last TIMESTAMPTZ)"
        )
        con.execute(
            "CREATE OR REPLACE TABLE sta_daily_t (id BIGINT, datastream_id BIGINT, start_time TIMESTAMPTZ, "
            "end_time TIMESTAMPTZ, n BIGINT, mean DOUBLE, min DOUBLE, max DOUBLE)"
        )
        con.execute(
            """CREATE OR REPLACE VIEW sta_daily AS SELECT * EXCLUDE (end_time),
            strftime(start_time, '%Y-%m-%dT%H:%M:%SZ') || '/' || strftime(end_time, '%Y-%m-%dT%H:%M:%SZ')
                AS phenomenon_time
            FROM sta_daily_t"""
        )

    def _update_store(self, months: set[str], full: bool) -> None:
        """The hourly statistics are a view over the store's month files (read when queried); the
        local days that the hours of ``months`` fall in are recomputed, and so are those months'
        first and last hours per datastream; then the Observations view and the Datastreams'
        phenomenon times (from the per-month spans)."""
        con = self.con.cursor()
        tz = self._registry.config.timezone if self._registry else "UTC"
        stored = {p.stem.removeprefix("month="): p for p in self.store.hourly_files()}
        try:
            con.execute("BEGIN TRANSACTION")
            con.execute(_hourly_view(list(stored.values())))
            if full:
                con.execute("DELETE FROM sta_spans")
            for month in sorted(months):
                if not full:
                    con.execute(f"DELETE FROM sta_spans WHERE month = {quote_literal(month)}")
                if month in stored:
                    con.execute(
                        f"INSERT INTO sta_spans SELECT {quote_literal(month)}, datastream, min(hour), max(hour) "
                        f"FROM read_parquet({quote_literal(str(stored[month]))}) GROUP BY ALL"
                    )
            for day_range, neighbours in _local_days(months, tz, full):
                files = [stored[m] for m in neighbours if m in stored]
                con.execute(f"DELETE FROM sta_daily_t WHERE {day_range.format(col='start_time')}")
                if not files:
                    continue
                listed = ", ".join(quote_literal(str(f)) for f in files)
                src = f"(SELECT * FROM read_parquet([{listed}]) WHERE {day_range.format(col='hour')})"
                con.execute(f"INSERT INTO sta_daily_t SELECT {DAILY_COLUMNS.format(tz=quote_literal(tz))} "
                            f"FROM ({daily_sql(src, tz)})")  # fmt: skip
            con.execute(
                """CREATE OR REPLACE TABLE sta_datastreams AS
                SELECT d.* EXCLUDE (start_time, phenomenon_time),
                       coalesce(h.first, NULL) AS start_time,
                       strftime(h.first, '%Y-%m-%dT%H:%M:%SZ') || '/' || strftime(h.last, '%Y-%m-%dT%H:%M:%SZ')
                           AS phenomenon_time
                FROM sta_datastreams_base d
                LEFT JOIN (SELECT datastream_id, min(first) AS first, max(last) + INTERVAL 1 HOUR AS last
                           FROM sta_spans GROUP BY ALL) h ON h.datastream_id = d.id"""
            )
            con.execute(_observations_view(self._files.update(self.store.obs_files)))
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        finally:
            con.close()

    # -- queries -----------------------------------------------------------------------------
    def resolver(self, es: EntitySet, alias: str = "t", depth: int = 0) -> Resolver:
        def resolve(path: list[str]) -> Term:
            head = path[0]
            if head in ("id", "@iot.id"):
                return Term(f"{alias}.id", "number")
            if head in es.props:
                prop = es.props[head]
                if prop.filter is not None:
                    sql = prop.filter.format(a=alias)
                else:
                    sql = "NULL" if prop.select == "NULL" else f"{alias}.{prop.select}"
                if prop.kind == "json" and len(path) > 1:
                    pointer = "$." + ".".join(path[1:])
                    return Term(f"json_extract_string({alias}.{prop.select}, {quote_literal(pointer)})", "json")
                kind = {"geojson": "geometry", "interval": "time"}.get(prop.kind, prop.kind)
                return Term(sql, kind)
            nav = es.navs.get(head)
            to_one = nav is not None and not nav.many
            if nav is not None and to_one and nav.remote == "id" and len(path) == 2 and path[1] in ("id", "@iot.id"):
                # `Datastream/@iot.id eq 1` is the foreign key itself: no correlated subquery, so the
                # filter reaches the scan (as fast as the path form `Datastreams(1)/Observations`)
                return Term(f"{alias}.{nav.local}", "number")
            if nav is not None and not nav.many and len(path) > 1 and depth < 4:
                target = ENTITY_SETS[nav.target]
                sub = f"n{depth}"
                inner = self.resolver(target, sub, depth + 1).resolve(path[1:])
                return Term(
                    f"(SELECT {inner.sql} FROM {target.table} {sub} WHERE {sub}.{nav.remote} = {alias}.{nav.local})",
                    inner.kind,
                )
            raise QueryError(
                f"{es.name} has no property {'/'.join(path)!r}",
                hint=f"properties: {', '.join(es.props)}; to-one navigation: "
                + ", ".join(n for n, v in es.navs.items() if not v.many),
            )

        return Resolver(resolve)

    def page(self, es: EntitySet, where: list[str], opts: Options, default_top: int = 100) -> Page:
        columns = self._columns(es, opts.select)
        rows, count, more = self._run(es, where, opts, default_top, ", ".join(c for _, c, _ in columns))
        return Page([_row(columns, r) for r in rows], count, more)

    def page_json(self, es: EntitySet, where: list[str], opts: Options, link_base: str) -> tuple[str, int | None, bool]:
        """The rows of a link-less entity set (the aggregates) as a JSON array built by DuckDB.

        Tens of thousands of daily statistics serialise in milliseconds this way, where building
        Python dicts row by row would dominate the response time.
        """
        fields = []
        for name, sql, _kind in self._columns(es, opts.select)[1:]:
            fields.append(f"{quote_ident(name)} := {sql}")
        if "Datastream@iot.id" in es.props and (opts.select is None or "Datastream" in opts.select):
            link = f"{quote_literal(link_base + '/Datastreams(')} || t.datastream_id || ')'"
            fields.append(f"{quote_ident('Datastream@iot.navigationLink')} := {link}")
        rows, count, more = self._run(es, where, opts, 100, f"to_json(struct_pack({', '.join(fields)}))")
        return "[" + ",".join(r[0] for r in rows) + "]", count, more

    def pages_of(
        self, es: EntitySet, key: str, parents: list[int], where: list[str], opts: Options, default_top: int = 100
    ) -> dict[int, Page]:
        """The page of ``es`` under each parent (rows whose ``key`` column is the parent's id), in
        one query: ``$expand`` of a to-many navigation costs one query per page of parents, not
        one per parent. ``$top``/``$skip``/``$count`` apply per parent, as the per-parent query would."""
        self.refresh()
        columns = self._columns(es, opts.select)
        top = min(opts.top if opts.top is not None else default_top, es.max_top)
        resolver = self.resolver(es)
        conditions = [*where, f"t.{key} IN ({', '.join(str(int(p)) for p in parents)})"]
        if opts.filter:
            conditions.append(parse_filter(opts.filter, resolver))
        order = [f"{resolver.resolve(name.split('/')).sql} {'DESC' if desc else 'ASC'}" for name, desc in opts.orderby]
        order.append("t.id ASC")
        picked = ", ".join(f"{sql} AS c{i}" for i, (_, sql, _) in enumerate(columns))
        sql = f"""SELECT * EXCLUDE (_n) FROM (
                SELECT t.{key} AS _parent, count(*) OVER (PARTITION BY t.{key}) AS _total,
                       row_number() OVER (PARTITION BY t.{key} ORDER BY {", ".join(order)}) AS _n, {picked}
                FROM {es.table} t WHERE {" AND ".join(f"({c})" for c in conditions)})
            WHERE _n > {opts.skip} AND _n <= {opts.skip + top + 1} ORDER BY _parent, _n"""
        found = self._read(lambda cursor: cursor.execute(sql).fetchall())
        pages = {int(p): Page([], 0 if opts.count else None, False) for p in parents}
        for parent, total, *values in found:
            page = pages[int(parent)]
            page.count = int(total) if opts.count else None
            if len(page.rows) < top:
                page.rows.append(_row(columns, tuple(values)))
            else:
                page.more = True
        return pages

    def _run(
        self, es: EntitySet, where: list[str], opts: Options, default_top: int, select: str
    ) -> tuple[list[tuple[Any, ...]], int | None, bool]:
        self.refresh()
        top = min(opts.top if opts.top is not None else default_top, es.max_top)
        conditions = list(where)
        resolver = self.resolver(es)
        if opts.filter:
            conditions.append(parse_filter(opts.filter, resolver))
        clause = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        order = [f"{resolver.resolve(name.split('/')).sql} {'DESC' if desc else 'ASC'}" for name, desc in opts.orderby]
        order.append("t.id ASC")

        def read(cursor: duckdb.DuckDBPyConnection) -> tuple[list[tuple[Any, ...]], int | None, bool]:
            if es.table == "sta_observations" and not opts.orderby:
                return self._observations_page(cursor, select, conditions, opts, top)
            sql = f"SELECT {select} FROM {es.table} t{clause} ORDER BY {', '.join(order)} LIMIT {top + 1} "
            rows = cursor.execute(sql + f"OFFSET {opts.skip}").fetchall()
            count = cursor.execute(f"SELECT count(*) FROM {es.table} t{clause}").fetchone() if opts.count else None
            return rows[:top], int(count[0]) if count else None, len(rows) > top

        return self._read(read)

    def _read(self, query: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
        """``query`` on a cursor of the relations. The listener (another process) may compact the
        observation files between the refresh and the read: a part read then is gone, and the
        compaction has re-stamped the aggregates, so a refresh lists the compacted file instead
        (compaction runs every 50 batches: reading once more suffices)."""
        for again in (True, False):
            cursor = self.con.cursor()
            try:
                return query(cursor)
            except duckdb.IOException as exc:
                if not again:
                    raise QueryError(f"the query cannot be evaluated: {str(exc).splitlines()[0]}") from exc
            except duckdb.Error as exc:
                raise QueryError(f"the query cannot be evaluated: {str(exc).splitlines()[0]}") from exc
            finally:
                cursor.close()
            self.refresh()
        raise AssertionError("unreachable")  # the second attempt returns or raises

    def _observations_page(
        self, cursor: duckdb.DuckDBPyConnection, select: str, conditions: list[str], opts: Options, top: int
    ) -> tuple[list[tuple[Any, ...]], int | None, bool]:
        named = [int(m.group(1)) for c in conditions if (m := SAME_DATASTREAM.fullmatch(c.strip()))]
        if len(named) < len(conditions):
            return _observations_page(cursor, self._observations_of(conditions), select, conditions, opts, top)
        # all Observations, or those of one datastream: the files' row counts say where the page is
        streams = None if not named else set(named) if len(set(named)) == 1 else set()
        rows, count = self._files.page(cursor, _observations_relation, select, streams, opts.skip, top)
        return rows[:top], count if opts.count else None, len(rows) > top

    def _observations_of(self, conditions: list[str]) -> str:
        """The Observations relation, over only the files of the datastreams the query names.

        ``Datastreams(1)/Observations`` and ``$filter=Datastream/@iot.id eq 1`` both give the
        condition ``t.datastream_id = 1``: reading only that datastream's partition spares DuckDB
        opening the footer of every other file."""
        named = [int(m.group(1)) for c in conditions if (m := SAME_DATASTREAM.fullmatch(c.strip()))]
        if not named:
            return "sta_observations"
        return _observations_relation(self._files.files_of(set(named)), set(named))

    def lookup(self, es: EntitySet, where: list[str], column: str) -> Any:
        """One column of the single entity matching ``where`` (None when there is none)."""
        self.refresh()
        cursor = self.con.cursor()
        try:
            found = cursor.execute(
                f"SELECT t.{column} FROM {es.table} t WHERE {' AND '.join(where)} LIMIT 1"
            ).fetchone()
        finally:
            cursor.close()
        return found[0] if found else None

    def _columns(self, es: EntitySet, select: list[str] | None) -> list[tuple[str, str, str]]:
        wanted = select or ["@iot.id", *es.props]
        columns: list[tuple[str, str, str]] = [("@iot.id", "t.id", "id")]
        for name in wanted:
            if name in ("id", "@iot.id"):
                continue
            prop = es.props.get(name)
            if prop is None:
                if name in es.navs:
                    continue
                raise QueryError(f"$select: {es.name} has no property {name!r}", hint=", ".join(es.props))
            sql = "NULL" if prop.select == "NULL" else f"t.{prop.select}"
            if prop.kind == "time":
                # formatted by DuckDB (UTC session): faster than Python datetimes, and no pytz needed
                sql = f"strftime({sql}, '%Y-%m-%dT%H:%M:%S.%gZ')"
            columns.append((name, sql, prop.kind))
        return columns


#: a local day as served, from ``daily_sql``'s columns (``{tz}``: the registry's time zone, quoted)
DAILY_COLUMNS = f"""(datastream::BIGINT << {OBS_ID_SHIFT}) | epoch_ms(timezone({{tz}}, day::TIMESTAMP)) AS id,
    datastream::BIGINT AS datastream_id, timezone({{tz}}, day::TIMESTAMP) AS start_time,
    timezone({{tz}}, (day + 1)::TIMESTAMP) AS end_time, n, mean, min, max"""


def _files(files: list[Path], empty: dict[str, str]) -> str:
    """The Parquet files as one relation, or no rows with the ``empty`` columns (name: SQL type)."""
    if files:
        return f"read_parquet([{', '.join(quote_literal(str(f)) for f in files)}])"
    return f"(SELECT {', '.join(f'NULL::{t} AS {c}' for c, t in empty.items())} WHERE false)"


def _hourly_view(files: list[Path]) -> str:
    source = _files(files, {"datastream": "INTEGER", "hour": "TIMESTAMPTZ", "n": "BIGINT", "sum": "DOUBLE",
                            "min": "DOUBLE", "max": "DOUBLE"})  # fmt: skip
    return f"""CREATE OR REPLACE VIEW sta_hourly AS
        SELECT (datastream::BIGINT << {OBS_ID_SHIFT}) | epoch_ms(hour) AS id, datastream::BIGINT AS datastream_id,
               hour AS start_time, n, sum / n AS mean, min, max,
               strftime(hour, '%Y-%m-%dT%H:%M:%SZ') || '/' || strftime(hour + INTERVAL 1 HOUR, '%Y-%m-%dT%H:%M:%SZ')
                   AS phenomenon_time
        FROM {source}"""


def _next_month(month: str, step: int = 1) -> str:
    year, mon = divmod(int(month[:4]) * 12 + int(month[5:7]) - 1 + step, 12)
    return f"{year:04d}-{mon + 1:02d}"


def _local_days(months: set[str], tz: str, full: bool) -> list[tuple[str, list[str]]]:
    """For each month of hours, a condition (``{col}``: a TIMESTAMPTZ column) selecting the whole
    local days its hours fall in, and the months whose hours those days hold: the day of a
    month's first hour and the day of its last may be shared with the neighbouring month."""
    if full:
        return [("true", sorted(months))] if months else []
    zone = quote_literal(tz)
    out = []
    for month in sorted(months):
        start, end = f"{month}-01 00:00:00+00:00", f"{_next_month(month)}-01 00:00:00+00:00"
        first = f"CAST(timezone({zone}, TIMESTAMPTZ '{start}') AS DATE)"
        last = f"CAST(timezone({zone}, TIMESTAMPTZ '{end}' - INTERVAL 1 HOUR) AS DATE)"
        condition = (
            f"{{col}} >= timezone({zone}, {first}::TIMESTAMP) AND {{col}} < timezone({zone}, ({last} + 1)::TIMESTAMP)"
        )
        out.append((condition, [_next_month(month, -1), month, _next_month(month)]))
    return out


#: a condition naming one datastream (the path form's, or the translation of ``Datastream/@iot.id eq N``)
SAME_DATASTREAM = re.compile(r"\(?t\.datastream_id = (\d+)\)?")


def _observations_view(files: list[Path]) -> str:
    return f"CREATE OR REPLACE VIEW sta_observations AS {_observations_select(files)}"


def _observations_relation(files: list[Path], datastreams: set[int] | None = None) -> str:
    """The Observations of some files, of only ``datastreams`` if given: the condition is on the
    stored column, so that DuckDB skips the row groups of other datastreams by their statistics."""
    return f"({_observations_select(files, datastreams)})"


def _observations_select(files: list[Path], datastreams: set[int] | None = None) -> str:
    source = _files(files, {"datastream": "INTEGER", "time": "TIMESTAMPTZ", "result": "DOUBLE", "foi": "INTEGER",
                            "fcnt": "BIGINT"})  # fmt: skip
    where = f" WHERE datastream IN ({', '.join(map(str, sorted(datastreams)))})" if datastreams else ""
    return f"""SELECT (datastream::BIGINT << {OBS_ID_SHIFT}) | epoch_ms(time) AS id, time AS phenomenon_time, result,
               datastream::BIGINT AS datastream_id, foi::BIGINT AS foi_id, json_object('fCnt', fcnt) AS parameters
        FROM {source}{where}"""


def _observations_page(
    cursor: duckdb.DuckDBPyConnection, relation: str, select: str, conditions: list[str], opts: Options, top: int
) -> tuple[list[tuple[Any, ...]], int | None, bool]:
    """A page of Observations in id order without sorting them all.

    An Observation's id is ``datastream << 42 | epoch ms``: id order is datastream order, then
    time. Counting the matching rows per datastream (one scan of a narrow column) tells which
    datastreams hold rows ``skip .. skip + top``; only those are read and sorted. The counts also
    answer ``$count``.
    """
    clause = f" WHERE {' AND '.join(f'({c})' for c in conditions)}" if conditions else ""
    counts = cursor.execute(
        f"SELECT t.datastream_id, count(*) FROM {relation} t{clause} GROUP BY ALL ORDER BY 1"
    ).fetchall()
    wanted: list[int] = []
    before = seen = 0
    for ds, n in counts:
        if seen + n > opts.skip and seen < opts.skip + top + 1:
            if not wanted:
                before = seen
            wanted.append(int(ds))
        seen += n
    rows: list[tuple[Any, ...]] = []
    if wanted:
        keep = f"t.datastream_id IN ({', '.join(map(str, wanted))})"
        where = " WHERE " + " AND ".join([*(f"({c})" for c in conditions), keep])
        rows = cursor.execute(
            f"SELECT {select} FROM {relation} t{where} ORDER BY t.id ASC LIMIT {top + 1} OFFSET {opts.skip - before}"
        ).fetchall()
    return rows[:top], seen if opts.count else None, len(rows) > top


def _row(columns: list[tuple[str, str, str]], values: tuple[Any, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for (name, _sql, kind), value in zip(columns, values, strict=True):
        if value is None:
            out[name] = None
        elif kind in ("json", "geojson"):
            out[name] = json.loads(value)
        else:
            out[name] = value
    return out


def decode_observation_id(value: int) -> tuple[int, int]:
    return value >> OBS_ID_SHIFT, value & ((1 << OBS_ID_SHIFT) - 1)


__all__ = ["Page", "Prop", "Service", "_iso", "decode_observation_id"]
