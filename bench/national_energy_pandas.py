"""The national energy computation written the usual way with pandas (the benchmark's peer).

Same steps as the energy pack's SQL: commune cells from the ORE rows, the dense cube with its
margins, the secrecy rules, then emissions. The secondary suppression is the same numpy routine
(`protect_cells`) in both runs: pandas has no idiom for it, so the comparison isolates the
relational work (SQL on DuckDB against pandas) plus the shared suppression.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pyarrow as pa

from territoria.governance.secrecy.rules import load_ruleset
from territoria.governance.secrecy.secondary import PUBLISHED, protect_cells

ROOT = "territoire"
KEYS = ["code", "sector", "energy", "period"]


def commune_cells(staging: pd.DataFrame, communes: pd.DataFrame) -> pd.DataFrame:
    df = staging[staging["code_commune"].isin(communes["code"])]
    cat, gs = df["code_categorie_consommation"], df["code_grand_secteur"]
    masked = df["conso_totale_mwh_secret"] | df["nb_sites_secret"]
    rows = pd.DataFrame(
        {
            "code": df["code_commune"],
            "period": df["annee"],
            "sector": np.select(
                [cat == "RES", cat == "PRO", gs == "TERTIAIRE", gs == "INDUSTRIE", gs == "AGRICULTURE"],
                ["residentiel", "professionnel", "tertiaire", "industrie", "agriculture"],
                "non_affecte",
            ),
            "energy": np.where(df["filiere"] == "Gaz", "gaz", "electricite"),
            "consumption_mwh": df["conso_totale_mwh"].where(~masked),
            "nb_sites": df["nb_sites"].where(~masked),
            "masked_components": masked.astype(int),
            "components": 1,
        }
    )
    g = rows.groupby(["code", "period", "sector", "energy"])
    out = g[["consumption_mwh", "nb_sites"]].sum(min_count=1)
    out[["masked_components", "components"]] = g[["masked_components", "components"]].sum()
    return out.reset_index()


def cube(leaves: pd.DataFrame, communes: pd.DataFrame) -> pd.DataFrame:
    present = leaves[["code", "period"]].drop_duplicates()
    sectors = leaves[["period", "sector"]].drop_duplicates()
    grid = present.merge(sectors, on="period").merge(pd.DataFrame({"energy": ["electricite", "gaz"]}), how="cross")
    cells = grid.merge(leaves, on=["code", "period", "sector", "energy"], how="left", indicator=True)
    absent = cells["_merge"] == "left_only"
    cells.loc[absent, ["consumption_mwh", "nb_sites", "masked_components", "components"]] = 0
    totals = {"code": ROOT, "sector": "TOUS", "energy": "TOUTES"}
    parts = []
    for kept in itertools.product([True, False], repeat=3):
        by = [c for c, k in zip(["code", "sector", "energy"], kept, strict=True) if k] + ["period"]
        g = cells.groupby(by)
        part = g[["consumption_mwh", "nb_sites"]].sum(min_count=1)
        part[["masked_components", "components"]] = g[["masked_components", "components"]].sum()
        part = part.reset_index()
        for c, k in zip(["code", "sector", "energy"], kept, strict=True):
            if not k:
                part[c] = totals[c]
        part["mesh"] = "commune" if kept[0] else "epci"
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    out["parent_code"] = np.where(out["mesh"] == "commune", ROOT, None)
    out = out.merge(communes[["code", "nom"]].rename(columns={"nom": "libelle"}), on="code", how="left")
    out.loc[out["mesh"] == "epci", "libelle"] = "France"
    out["masked_input"] = out["consumption_mwh"].isna()
    out["lower_bound"] = out["consumption_mwh"].notna() & (out["masked_components"] > 0)
    out["masked_share"] = (out["masked_components"] / out["components"].where(out["components"] > 0)).fillna(0.0)
    share = present.groupby("period").size() / len(communes)
    out["completeness"] = np.where(out["mesh"] == "epci", out["period"].map(share), 1.0)
    return out.sort_values(KEYS).reset_index(drop=True)


def protect(cells: pd.DataFrame) -> pd.DataFrame:
    ruleset = load_ruleset("energy")
    nb, residential = cells["nb_sites"], cells["sector"] == "residentiel"
    small = np.where(residential, ~(nb >= 10), ~(nb >= 3)) & (nb.isna() | (nb != 0))
    masked = cells["masked_input"].to_numpy()
    cost = np.where(nb > 0, nb, 1e6).astype(float)
    dims = pa.Table.from_pandas(cells[["code", "parent_code", "sector", "energy", "period"]], preserve_index=False)
    decision = protect_cells(dims, ruleset.secondary, np.asarray(small, dtype=bool), masked, cost)
    out = cells.copy()
    secret = decision.status > PUBLISHED
    out.loc[secret, ["consumption_mwh", "nb_sites"]] = np.nan
    out["secret"] = secret
    return out


def joined(rows: pd.DataFrame, by: list[str], position: pd.Series) -> pd.Series:
    """Each group's ``factor_id`` values joined with commas, in row order, without a Python call per
    group (``agg(",".join)`` is one): the k-th value of every group is one column, columns are
    concatenated with vectorised string operations."""
    wide = rows.assign(_k=position).pivot(index=by, columns="_k", values="factor_id")
    out = wide[0]
    for k in wide.columns[1:]:
        out = out.where(wide[k].isna(), out + "," + wide[k])
    return out


def emissions(cells: pd.DataFrame, factors: pd.DataFrame, version: str) -> pd.DataFrame:
    f = factors[factors["version"] == version]
    leaf = cells.merge(f, on="energy")
    leaf = leaf[(leaf["period"] >= leaf["year_from"]) & (leaf["period"] <= leaf["year_to"])]
    leaf = leaf.assign(value=leaf["consumption_mwh"] * leaf["value"], emission_factors=leaf["factor_id"])
    by = ["mesh", "code", "period", "sector"]
    ordered = leaf.sort_values("factor_id")
    g = ordered.groupby(by)
    total = g.agg(value=("value", "sum"), any_secret=("secret", "any"))
    total["emission_factors"] = joined(ordered, by, g.cumcount())
    total = total.reset_index()
    total["energy"] = "TOUTES"
    cube_total = cells.loc[cells["energy"] == "TOUTES", ["code", "period", "sector", "secret"]]
    total = total.merge(cube_total, on=["code", "period", "sector"])
    total["secret"] = total["secret"] | total["any_secret"]
    out = pd.concat(
        [leaf[[*KEYS, "value", "secret", "emission_factors"]], total[[*KEYS, "value", "secret", "emission_factors"]]]
    )
    out.loc[out["secret"], "value"] = np.nan
    return out.reset_index(drop=True)


def pandas_pipeline(
    staging: pd.DataFrame, communes: pd.DataFrame, factors: pd.DataFrame, version: str = "territoria-ef-2026.1"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    published = protect(cube(commune_cells(staging, communes), communes))
    cols = [
        "code",
        "sector",
        "energy",
        "period",
        "consumption_mwh",
        "nb_sites",
        "masked_input",
        "lower_bound",
        "secret",
    ]
    return published[cols], emissions(published, factors, version)
