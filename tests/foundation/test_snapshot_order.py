"""The order of a published table's rows in its snapshot file (``publication/snapshot.py``).

Every column sorts it (the same rows give the same bytes on any thread count); when the source's
validated primary key lies among the first columns, the sort stops there, and the file is the
same, byte for byte.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import random
import shutil
from collections import Counter
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, cast

from territoria.engines.base import Engine
from territoria.ledger import success_definitions
from territoria.pipelines import run_pipeline
from territoria.pipelines.plan import Plan, build_plan
from territoria.pipelines.spec import IngestStep
from territoria.publication.snapshot import (
    _all_columns,
    _in_canonical_order,
    current_snapshot,
    publication_dir,
    unique_key,
    write_snapshot,
)
from territoria.workspace import Workspace

#: a source keyed on its two first columns, its other columns varying within a year
ENTRY = """\
identifier: releves
title: Relevés
access: open
publisher: {name: Commune}
licence: Licence Ouverte / Open Licence
publish: true
source: {kind: file, path: data/releves.csv, format: csv}
schema:
  fields:
    - {name: annee, type: integer, constraints: {required: true}}
    - {name: code, type: string, constraints: {required: true}}
    - {name: nom, type: string}
    - {name: valeur, type: number}
  primaryKey: [annee, code]
"""


def _keyed_source(ws: Workspace) -> None:
    rng = random.Random(18)
    rows = [
        (year, f"{code:05d}", rng.choice(["a", "b", "c"]), rng.random()) for year in (2021, 2020) for code in range(400)
    ]
    rng.shuffle(rows)
    (ws.root / "data").mkdir(exist_ok=True)
    lines = ["annee,code,nom,valeur", *(f"{y},{c},{n},{v!r}" for y, c, n, v in rows)]
    (ws.root / "data" / "releves.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (ws.sources_dir / "releves.yaml").write_text(ENTRY, encoding="utf-8")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _as_planned(plan: Plan) -> Callable[[], dict[str, str]]:
    """``made_with`` of a store whose every step last succeeded with the plan's definition."""
    return lambda: {step.id: step.definition_hash for step in plan.steps.values()}


def test_a_table_keyed_on_its_first_columns_is_sorted_on_them_into_the_same_bytes(small_ws: Workspace) -> None:
    _keyed_source(small_ws)
    plan = build_plan(small_ws)
    info = plan.datasets["published.releves"]
    with small_ws.engine() as engine:
        assert run_pipeline(small_ws, engine).count("failed") == 0
        made_with = partial(success_definitions, engine)
        assert unique_key(plan, info, made_with) == ["annee", "code"]
        assert (
            _in_canonical_order(engine, info, unique_key(plan, info, made_with), partial(_all_columns, engine))
            == 'SELECT * FROM "published"."releves" ORDER BY 1, 2'
        )
        every_column = small_ws.root / "every_column.parquet"
        engine.copy_to(f"SELECT * FROM {info.qualified} ORDER BY ALL", every_column, "PARQUET", {"COMPRESSION": "zstd"})
    snapshot = current_snapshot(small_ws.private)
    assert snapshot is not None
    manifest = json.loads((snapshot.path / "manifest.json").read_text(encoding="utf-8"))
    assert _sha(snapshot.path / manifest["tables"]["releves"]["file"]) == _sha(every_column)


def test_every_column_sorts_a_table_whose_key_may_not_hold(small_ws: Workspace) -> None:
    """A key with a field that may be NULL (the ingest checks the key among rows without NULL), a
    key behind a guard, a key spanning every column: the sort is on every column."""
    _keyed_source(small_ws)
    plan = build_plan(small_ws)
    info = plan.datasets["published.releves"]
    ingest = plan.steps["ingest:releves"]
    assert isinstance(ingest, IngestStep) and ingest.entry.schema_ is not None
    first, *others = ingest.entry.schema_.fields
    optional = first.model_copy(update={"constraints": first.constraints.model_copy(update={"required": False})})
    masked = first.model_copy(update={"secretValues": ["s"]})
    for field in (optional, masked):
        schema = ingest.entry.schema_.model_copy(update={"fields": [field, *others]})
        plan.steps["ingest:releves"] = dataclasses.replace(
            ingest, entry=ingest.entry.model_copy(update={"schema_": schema})
        )
        assert unique_key(plan, info, _as_planned(plan)) == []
    plan.steps["ingest:releves"] = ingest
    assert unique_key(plan, dataclasses.replace(info, secrecy="statistical.x"), _as_planned(plan)) == []
    population = plan.datasets["published.population-communes"]
    assert unique_key(plan, population, _as_planned(plan)) == ["CODGEO", "ANNEE"]  # the key ends on the last column
    with small_ws.engine() as engine:
        run_pipeline(small_ws, engine)
        assert _in_canonical_order(engine, population, ["CODGEO", "ANNEE"], partial(_all_columns, engine)).endswith(
            " ORDER BY ALL"
        )
        assert _in_canonical_order(engine, info, [], partial(_all_columns, engine)).endswith(" ORDER BY ALL")


