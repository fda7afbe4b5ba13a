"""One place for each engine's test store: ``ENGINE_STORES[kind](request, tmp_path)`` returns the
``engine_options`` that open a fresh, private store of that engine.

An engine missing from the dict opens with no options. PostgreSQL stores share one database
per test session (created on the local server, or a private cluster) and are kept apart by a
schema prefix of their own.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from territoria.engines import open_engine
from territoria.engines.base import Engine
from territoria.engines.registry import available_engines
from territoria.testing.postgres import postgres_server

PG_ENV = "TERRITORIA_PG_DSN"
#: GDAL's command-line tools (gdal-bin, installed by scripts/system-deps.sh): missing on CI is a failure
needs_ogrinfo = pytest.mark.skipif(
    shutil.which("ogrinfo") is None and os.environ.get("CI") != "true",
    reason="gdal-bin is not installed (scripts/system-deps.sh installs it)",
)


def _postgres(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, Any]:
    request.getfixturevalue("pg_dsn")
    return {"dsn_env": PG_ENV, "schema_prefix": f"t{secrets.token_hex(3)}_"}


ENGINE_STORES: dict[str, Callable[[pytest.FixtureRequest, Path], dict[str, Any]]] = {
    "duckdb": lambda request, tmp_path: {},
    "postgres": _postgres,
}

ENGINES = available_engines()


def store_options(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, Any]:
    factory = ENGINE_STORES.get(kind)
    return factory(request, tmp_path) if factory else {}


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Any]:
    with postgres_server() as server:
        yield server


@pytest.fixture(scope="session")
def pg_dsn(pg_server: Any) -> Iterator[str]:
    """A PostGIS database for the session, its DSN in ``TERRITORIA_PG_DSN`` (never in YAML)."""
    dsn = pg_server.create_database(postgis=True)
    previous = os.environ.get(PG_ENV)
    os.environ[PG_ENV] = dsn
    try:
        yield dsn
    finally:
        if previous is None:
            os.environ.pop(PG_ENV, None)
        else:
            os.environ[PG_ENV] = previous
        pg_server.drop_database(dsn)


NO_TRANSACTIONAL_DDL = "no transactional DDL: each table swap is atomic by itself (write, then rename)"
#: (engine, test) -> why the engine fails it: a strict xfail (a gap that closes fails the suite
#: until its line is removed)
GAPS = {
    ("spark", "test_a_failed_transaction_leaves_the_previous_tables"): NO_TRANSACTIONAL_DDL,
    ("spark", "test_a_nested_transaction_joins_the_outer_one"): NO_TRANSACTIONAL_DDL,
    ("spark", "test_a_failed_inner_block_rolls_back_alone"): NO_TRANSACTIONAL_DDL,
    ("spark", "test_ddl_rolls_back_with_the_transaction"): NO_TRANSACTIONAL_DDL,
    ("spark", "test_spatial"): "no spatial functions (Capabilities.spatial is false; callers `require` it)",
    ("spark", "test_appends_accumulate_and_respect_the_key"): "no key constraints: a duplicate key is not refused",
    ("spark", "test_stream_batches_in_bounded_chunks"): "DuckDB's range() table function is not translated",
    ("spark", "test_types_round_trip"): "columns() gives Spark's own type names (STRING, TIMESTAMP_NTZ)",
    ("spark", "test_fingerprints_are_equal_across_engines"): "fingerprints use each engine's own row hash (xxhash64)",
}


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    gap = GAPS.get((request.param, request.function.__name__))
    if gap:
        request.applymarker(pytest.mark.xfail(strict=True, reason=f"{request.param}: {gap}"))
    eng = open_engine(request.param, tmp_path, **store_options(request.param, request, tmp_path))
    yield eng
    eng.close()


@pytest.fixture
def duckdb_engine(tmp_path: Path) -> Iterator[Engine]:
    """The reference engine, for cross-engine comparisons."""
    (tmp_path / "reference").mkdir()
    eng = open_engine("duckdb", tmp_path / "reference")
    yield eng
    eng.close()


def xfail_on(request: pytest.FixtureRequest, engine: Engine, reasons: dict[str, str]) -> None:
    """Strict expected failure for the engines named (an unexpected pass fails the suite)."""
    reason = reasons.get(engine.capabilities.name)
    if reason:
        request.applymarker(pytest.mark.xfail(strict=True, reason=reason))


def ogrinfo(dsn: str, login: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``ogrinfo`` on the store's database through GDAL's PostgreSQL driver (as QGIS connects),
    logged in as ``login``."""
    conninfo = {**psycopg.conninfo.conninfo_to_dict(dsn), "user": login}
    conninfo.pop("password", None)
    conn = " ".join(f"{k}={v}" for k, v in conninfo.items())
    return subprocess.run(
        ["ogrinfo", "-ro", f"PG:{conn}", *args], capture_output=True, text=True, timeout=120, check=False
    )
