"""PostgreSQL/PostGIS against a real server (the local one, else a private cluster)."""

from __future__ import annotations

import errno
import json
import os
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from territoria.testing.entries import table_schema
from territoria.testing.postgres import PostgresServer, postgres_server
from territoria.workspace import Workspace

from .conftest import add_source, fetches, run_one, step, table

SCHEMA = table_schema({"id": "integer", "commune": "string", "conso_mwh": "number", "geom": "geometry"})


@pytest.fixture
def db(pg: PostgresServer) -> Iterator[str]:
    dsn = pg.create_database()
    with psycopg.connect(dsn, autocommit=True) as con:
        con.execute(
            "CREATE TABLE batiments (id serial PRIMARY KEY, commune text, conso_mwh numeric, "
            "maj timestamptz DEFAULT now(), geom geometry(Point, 2154))"
        )
        insert(con, 0, 3)
    yield dsn
    pg.drop_database(dsn)


def insert(con: psycopg.Connection, start: int, n: int) -> None:
    for i in range(start, start + n):
        con.execute(
            "INSERT INTO batiments (commune, conso_mwh, geom) VALUES (%s, %s, ST_SetSRID(ST_MakePoint(%s, %s), 2154))",
            ["35238", 10.5 + i, 351000 + i * 10, 6789000 + i * 10],
        )


def test_table_incremental_on_a_cursor(small_ws: Workspace, db: str) -> None:
    source = {"kind": "postgres", "dsn": db, "table": "public.batiments", "cursor": "id"}
    add_source(small_ws, "bati", source, SCHEMA)
    assert step(run_one(small_ws, "bati"), "bati").status == "success"
    rows = table(
        small_ws, "bati", "SELECT id, conso_mwh, round(ST_X(geom), 2), round(ST_Y(geom), 2) FROM {t} ORDER BY id"
    )
    assert [r[:2] for r in rows] == [(1, 10.5), (2, 11.5), (3, 12.5)]
    assert -1.8 < rows[0][2] < -1.5 and 48.0 < rows[0][3] < 48.2  # Lambert-93 reprojected to WGS84

    assert step(run_one(small_ws, "bati"), "bati").status == "skipped"
    unchanged = fetches(small_ws, "bati")[-1]
    assert unchanged["status"] == "unchanged (same row count and cursor maximum)" and unchanged["bytes"] == 0

    with psycopg.connect(db, autocommit=True) as con:
        insert(con, 3, 2)
    assert step(run_one(small_ws, "bati"), "bati").status == "success"
    assert fetches(small_ws, "bati")[-1]["headers"]["read"] == "incremental (2 new row(s) after 3)"
    assert [r[0] for r in table(small_ws, "bati", "SELECT id FROM {t} ORDER BY id")] == [1, 2, 3, 4, 5]

    with psycopg.connect(db, autocommit=True) as con:
        con.execute("DELETE FROM batiments WHERE id = 2")
    assert step(run_one(small_ws, "bati"), "bati").status == "success"
    assert fetches(small_ws, "bati")[-1]["headers"]["read"] == "full"
    assert [r[0] for r in table(small_ws, "bati", "SELECT id FROM {t} ORDER BY id")] == [1, 3, 4, 5]


def test_updates_replace_rows_by_key(small_ws: Workspace, db: str) -> None:
    query = "SELECT id, commune, conso_mwh, maj FROM batiments"
    add_source(small_ws, "bati", {"kind": "postgres", "dsn": db, "query": query, "cursor": "maj", "key": ["id"]})
    assert step(run_one(small_ws, "bati"), "bati").status == "success"
    with psycopg.connect(db, autocommit=True) as con:
        con.execute("UPDATE batiments SET conso_mwh = 99, maj = now() + interval '1 minute' WHERE id = 1")
    assert step(run_one(small_ws, "bati"), "bati").status == "success"
    assert fetches(small_ws, "bati")[-1]["headers"]["read"].startswith("incremental (1 new row(s)")
    rows = table(small_ws, "bati", "SELECT id, conso_mwh FROM {t} ORDER BY id")
    assert rows == [(1, 99.0), (2, 11.5), (3, 12.5)]


def test_database_errors_are_clear(small_ws: Workspace, db: str, pg: PostgresServer) -> None:
    add_source(small_ws, "bati", {"kind": "postgres", "dsn": db, "table": "absente"})
    assert (
        'the database rejected the query: relation "absente" does not exist'
        in step(run_one(small_ws, "bati"), "bati").error
    )
    add_source(small_ws, "bati", {"kind": "postgres", "dsn": db, "table": "batiments", "cursor": "nope"})
    assert "cursor column 'nope' is not in batiments" in step(run_one(small_ws, "bati"), "bati").error
    add_source(
        small_ws, "bati", {"kind": "postgres", "dsn": db.replace("postgres@", "postgres:hunter2@"), "table": "t"}
    )
    error = step(run_one(small_ws, "bati"), "bati").error
    assert "password is written in clear" in error and "hunter2" not in error
    add_source(small_ws, "bati", {"kind": "postgres", "dsn": pg.dsn("absente_db"), "table": "t"})
    assert "the database refused the connection" in step(run_one(small_ws, "bati"), "bati").error


