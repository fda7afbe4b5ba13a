"""Published tables as PostGIS layers, opened with GDAL's PostgreSQL driver (as QGIS does) under
a login role cleared for open data only."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from territoria.engines import open_engine
from territoria.engines.base import TableWrite
from territoria.engines.postgres import PostgresEngine

from .conftest import PG_ENV, needs_ogrinfo, ogrinfo

pytestmark = needs_ogrinfo

ZONES = "SELECT 'z1' AS code, ST_GeomFromText('POLYGON((-1.7 48.1, -1.6 48.1, -1.6 48.2, -1.7 48.1))') AS geom"
SITES = "SELECT 's1' AS site, 12 AS malades, ST_Point(-1.68, 48.11) AS geom"


@pytest.fixture
def store(pg_dsn: str, tmp_path: Path) -> Iterator[PostgresEngine]:
    engine = open_engine("postgres", tmp_path, dsn_env=PG_ENV, schema_prefix=f"g{secrets.token_hex(3)}_")
    assert isinstance(engine, PostgresEngine)
    yield engine
    engine.close()


@pytest.fixture
def qgis_login(pg_dsn: str, store: PostgresEngine) -> Iterator[str]:
    """A login role of the GIS team, cleared for open data (the roles exist once exposed)."""
    name = f"qgis_{secrets.token_hex(3)}"
    yield name
    with psycopg.connect(pg_dsn, autocommit=True) as con:
        con.execute(f'DROP OWNED BY "{name}"')
        con.execute(f'DROP ROLE IF EXISTS "{name}"')


def test_qgis_opens_open_layers_and_is_refused_restricted_ones(
    store: PostgresEngine, qgis_login: str, pg_dsn: str
) -> None:
    store.create_or_replace(TableWrite("published", "zones", ZONES))
    store.create_or_replace(TableWrite("published", "sites_sensibles", SITES))
    store.create_or_replace(TableWrite("published", "chiffres", "SELECT 1 AS n"))
    opened = store.expose_published({"zones": "open", "sites_sensibles": "restricted", "chiffres": "open"})
    assert opened == ["chiffres", "zones"]
    schema = store.schema_name("published")
    assert store.fetch_all(
        "SELECT type, srid FROM geometry_columns WHERE f_table_schema = ? AND f_table_name = 'zones'", [schema]
    ) == [("POLYGON", 4326)]
    assert (
        store.fetch_all("SELECT count(*) FROM pg_indexes WHERE schemaname = ? AND indexdef LIKE '%gist%'", [schema])[0][
            0
        ]
        == 2
    )
    store.execute(f'CREATE ROLE "{qgis_login}" LOGIN')
    store.execute(f'GRANT territoria_open TO "{qgis_login}"')

    listed = ogrinfo(pg_dsn, qgis_login)
    assert listed.returncode == 0, listed.stderr
    assert f"{schema}.zones (Polygon)" in listed.stdout

    zones = ogrinfo(pg_dsn, qgis_login, "-al", f"{schema}.zones")  # every feature, as QGIS draws them
    assert zones.returncode == 0, zones.stderr
    assert "Feature Count: 1" in zones.stdout and 'ID["EPSG",4326]' in zones.stdout
    assert "code (String) = z1" in zones.stdout and "POLYGON ((-1.7 48.1" in zones.stdout

    refused = ogrinfo(pg_dsn, qgis_login, "-al", f"{schema}.sites_sensibles")
    assert "permission denied" in refused.stderr
    assert "malades (Integer) = 12" not in refused.stdout  # the catalog shows columns, never rows


def test_a_table_no_longer_published_is_withdrawn_from_the_roles(
    store: PostgresEngine, qgis_login: str, pg_dsn: str
) -> None:
    """A dataset removed from the plan (a pack disabled, a source deleted) keeps its table until
    `territoria catalog orphans --drop`: GIS clients must stop reading it at the next run."""
    store.create_or_replace(TableWrite("published", "zones", ZONES))
    store.create_or_replace(TableWrite("published", "chiffres", "SELECT 1 AS n"))
    assert store.expose_published({"zones": "open", "chiffres": "open"}) == ["chiffres", "zones"]
    store.execute(f'CREATE ROLE "{qgis_login}" LOGIN')
    store.execute(f'GRANT territoria_open TO "{qgis_login}"')
    schema = store.schema_name("published")
    assert ogrinfo(pg_dsn, qgis_login, "-al", f"{schema}.zones").returncode == 0

    assert store.expose_published({"chiffres": "open"}) == ["chiffres"]  # zones left the plan
    withdrawn = ogrinfo(pg_dsn, qgis_login, "-al", f"{schema}.zones")
    assert "permission denied" in withdrawn.stderr
    assert "code (String) = z1" not in withdrawn.stdout
    assert ogrinfo(pg_dsn, qgis_login, "-al", f"{schema}.chiffres").returncode == 0
