"""energie_conso_commune tells Enedis's electricity from other operators' (the secrecy tie between
ORE's cells and Enedis's IRIS file reads it) by the operator's name, whatever its case or the spaces
around it: an Enedis row spelled otherwise, counted as another operator's, would untie the two
tables' cells and let their difference give a masked IRIS cell."""

from __future__ import annotations

import pyarrow as pa

from territoria.catalog.packs import load_pack
from territoria.engines.base import TableWrite
from territoria.engines.duckdb import open_duckdb
from territoria.pipelines.spec import DatasetInfo, render_sql

COLUMNS = ("operateur", "annee", "filiere", "code_categorie_consommation", "code_grand_secteur",
           "code_secteur_naf2", "conso_totale_mwh", "nb_sites", "code_commune")  # fmt: skip


def _other_components(operators: list[str]) -> int:
    rows = [
        (op, 2022, "Electricité", "RES", "RESIDENTIEL", "", 100.0 + i, 20, "35238") for i, op in enumerate(operators)
    ]
    table = pa.table({c: [r[i] for r in rows] for i, c in enumerate(COLUMNS)})
    table = table.append_column("conso_totale_mwh_secret", pa.array([False] * len(rows)))
    table = table.append_column("nb_sites_secret", pa.array([False] * len(rows)))
    table = table.append_column("nombre_mailles_secretisees", pa.array([0] * len(rows), pa.int64()))
    engine = open_duckdb(None)
    try:
        engine.ensure_schema("staging")
        engine.register_arrow("_in", table)
        engine.execute('CREATE TABLE staging."conso-elec-gaz-commune" AS SELECT * FROM _in')
        datasets = {"conso-elec-gaz-commune": DatasetInfo("conso-elec-gaz-commune", "staging", "")}
        pack = load_pack("energy_ghg")
        params = {"territory.communes": ["35238"], **pack.definition.parameters}
        sql = render_sql(pack.read_sql("models/energie_conso_commune.sql"), datasets, params, "energie_conso_commune")
        engine.ensure_schema("model")
        engine.create_or_replace(TableWrite("model", "energie_conso_commune", sql))
        [(others,)] = engine.fetch_all("SELECT sum(other_components) FROM model.energie_conso_commune")
    finally:
        engine.close()
    return int(others)


def test_enedis_is_enedis_whatever_its_spelling() -> None:
    assert _other_components(["Enedis", "ENEDIS", " enedis "]) == 0
    assert _other_components(["Enedis", "GreenAlp", "RTE"]) == 2