def test_private_cluster_when_nothing_answers(small_ws: Workspace) -> None:
    with postgres_server(prefer_local=False) as server:
        assert server.private and server.port != 5432
        dsn = server.create_database()
        with psycopg.connect(dsn, autocommit=True) as con:
            con.execute("CREATE TABLE t AS SELECT 1 AS a, ST_GeomFromText('POINT(-1.68 48.11)', 4326) AS geom")
        add_source(small_ws, "priv", {"kind": "postgres", "dsn": dsn, "table": "t"})
        assert step(run_one(small_ws, "priv"), "priv").status == "success"
        assert table(small_ws, "priv", "SELECT a, ST_AsText(geom) FROM {t}") == [(1, "POINT (-1.68 48.11)")]


def test_password_from_the_environment_only(small_ws: Workspace, db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_PG_PASSWORD", "pg-s3cr3t@/:x")
    source = {"kind": "postgres", "dsn": db.replace("postgres@", "postgres:${TEST_PG_PASSWORD}@"), "table": "batiments"}
    add_source(small_ws, "bati", source)
    assert step(run_one(small_ws, "bati"), "bati").status == "success"
    record = fetches(small_ws, "bati")[0]
    assert record["url"].startswith("postgresql://postgres@127.0.0.1:") and record["url"].endswith("#batiments")
    assert "s3cr3t" not in json.dumps(record)


def test_dropped_column_fails_before_reading(small_ws: Workspace, db: str) -> None:
    add_source(small_ws, "bati", {"kind": "postgres", "dsn": db, "table": "batiments", "cursor": "id"}, SCHEMA)
    assert step(run_one(small_ws, "bati"), "bati").status == "success"
    with psycopg.connect(db, autocommit=True) as con:
        con.execute("ALTER TABLE batiments DROP COLUMN conso_mwh")
    rec = step(run_one(small_ws, "bati"), "bati")
    assert rec.status == "failed" and "batiments no longer publishes the field(s) conso_mwh" in rec.error
    assert len(table(small_ws, "bati")) == 3


def test_an_unreadable_previous_payload_is_a_clear_source_error(
    small_ws: Workspace, db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An incremental read merges new rows into the payload landed last time: when that landed file
    cannot be read, the step fails with what and why, not an internal error. Root (the tests' user
    here) may read every file: the kernel's refusal is raised where the landed file is read."""
    add_source(small_ws, "bati", {"kind": "postgres", "dsn": db, "table": "batiments", "cursor": "id"}, SCHEMA)
    assert step(run_one(small_ws, "bati"), "bati").status == "success"
    with psycopg.connect(db, autocommit=True) as con:
        insert(con, 3, 2)
    objects, read_table = small_ws.landing.objects, pq.read_table

    def refused(source: object, *args: object, **kwargs: object) -> pa.Table:
        if Path(str(source)).is_relative_to(objects):
            raise PermissionError(13, "Permission denied", str(source))
        return read_table(source, *args, **kwargs)

    monkeypatch.setattr(pq, "read_table", refused)
    failed = step(run_one(small_ws, "bati"), "bati")
    assert failed.status == "failed" and "traceback" not in failed.report
    assert "the previous payload of bati" in failed.error and "cannot be read: Permission denied" in failed.error


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EACCES])
def test_a_refused_write_in_the_temporary_folder_is_a_clear_error(
    small_ws: Workspace, db: str, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    """The rows are written to a Parquet file in ``.territoria/tmp`` before they land: a full disk
    or a refused write there fails the step with the file and what to do, lands and publishes
    nothing, and leaves no half-written file. The kernel's refusal is raised where Arrow writes."""
    add_source(small_ws, "bati", {"kind": "postgres", "dsn": db, "table": "batiments"}, SCHEMA)
    writer = pq.ParquetWriter

    class Refused(writer):  # type: ignore[misc, valid-type]
        def write_batch(self, *args: object, **kwargs: object) -> None:
            raise OSError(code, os.strerror(code), str(self.where))

        def __init__(self, where: object, *args: object, **kwargs: object) -> None:
            super().__init__(where, *args, **kwargs)
            self.where = where

    monkeypatch.setattr(pq, "ParquetWriter", Refused)
    failed = step(run_one(small_ws, "bati"), "bati")
    target = small_ws.tmp_dir / "postgres-bati.parquet"
    assert failed.status == "failed" and "traceback" not in failed.report, failed.error
    assert f"the rows of bati could not be written to {target} before landing: {os.strerror(code)}" in failed.error
    assert "internal error" not in failed.error and f"df -h {small_ws.tmp_dir}" in failed.error
    assert not any(small_ws.tmp_dir.iterdir()) and fetches(small_ws, "bati") == []
    with small_ws.engine() as engine:
        assert not engine.table_exists("staging", "bati") and not engine.table_exists("published", "bati")