class CountingEngine:
    """An engine that is not DuckDB (as the snapshot sees it) and counts each table's column
    listings; every other call goes to the DuckDB engine it wraps."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self.capabilities = dataclasses.replace(engine.capabilities, sql_dialect="postgres")
        self.listed: Counter[tuple[str, str]] = Counter()

    def columns(self, schema: str, table: str) -> list[tuple[str, str]]:
        self.listed[(schema, table)] += 1
        return self._engine.columns(schema, table)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._engine, name)


def test_another_engine_lists_each_table_s_columns_once_per_snapshot(small_ws: Workspace) -> None:
    """The catalog's listing of every table's columns serves the published tables' sort too."""
    _keyed_source(small_ws)
    with small_ws.engine() as engine:
        assert run_pipeline(small_ws, engine).count("failed") == 0
        shutil.rmtree(publication_dir(small_ws))  # every published table copied again, the catalog written
        counting = CountingEngine(engine)
        snapshot = write_snapshot(small_ws, cast(Engine, counting), build_plan(small_ws), "20990101T000000-count")
    assert {"population-communes", "releves"} <= {t for s, t in counting.listed if s == "published"}
    assert [table for table, n in counting.listed.items() if n > 1] == []
    manifest = json.loads((snapshot.path / "manifest.json").read_text(encoding="utf-8"))
    assert "releves" in manifest["tables"]


def test_rows_an_earlier_definition_validated_sort_on_every_column(small_ws: Workspace) -> None:
    """A schema edit adds a primary key, and that run's ingest fails: staging keeps rows that were
    never checked against the key, some equal on it. With no earlier file to link, the snapshot
    sorts them on every column, not on the key (their order there would be the engine's)."""
    _keyed_source(small_ws)
    entry = small_ws.sources_dir / "releves.yaml"
    entry.write_text(ENTRY.replace("  primaryKey: [annee, code]\n", ""), encoding="utf-8")
    data = small_ws.root / "data" / "releves.csv"
    header, *rows = data.read_text(encoding="utf-8").splitlines()
    twins = [row.rsplit(",", 1)[0] + ",0.5" for row in rows]  # each (annee, code) twice, nom and valeur apart
    data.write_text("\n".join([header, *rows, *twins]) + "\n", encoding="utf-8")
    with small_ws.engine() as engine:
        assert run_pipeline(small_ws, engine).count("failed") == 0
    entry.write_text(ENTRY, encoding="utf-8")
    data.write_text("annee,code,nom\n2020,00001,a\n", encoding="utf-8")  # a column gone: the ingest fails
    with small_ws.engine() as engine:
        assert "ingest:releves" in {r.step for r in run_pipeline(small_ws, engine).failed}
        plan = build_plan(small_ws)
        info = plan.datasets["published.releves"]
        assert unique_key(plan, info, partial(success_definitions, engine)) == []
        shutil.rmtree(publication_dir(small_ws))
        snapshot = write_snapshot(small_ws, engine, plan, "20990101T000000-edit")
        every_column = small_ws.root / "every_column.parquet"
        engine.copy_to(f"SELECT * FROM {info.qualified} ORDER BY ALL", every_column, "PARQUET", {"COMPRESSION": "zstd"})
        assert engine.fetch_all(f"SELECT count(*) FROM {info.qualified}")[0][0] == 2 * len(rows)
    manifest = json.loads((snapshot.path / "manifest.json").read_text(encoding="utf-8"))
    assert _sha(snapshot.path / manifest["tables"]["releves"]["file"]) == _sha(every_column)
