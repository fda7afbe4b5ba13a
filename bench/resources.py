"""Resources pack benchmark: land and water for every current commune of France.

Synthetic inputs at the real files' sizes: the Cerema NAF file (one row per commune, 14 yearly
flows and their six destinations), a year of Hub'Eau drinking-water results (samples in
proportion to the population, ``--params`` analysed parameters each) and VigiEau drought orders
(``--drought-years`` summers). The same outputs computed twice: (1) territoria — the pack's own
SQL models and indicators, rendered as the pipeline renders them, on DuckDB; (2) an idiomatic
pandas implementation (``resources_pandas.py``). The outputs must match; both times and their
ratio are printed.

    .venv/bin/python bench/resources.py [--params 10] [--drought-years 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).parent))
# the tests' loader of in-memory inputs (tests/packs/resources/packsql.py), shared rather than copied
sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))

from resources_pandas import EPCI, pandas_pipeline

from packs.resources.packsql import load as load_inputs
from territoria.catalog.packs import load_pack
from territoria.engines.base import Engine, TableWrite
from territoria.engines.duckdb.engine import open_duckdb
from territoria.pipelines.spec import DatasetInfo, render_sql
from territoria.reference.referential import referential

NAF_YEARS = range(2009, 2023)
DESTS = ("hab", "act", "mix", "rou", "fer", "inc")
LEVELS = np.array(["vigilance", "alerte", "alerte_renforcee", "crise"])
STEPS = [
    ("model", "foncier_flux"), ("model", "foncier_communes"), ("model", "eau_potable_prelevements"),
    ("indicator", "consommation_espaces"), ("indicator", "zan_trajectoire"), ("indicator", "part_surface_consommee"),
    ("indicator", "consommation_par_nouvel_habitant"), ("indicator", "eau_potable_conformite"),
    ("indicator", "jours_restriction_secheresse"),
]  # fmt: skip


def communes_table() -> pa.Table:
    t = pq.read_table(referential().communes_path, columns=["code", "nom", "departement", "population"])
    pop = np.nan_to_num(t["population"].to_numpy(zero_copy_only=False).astype(float)).astype(np.int64)
    return t.set_column(3, "population", pa.array(pop))


def naf_input(codes: np.ndarray, pop: np.ndarray, rng: np.random.Generator) -> pa.Table:
    base = (0.5 + pop * 0.0004) * 1e4
    cols: dict[str, Any] = {"idcom": codes}
    flows = np.stack([np.round(base * 0.97 ** (y - 2009) * rng.lognormal(0, 0.35, len(codes))) for y in NAF_YEARS])
    for k, y in enumerate(NAF_YEARS):
        cols[f"naf{y % 100:02d}art{(y + 1) % 100:02d}"] = flows[k]
    shares = rng.dirichlet(np.full(len(DESTS), 4.0), len(codes))
    for d, dest in enumerate(DESTS):
        for k, y in enumerate(NAF_YEARS):
            cols[f"art{y % 100:02d}{dest}{(y + 1) % 100:02d}"] = np.round(flows[k] * shares[:, d])
    cols["naf11art21"] = flows[2:12].sum(axis=0)
    cols["surfcom2023"] = np.round((4 + pop / 900) * 1e6)
    cols["pop13"] = np.round(pop * 0.95).astype(float)
    cols["pop19"] = np.round(pop * rng.normal(1.0, 0.03, len(codes))).astype(float)
    cols["pop1319"] = cols["pop19"] - cols["pop13"]
    return pa.table(cols)


def water_input(codes: np.ndarray, pop: np.ndarray, params: int, rng: np.random.Generator) -> pa.Table:
    samples = 4 + pop // 2000
    commune = np.repeat(codes, samples)
    n = len(commune)
    ident = np.char.add(commune.astype(str), np.arange(n).astype(str))
    bact = np.where(rng.random(n) < 0.015, "N", np.where(rng.random(n) < 0.02, "S", "C"))
    pc = np.where(rng.random(n) < 0.006, "N", "C")
    dates = np.datetime64("2024-01-01T09:00:00") + rng.integers(0, 365 * 24, n).astype("timedelta64[h]")
    udi = np.char.add("0", (np.arange(n) % 7).astype(str))
    reseaux = np.char.add(np.char.add('[{"code": "', np.char.add(commune.astype(str), udi)), '", "debit": "100 %"}]')
    rows = {
        "code_prelevement": np.repeat(ident, params),
        "code_parametre": np.tile(np.arange(params).astype(str), n),
        "code_commune": np.repeat(commune, params),
        "nom_commune": np.repeat(commune, params),
        "date_prelevement": np.repeat(dates, params),
        "conformite_limites_bact_prelevement": np.repeat(bact, params),
        "conformite_limites_pc_prelevement": np.repeat(pc, params),
        "reseaux": np.repeat(reseaux, params),
    }
    return pa.table(rows)


def drought_input(codes: np.ndarray, years: list[int], rng: np.random.Generator) -> pa.Table:
    parts = []
    for year in years:
        worst = int(rng.integers(1, 4))
        for zone in ("SUP", "SOU"):
            chosen = codes if zone == "SUP" else codes[rng.random(len(codes)) < 0.33]
            start = np.datetime64(f"{year}-06-20") + rng.integers(0, 15, len(chosen)).astype("timedelta64[D]")
            for k in range(worst + 1):
                begin = start + np.timedelta64(14 * k, "D")
                end = begin + np.timedelta64(13 if k < worst else 60, "D")
                parts.append(pd.DataFrame({
                    "code_commune": chosen, "numero_arrete": f"B-{year}-{zone}-{k}", "type_zone": zone,
                    "niveau_gravite": LEVELS[k], "date_debut": begin.astype("datetime64[s]").astype("datetime64[D]"),
                    "date_fin": end.astype("datetime64[D]"),
                }))  # fmt: skip
    df = pd.concat(parts, ignore_index=True)
    return pa.Table.from_pandas(df, preserve_index=False)


def load(engine: Engine, inputs: dict[str, tuple[str, pa.Table]]) -> dict[str, DatasetInfo]:
    datasets: dict[str, DatasetInfo] = {}
    load_inputs(engine, datasets, inputs)
    for layer, name in STEPS:
        datasets[name] = DatasetInfo(name, layer, name)
        engine.ensure_schema(datasets[name].schema)
    return datasets


def territoria_pipeline(engine: Engine, datasets: dict[str, DatasetInfo]) -> tuple[float, float]:
    pack = load_pack("resources")
    params = {
        "territory.name": "France",
        "territory.epci": EPCI,
        "territory.mesh": "epci",
        "territory.code": EPCI,
        "territory.communes": [],
        **pack.definition.parameters,
    }
    t0, c0 = time.perf_counter(), time.process_time()
    steps = []
    for layer, name in STEPS:
        folder = "models" if layer == "model" else "indicators"
        sql = render_sql(pack.read_sql(f"{folder}/{name}.sql"), datasets, params, name)
        started = time.perf_counter()
        engine.create_or_replace(TableWrite(datasets[name].schema, name, sql))
        steps.append(f"{name} {time.perf_counter() - started:.2f}")
    elapsed = time.perf_counter() - t0, time.process_time() - c0
    print("  steps (s):", ", ".join(steps))
    return elapsed


def _same(label: str, ours: pd.DataFrame, theirs: pd.DataFrame, keys: list[str], cols: list[str]) -> None:
    a = ours[keys + cols].sort_values(keys).reset_index(drop=True)
    b = theirs[keys + cols].sort_values(keys).reset_index(drop=True)
    for k in keys:
        a[k], b[k] = a[k].astype(str), b[k].astype(str)
    pd.testing.assert_frame_equal(a, b, check_dtype=False, check_exact=False, rtol=1e-9, obj=label)


def compare(engine: Engine, peer: dict[str, pd.DataFrame]) -> None:
    def frame(sql: str) -> pd.DataFrame:
        return engine.fetch_arrow(sql).to_pandas()

    _same("consommation_espaces", frame("SELECT * FROM indicator.consommation_espaces"),
          peer["consommation_espaces"], ["mesh", "code", "period"], ["value", "habitat_ha"])  # fmt: skip
    _same("zan_trajectoire", frame("SELECT * FROM indicator.zan_trajectoire"), peer["zan_trajectoire"],
          ["mesh", "code", "period"], ["value", "target_value"])  # fmt: skip
    land = frame(
        "SELECT p.code, p.value AS part, h.value AS par_habitant FROM indicator.part_surface_consommee p "
        "JOIN indicator.consommation_par_nouvel_habitant h USING (mesh, code) WHERE p.mesh = 'commune'"
    )
    _same("foncier", land, peer["foncier"], ["code"], ["part", "par_habitant"])
    _same("eau_potable_conformite", frame("SELECT * FROM indicator.eau_potable_conformite"),
          peer["eau_potable_conformite"], ["mesh", "code", "period", "measure"], ["value"])  # fmt: skip
    _same("jours_restriction_secheresse",
          frame("SELECT * FROM indicator.jours_restriction_secheresse WHERE mesh = 'commune'"),
          peer["jours_restriction_secheresse"], ["code", "period"], ["value"])  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", type=int, default=10, help="analysed parameters per drinking-water sample")
    parser.add_argument("--drought-years", type=int, default=3)
    parser.add_argument("--skip-pandas", action="store_true")
    args = parser.parse_args()
    rng = np.random.default_rng(14)
    communes = communes_table()
    codes = np.array(communes["code"].to_pylist())
    pop = communes["population"].to_numpy()
    naf = naf_input(codes, pop, rng)
    surface = pa.table({"code": codes, "surface_km2": np.round((4 + pop / 900) * rng.lognormal(0, 0.3, len(codes)), 3)})
    results = water_input(codes, pop, args.params, rng)
    orders = drought_input(codes, [2025 - 2 * i for i in range(args.drought_years)], rng)
    print(
        f"input: {len(codes):,} communes; Cerema file {naf.num_rows:,} rows x {naf.num_columns} columns; "
        f"Hub'Eau {results.num_rows:,} results; VigiEau {orders.num_rows:,} commune orders"
    )
    engine = open_duckdb(None)
    datasets = load(engine, {
        "consommation-espaces-naf": ("staging", naf), "eau-potable-resultats": ("staging", results),
        "restrictions-secheresse": ("staging", orders), "communes": ("model", communes),
        "surface_communes": ("model", surface),
    })  # fmt: skip
    wall, cpu = territoria_pipeline(engine, datasets)
    print(f"territoria (pack SQL on DuckDB): {wall:.2f} s wall, {cpu:.2f} s CPU")
    if args.skip_pandas:
        return
    frames = naf.to_pandas(), surface.to_pandas(), results.to_pandas(), orders.to_pandas()
    t0, c0 = time.perf_counter(), time.process_time()
    peer = pandas_pipeline(*frames)
    p_wall, p_cpu = time.perf_counter() - t0, time.process_time() - c0
    print(f"pandas: {p_wall:.2f} s wall, {p_cpu:.2f} s CPU")
    compare(engine, peer)
    engine.close()
    print(f"outputs match; pandas / territoria: {p_wall / wall:.1f}x (wall), {p_cpu / cpu:.1f}x (CPU)")


if __name__ == "__main__":
    main()
