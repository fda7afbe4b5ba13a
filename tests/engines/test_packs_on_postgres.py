"""Packs end to end on PostgreSQL/PostGIS: the same published content as on DuckDB, then the
published layers exposed to GIS clients under the access-level roles.

The whole Rennes Métropole demo takes minutes on PostgreSQL (see docs/engines.md): this runs two
of its packs on the demo's territory and inputs, within the suite's time budget.
"""

from __future__ import annotations

import secrets
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

from territoria.catalog.packs import load_pack
from territoria.core.yamlio import read_yaml, write_yaml
from territoria.pipelines import run_pipeline
from territoria.pipelines.plan import build_plan
from territoria.workspace import Workspace
from territoria.workspace.workspace import DEMO_EPCI, init_workspace

from .conftest import PG_ENV

PACKS = ["territory", "social_health"]  # social_health: Filosofi cells through the secrecy guard


def _on_postgres(source: Path, target: Path) -> Workspace:
    """The same workspace files, stored in PostgreSQL (DSN from the environment, own schemas)."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(".territoria"))
    config = read_yaml(target / "territory.yaml")
    config["engine"] = "postgres"
    config["engine_options"] = {"dsn_env": PG_ENV, "schema_prefix": f"w{secrets.token_hex(3)}_"}
    write_yaml(target / "territory.yaml", config)
    return Workspace(target)


def _value(v: Any) -> Any:
    if isinstance(v, float | Decimal):
        return round(float(v), 6)  # the published indicators have at most 6 decimals
    return v


def _published(ws: Workspace) -> dict[str, list[tuple[Any, ...]]]:
    """Every published table's rows, sorted, geometries as WKT."""
    content = {}
    with ws.engine() as engine:
        for schema, name in engine.tables():
            if schema != "published":
                continue
            cols = engine.columns("published", name)
            select = ", ".join(f'ST_AsText("{c}")' if t.startswith("GEOMETRY") else f'"{c}"' for c, t in cols)
            rows = engine.fetch_all(f'SELECT {select} FROM "published"."{name}"')
            content[name] = sorted((tuple(_value(v) for v in r) for r in rows), key=repr)
    return content


def _run(ws: Workspace) -> list[str]:
    with ws.engine() as engine:
        summary = run_pipeline(ws, engine)
    # waiting steps (a sensor feed, a parameter to set) wait on both engines alike
    return [f"{r.step}: {r.error}" for r in summary.records if r.status in ("failed", "blocked")]


def test_packs_publish_the_same_content_on_postgres(pg_dsn: str, tmp_path: Path) -> None:
    # Rennes Métropole with the demo inputs of these packs (climate_adaptation's take a minute to write)
    duck = init_workspace(tmp_path / "duck", epci=DEMO_EPCI, packs=PACKS)
    for name in PACKS:
        load_pack(name).run_hook("prepare_demo", duck)
    pg = _on_postgres(tmp_path / "duck", tmp_path / "pg")
    assert _run(duck) == []
    assert _run(pg) == []
    on_duckdb, on_postgres = _published(duck), _published(pg)
    assert on_duckdb and on_postgres == on_duckdb

    with pg.engine() as engine:  # the layers QGIS opens: typed, indexed, granted by access level
        published = engine.schema_name("published")  # type: ignore[attr-defined]
        typed = engine.fetch_all(
            "SELECT f_table_name, srid FROM geometry_columns WHERE f_table_schema = ?", [published]
        )
        assert {srid for _, srid in typed} <= {4326}  # (none in these packs: the GDAL test covers geometry)
        readable = engine.fetch_all(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = ? AND c.relkind = 'r' AND has_table_privilege('territoria_open', c.oid, 'SELECT')",
            [published],
        )
        levels = {n: i.access.value for n, i in build_plan(pg).datasets.items() if n in on_postgres}
        assert {r[0] for r in readable} == {n for n, level in levels.items() if level == "open"}
