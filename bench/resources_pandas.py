"""The resources pack's land and water computations written the usual way with pandas (the
benchmark's peer): melt the Cerema file's yearly columns, group, cumulate; one row per sample of
the sanitary control, then compliance shares; drought orders expanded to days."""

from __future__ import annotations

import numpy as np
import pandas as pd

ZAN_REFERENCE = (2011, 2020)
ZAN_START, ZAN_YEARS, ZAN_REDUCTION = 2021, 10, 0.5
EPCI = "territoire"


def land_flows(naf: pd.DataFrame) -> pd.DataFrame:
    """One row per commune and year: NAF m² consumed, from the ``nafAAartBB`` columns (BB = AA + 1)."""
    yearly = [c for c in naf.columns if c.startswith("naf") and int(c[8:10]) == int(c[3:5]) + 1]
    long = naf.melt(id_vars=["idcom"], value_vars=yearly, var_name="colonne", value_name="naf_m2")
    long["annee"] = 2000 + long["colonne"].str.slice(3, 5).astype(int)
    split = [c for c in naf.columns if c.startswith("art") and int(c[8:10]) == int(c[3:5]) + 1]
    dest = naf.melt(id_vars=["idcom"], value_vars=split, var_name="colonne", value_name="m2")
    dest["annee"] = 2000 + dest["colonne"].str.slice(3, 5).astype(int)
    dest["destination"] = dest["colonne"].str.slice(5, 8).replace({"rou": "infra", "fer": "infra"})
    wide = dest.pivot_table(index=["idcom", "annee"], columns="destination", values="m2", aggfunc="sum").reset_index()
    long = long.merge(wide, on=["idcom", "annee"], how="left")
    return long.rename(columns={"idcom": "code", "hab": "habitat_m2"})[["code", "annee", "naf_m2", "habitat_m2"]]


def consumption(flows: pd.DataFrame) -> pd.DataFrame:
    communes = flows.assign(mesh="commune")
    epci = flows.groupby("annee", as_index=False)[["naf_m2", "habitat_m2"]].sum().assign(mesh="epci", code=EPCI)
    both = pd.concat([communes, epci])
    both = both.assign(value=both["naf_m2"] / 1e4, habitat_ha=both["habitat_m2"] / 1e4)
    return both[["mesh", "code", "annee", "value", "habitat_ha"]].rename(columns={"annee": "period"})


def zan(flows: pd.DataFrame) -> pd.DataFrame:
    both = pd.concat([flows.assign(mesh="commune"), flows.groupby("annee", as_index=False)["naf_m2"].sum().assign(
        mesh="epci", code=EPCI)])  # fmt: skip
    keys = ["mesh", "code"]
    in_ref = both["annee"].between(*ZAN_REFERENCE)
    reference = both[in_ref].groupby(keys)["naf_m2"].sum() / 1e4
    last = both.groupby(keys)["annee"].max()
    since = both[both["annee"] >= ZAN_START].sort_values("annee")
    since = since.assign(cumul=since.groupby(keys)["naf_m2"].cumsum() / 1e4)
    periods = pd.DataFrame({"period": range(ZAN_START, ZAN_START + ZAN_YEARS)})
    grid = reference.rename("reference_ha").reset_index().merge(periods, how="cross")
    grid = grid.merge(last.rename("last").reset_index(), on=keys)
    grid = grid.merge(
        since[[*keys, "annee", "cumul"]].rename(columns={"annee": "period"}), on=[*keys, "period"], how="left"
    )
    grid["value"] = grid["cumul"].where(grid["period"] <= grid["last"])
    envelope = grid["reference_ha"] * (1 - ZAN_REDUCTION)
    grid["target_value"] = envelope * (grid["period"] - ZAN_START + 1) / ZAN_YEARS
    return grid[[*keys, "period", "value", "target_value"]]


def land_shares(naf: pd.DataFrame, flows: pd.DataFrame, surface: pd.DataFrame) -> pd.DataFrame:
    total = flows.groupby("code", as_index=False)["naf_m2"].sum()
    per13 = flows[flows["annee"].between(2013, 2018)].groupby("code", as_index=False)["naf_m2"].sum()
    df = total.merge(surface, on="code", how="left").merge(
        per13.rename(columns={"naf_m2": "m2_1319"}), on="code"
    ).merge(naf[["idcom", "pop1319"]].rename(columns={"idcom": "code"}), on="code")  # fmt: skip
    df["part"] = 100 * df["naf_m2"] / 1e6 / df["surface_km2"]
    df["par_habitant"] = (df["m2_1319"] / df["pop1319"]).where(df["pop1319"] > 0)
    return df[["code", "part", "par_habitant"]]


def water_compliance(results: pd.DataFrame) -> pd.DataFrame:
    limits = {
        "bacteriologique": "conformite_limites_bact_prelevement",
        "physico_chimique": "conformite_limites_pc_prelevement",
    }
    samples = results.assign(annee=pd.to_datetime(results["date_prelevement"]).dt.year)
    out = []
    for measure, column in limits.items():
        flags = samples.assign(n=samples[column].eq("N"), ok=samples[column].isin(["C", "D"]))
        per_sample = flags.groupby(["code_prelevement", "code_commune", "annee"], as_index=False)[["n", "ok"]].any()
        per_sample["conforme"] = np.where(per_sample["n"], 0.0, np.where(per_sample["ok"], 1.0, np.nan))
        for mesh, keys in (("commune", ["code_commune", "annee"]), ("epci", ["annee"])):
            g = per_sample.groupby(keys, as_index=False)["conforme"].agg(["sum", "count"])
            g = g.assign(mesh=mesh, measure=measure, value=100 * g["sum"] / g["count"].replace(0, np.nan))
            if mesh == "epci":
                g["code_commune"] = EPCI
            out.append(g.rename(columns={"code_commune": "code", "annee": "period"}))
    return pd.concat(out)[["mesh", "code", "period", "measure", "value"]]


def drought_days(orders: pd.DataFrame, communes: pd.Series) -> pd.DataFrame:
    start = pd.to_datetime(orders["date_debut"])
    length = (pd.to_datetime(orders["date_fin"]) - start).dt.days + 1
    rows = orders.loc[orders.index.repeat(length)]
    offsets = rows.groupby(level=0).cumcount().to_numpy()
    days = rows.assign(jour=pd.to_datetime(rows["date_debut"]).to_numpy() + offsets.astype("timedelta64[D]"))
    days = days[days["niveau_gravite"].isin(["alerte", "alerte_renforcee", "crise"])]
    per_day = days[["code_commune", "jour"]].drop_duplicates()
    per_day = per_day.assign(period=per_day["jour"].dt.year)
    years = pd.DataFrame({"period": sorted(pd.to_datetime(orders["date_debut"]).dt.year.unique())})
    counts = per_day.groupby(["code_commune", "period"]).size().rename("value").reset_index()
    grid = pd.DataFrame({"code_commune": communes}).merge(years, how="cross")
    grid = grid.merge(counts, on=["code_commune", "period"], how="left").fillna({"value": 0})
    return grid.rename(columns={"code_commune": "code"})


def pandas_pipeline(
    naf: pd.DataFrame, surface: pd.DataFrame, results: pd.DataFrame, orders: pd.DataFrame
) -> dict[str, pd.DataFrame]:
    flows = land_flows(naf)
    return {
        "consommation_espaces": consumption(flows),
        "zan_trajectoire": zan(flows),
        "foncier": land_shares(naf, flows, surface),
        "eau_potable_conformite": water_compliance(results),
        "jours_restriction_secheresse": drought_days(orders, surface["code"]),
    }
