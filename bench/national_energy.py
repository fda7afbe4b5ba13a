"""National energy benchmark: every current commune x 10 years x 6 sectors x 2 energies.

The same computation twice, in the same run: (1) territoria — the energy pack's own SQL models
(commune cells, the cube with commune/national/sector/energy margins), the secrecy guard
(primary rules + secondary suppression) on DuckDB, then the pack's emissions indicator on the
protected cells; (2) an idiomatic pandas implementation of that computation (groupby/merge,
the same hypercube suppression written with pandas). The published tables must be identical.
Then (3) the adversary audit (``territoria secrecy audit``: every suppressed cell's interval by
linear programming over the published margins) on the publication of one département's
communes, built the same way: the national table has some 300,000 secret cells per year in one
component per year and measure, out of reach of one program per cell; the sample says so.

    .venv/bin/python bench/national_energy.py [--years 10] [--skip-pandas] [--audit-department 90] [--file-store]

``--file-store`` runs territoria on a DuckDB store file (in a temporary directory), as ``territoria run``
does, instead of in memory: every table written there is compressed (most of its cost on the string
columns), so the same work costs more CPU than the in-memory default.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).parent))

from _usage import StatementLog, Usage
from national_energy_pandas import pandas_pipeline

from territoria.catalog.packs import load_pack
from territoria.engines.base import Engine, TableWrite
from territoria.engines.duckdb.engine import open_duckdb
from territoria.governance.secrecy.adversary import PublishedTable, audit
from territoria.governance.secrecy.guard import apply_ruleset
from territoria.governance.secrecy.rules import least_params, load_ruleset
from territoria.pipelines.spec import DatasetInfo, render_sql
from territoria.reference.referential import referential
from territoria.usecases.energy_ghg.demo import PROFILES

FACTORS = Path(__file__).parents[1] / "src/territoria/usecases/energy_ghg/data/facteurs-emission.csv"


def synthetic_input(years: range, seed: int = 7) -> tuple[pa.Table, pa.Table]:
    """ORE-shaped staging rows (after validation) for every commune, and the communes table."""
    ref = referential()
    communes = pq.read_table(ref.communes_path, columns=["code", "nom", "population"])
    codes = np.array(communes["code"].to_pylist())
    pop = np.nan_to_num(communes["population"].to_numpy(zero_copy_only=False).astype(float))
    rng = np.random.default_rng(seed)
    parts = []
    for year in years:
        for p in PROFILES:
            if p.categorie == "PRO" and year < 2018:
                continue
            for e, filiere in enumerate(["Electricité", "Gaz"]):
                mean = pop * p.sites[e] + p.base[e]
                sites = rng.poisson(mean)
                keep = sites > 0
                n = int(keep.sum())
                mwh = sites[keep] * p.mwh[e] * rng.lognormal(0, 0.1, n)
                masked = (p.categorie == "ENT") & (sites[keep] < 3) & (rng.random(n) < 0.1)
                parts.append(
                    pa.table(
                        {
                            "code_commune": codes[keep],
                            "annee": np.full(n, year, dtype=np.int32),
                            "filiere": np.full(n, filiere),
                            # Enedis and GRDF everywhere: no local distribution company in the synthetic file
                            "operateur": np.full(n, "GRDF" if filiere == "Gaz" else "Enedis"),
                            "code_categorie_consommation": np.full(n, p.categorie),
                            "code_grand_secteur": np.full(n, p.grand_secteur),
                            "conso_totale_mwh": pa.array(np.round(mwh, 3), mask=masked),
                            "nb_sites": pa.array(sites[keep].astype(np.int64), mask=masked),
                            "conso_totale_mwh_secret": masked,
                            "nb_sites_secret": masked,
                            # the national file's count of masked meshes (the energy model reads it)
                            "nombre_mailles_secretisees": masked.astype(np.int64),
                        }
                    )
                )
    return pa.concat_tables(parts), communes


def territoria_pipeline(
    staging: pa.Table,
    communes: pa.Table,
    factors: pa.Table,
    engine: Engine | None = None,
    *,
    emissions: bool = True,
    loop: bool = False,
    log: StatementLog | None = None,
) -> tuple[pa.Table, pa.Table | None, Usage, pa.Table, dict[str, Any]]:
    """The pack's models, the guard and (with ``emissions``) the emissions indicator on ``engine``
    (default: an in-memory DuckDB, closed at the end); the resources that part used, and the
    guard's report; ``log`` records each statement's. ``loop``: the protection loop on, as the pack
    publishes (the pandas peer implements the balanced patterns only, so the national comparison
    runs without it)."""
    pack = load_pack("energy_ghg")
    owned = engine is None
    engine = engine or open_duckdb(None)
    for schema, name, table in (
        ("staging", "conso-elec-gaz-commune", staging),
        ("model", "communes", communes),
        ("staging", "facteurs-emission", factors),
    ):
        engine.ensure_schema(schema)
        engine.register_arrow("_in", table)
        engine.execute(f'CREATE TABLE {schema}."{name}" AS SELECT * FROM _in')
    datasets = {
        n: DatasetInfo(n, layer, n)
        for n, layer in (
            ("conso-elec-gaz-commune", "staging"),
            ("facteurs-emission", "staging"),
            ("communes", "model"),
            ("energie_conso_commune", "model"),
            ("energie_cellules", "model"),
        )
    }
    datasets["published.energie_cellules"] = DatasetInfo("energie_cellules", "published", "")
    params: dict[str, Any] = {
        "territory.name": "France",
        "territory.epci": "",
        # France's total as the pandas peer writes it (bench/national_energy_pandas.py)
        "territory.mesh": "epci",
        "territory.code": "territoire",
        "territory.communes": communes["code"].to_pylist(),
        **pack.definition.parameters,
        **least_params(pack.directory, None),  # the rules' thresholds, as a run's plan gives them
    }
    if log is not None:
        log.wrap(engine)
    start = Usage.now()
    for model in ("energie_conso_commune", "energie_cellules"):
        sql = render_sql(pack.read_sql(f"models/{model}.sql"), datasets, params, model)
        engine.create_or_replace(TableWrite("model", model, sql))
    policies = {"secrecy": {"energy": {"protection_loop": loop}}}
    ruleset = load_ruleset("energy", policies)
    guard = apply_ruleset(engine, "energie_cellules", 'SELECT * FROM model."energie_cellules"', ruleset, policies)
    engine.create_or_replace(TableWrite("published", "energie_cellules", guard.select_sql))
    if emissions:
        sql = render_sql(pack.read_sql("indicators/ges_emissions.sql"), datasets, params, "ges_emissions")
        derived = apply_ruleset(engine, "ges_emissions", sql, load_ruleset("energy_derived"))
        engine.create_or_replace(TableWrite("published", "ges_emissions", derived.select_sql))
    elapsed = Usage.now() - start
    if log is not None:
        log.stop()
    cells = engine.fetch_arrow("SELECT * FROM published.energie_cellules")
    emitted = engine.fetch_arrow("SELECT * FROM published.ges_emissions") if emissions else None
    truth = engine.fetch_arrow('SELECT * FROM model."energie_cellules"')
    if owned:
        engine.close()
    return cells, emitted, elapsed, truth, guard.report


def audit_sample(staging: pa.Table, communes: pa.Table, factors: pa.Table, department: str) -> None:
    """The same publication for the communes of one département, then its adversary audit."""
    codes = pc.starts_with(communes["code"], department)
    sample = communes.filter(codes)
    rows = staging.filter(pc.is_in(staging["code_commune"], sample["code"]))
    cells, _, built, truth, guard = territoria_pipeline(rows, sample, factors, loop=True)
    loop = guard.get("protection_loop") or {}
    print(
        f"sample publication with the protection loop: {guard['published']:,} cells published, "
        f"{guard['primary']:,} primary + {guard['secondary']:,} secondary suppressed, {guard['masked_upstream']:,} "
        f"masked upstream; loop {loop.get('rounds')} rounds, {loop.get('added')} complements, "
        f"{loop.get('programs')} programs, {loop.get('seconds')} s"
    )
    table = PublishedTable.from_ruleset("energie_cellules", cells, load_ruleset("energy"), truth=truth)
    t0, c0 = time.perf_counter(), time.process_time()
    report = audit([table])
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    narrow = report.as_dict()["narrowest_share"]
    print(
        f"audit (sample: département {department}, {sample.num_rows:,} communes, {cells.num_rows:,} cells, "
        f"built in {built.wall:.2f} s): {wall:.2f} s wall, {cpu:.2f} s CPU — {report.suppressed:,} suppressed, "
        f"{report.exposed:,} exposed, {len(report.disclosed_primary):,} primary disclosed, narrowest "
        + ("—" if narrow is None else f"{100 * narrow:.2f} %")
        + f", {report.programs:,} programs; the national audit is not run (see the docstring)"
    )


def _frame(table: pa.Table, keys: list[str]) -> pd.DataFrame:
    return table.to_pandas().sort_values(keys).reset_index(drop=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--skip-pandas", action="store_true")
    parser.add_argument("--audit-department", default="90", help="département of the audit sample ('' : none)")
    parser.add_argument("--file-store", action="store_true", help="territoria on a store file, as `territoria run`")
    parser.add_argument("--statements", action="store_true", help="print each statement's CPU and page faults")
    args = parser.parse_args()
    years = range(2025 - args.years, 2025)
    staging, communes = synthetic_input(years)
    factors = pa.Table.from_pandas(pd.read_csv(FACTORS, sep=";"), preserve_index=False)
    print(f"input: {staging.num_rows:,} ORE rows, {communes.num_rows:,} communes, {len(years)} years")
    print(f"machine: {os.cpu_count()} CPUs, load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory(prefix="national-energy-") as store:
        engine = open_duckdb(Path(store)) if args.file_store else None
        log = StatementLog() if args.statements else None
        cells, emissions, t_terr, _, _ = territoria_pipeline(staging, communes, factors, engine, log=log)
        if engine is not None:
            engine.close()
    assert emissions is not None
    secret = pc_sum(cells["secret"])
    print(
        f"territoria (DuckDB {'store file' if args.file_store else 'in memory'} + secrecy engine): "
        f"{t_terr.wall:.2f} s wall, {t_terr.cpu:.2f} s CPU — {cells.num_rows:,} cells, {secret:,} secret"
    )
    print(f"territoria resources: {t_terr.line()}")
    if log is not None:
        log.print(t_terr)
    if args.audit_department:
        audit_sample(staging, communes, factors, args.audit_department)
    if args.skip_pandas:
        return
    frames = staging.to_pandas(), communes.to_pandas(), factors.to_pandas()
    start = Usage.now()
    p_cells, p_emissions = pandas_pipeline(*frames)
    t_pd = Usage.now() - start
    print(f"pandas: {t_pd.wall:.2f} s wall, {t_pd.cpu:.2f} s CPU")
    print(f"pandas resources: {t_pd.line()}")
    keys = ["code", "sector", "energy", "period"]
    pd.testing.assert_frame_equal(
        _frame(cells, keys)[p_cells.columns.tolist()], p_cells.sort_values(keys).reset_index(drop=True),
        check_dtype=False, check_exact=False, rtol=1e-9,
    )  # fmt: skip
    cols = ["code", "sector", "energy", "period", "value", "secret", "emission_factors"]
    pd.testing.assert_frame_equal(
        _frame(emissions, keys)[cols], p_emissions.sort_values(keys).reset_index(drop=True)[cols],
        check_dtype=False, check_exact=False, rtol=1e-9,
    )  # fmt: skip
    print(
        f"outputs match; pandas / territoria: {t_pd.wall / t_terr.wall:.1f}x (wall), {t_pd.cpu / t_terr.cpu:.1f}x (CPU)"
    )


def pc_sum(arr: pa.ChunkedArray) -> int:
    return int(np.asarray(arr.to_numpy(zero_copy_only=False), dtype=bool).sum())


if __name__ == "__main__":
    main()
