from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest

from territoria import ledger
from territoria.engines import open_engine
from territoria.engines.base import Engine
from territoria.engines.duckdb.engine import DuckDBEngine, open_duckdb
from territoria.ledger import ensure_meta
from territoria.testing.postgres import postgres_server

PG_ENV = "TERRITORIA_PG_DSN"


@pytest.fixture
def engine() -> Iterator[DuckDBEngine]:
    """A fresh in-memory store with the record tables."""
    eng = open_duckdb(None)
    ensure_meta(eng)
    yield eng
    eng.close()


@pytest.fixture(scope="module")
def pg_dsn() -> Iterator[str]:
    with postgres_server() as server:
        dsn = server.create_database(postgis=False)
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv(PG_ENV, dsn)
            yield dsn
        server.drop_database(dsn)


@pytest.fixture(params=["duckdb", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A fresh store with the record tables, on DuckDB (a file) and on PostgreSQL (its own schemas)."""
    options: dict[str, str] = {}
    if request.param == "postgres":
        request.getfixturevalue("pg_dsn")
        options = {"dsn_env": PG_ENV, "schema_prefix": f"s{secrets.token_hex(3)}_"}
    engine = open_engine(request.param, tmp_path, **options)
    try:
        ledger.ensure_meta(engine)
        yield engine
    finally:
        engine.close()


def cells_of(codes: list[int]) -> pa.Table:
    """A cells table of primary cells keyed by ``code``, in the report's layout."""
    n = len(codes)
    return pa.table(
        {
            "code": pa.array(codes, pa.int64()),
            "_cell": pa.array(range(n), pa.int32()),
            "_status": pa.array([1] * n, pa.int8()),
            "_rules": pa.array([1] * n, pa.int32()),
            "_protects": pa.array([None] * n, pa.int32()),
        }
    )
